"""Captions for generated and edited videos: WebVTT tracks (webvtt-py) and burning them into the pixels.

Paper §2 (content generation): generated videos get captions or subtitles in post-processing.
A caption track is a list of :class:`Cue` (start, end, text). :func:`to_webvtt` writes the
track a ``<track>`` element plays; :func:`burn_captions` draws the cues into the frames of a
copy of the video (keeping its sound), for players that show no tracks.

Example
-------
>>> print(to_webvtt([Cue(0.0, 1.5, "You asked: a red cat"), Cue(1.5, 3.0, "<AI> made it")]))
WEBVTT
<BLANKLINE>
00:00:00.000 --> 00:00:01.500
You asked: a red cat
<BLANKLINE>
00:00:01.500 --> 00:00:03.000
&lt;AI&gt; made it
<BLANKLINE>
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generec.errors import MediaError


@dataclass(frozen=True, slots=True)
class Cue:
    """One caption shown from ``start`` to ``end`` seconds."""

    start: float
    end: float
    text: str


def _stamp(seconds: float) -> str:
    ms = round(max(seconds, 0.0) * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _escape(text: str) -> str:
    """Cue text as WebVTT plain text: no markup, no blank line or ``-->`` that would end or forge a cue."""
    text = " ".join(text.split()).replace("-->", "->")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_webvtt(cues: Sequence[Cue]) -> str:
    """The WebVTT file for ``cues`` (text escaped: what a user typed is shown, never interpreted)."""
    import webvtt

    if not cues:
        raise MediaError("a caption track needs at least one cue")
    track = webvtt.WebVTT(
        captions=[webvtt.Caption(_stamp(c.start), _stamp(max(c.end, c.start + 0.001)), _escape(c.text)) for c in cues]
    )
    return track.content


def read_webvtt(text: str) -> list[Cue]:
    """Cues of a WebVTT file (as :func:`to_webvtt` writes them); :class:`MediaError` if it is not one."""
    import webvtt
    from webvtt.errors import MalformedFileError

    try:
        track = webvtt.WebVTT.from_string(text)
    except MalformedFileError as exc:
        raise MediaError(f"not a WebVTT caption track: {exc}") from None
    return [Cue(_seconds(c.start), _seconds(c.end), html.unescape(c.text)) for c in track.captions]


def _seconds(stamp: str) -> float:
    """``[hh:]mm:ss.mmm`` in seconds, milliseconds kept (webvtt-py's own ``*_in_seconds`` drop them)."""
    parts = [float(p) for p in stamp.split(":")]
    return round(sum(p * 60**i for i, p in enumerate(reversed(parts))), 3)


def _font(height: int):  # noqa: ANN202 - a PIL font
    from PIL import ImageFont

    return ImageFont.load_default(size=max(10, height // 14))


def _draw(frame: np.ndarray, text: str) -> np.ndarray:
    """``frame`` with ``text`` in white on a dark band at the bottom, wrapped to the frame's width."""
    import textwrap

    from PIL import Image, ImageDraw

    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image)
    font = _font(image.height)
    per_line = max(8, int(image.width / (font.size * 0.55)))
    lines = textwrap.wrap(text, per_line)[:3]
    line_h = int(font.size * 1.25)
    top = image.height - line_h * len(lines) - 6
    draw.rectangle([0, top - 4, image.width, image.height], fill=(0, 0, 0))
    for n, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        draw.text(((image.width - width) / 2, top + n * line_h), line, font=font, fill=(255, 255, 255))
    return np.asarray(image)


def burn_captions(src: str | os.PathLike[str], cues: Sequence[Cue], dst: str | os.PathLike[str]) -> Path:
    """A copy of video ``src`` at ``dst`` with each cue drawn into the frames it spans; the sound is kept."""
    from generec.media.audio import read_audio
    from generec.media.frames import iter_frames
    from generec.media.probe import probe
    from generec.media.writer import write_video

    info = probe(src)
    if info.is_image:
        raise MediaError(f"{src}: captions are burned into videos, not images")
    audio = read_audio(src) if info.has_audio else None

    def frames():  # noqa: ANN202
        for frame in iter_frames(src):
            text = next((c.text for c in cues if c.start <= frame.time < c.end), None)
            yield _draw(frame.image, text) if text else frame.image

    return write_video(frames(), dst, info.fps, audio=audio)
