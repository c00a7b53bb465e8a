"""Edits that make new media from old: cut a segment (with its sound), grab a thumbnail.

Example
-------
>>> import numpy as np, tempfile, pathlib
>>> from generec.media import write_video, cut, probe
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> src = write_video([np.full((32, 32, 3), 8 * i, np.uint8) for i in range(24)], d / "a.mp4", fps=8)
>>> round(probe(cut(src, d / "b.mp4", 1.0, 2.0)).duration, 2)
1.0
"""

from __future__ import annotations

import os
from pathlib import Path

import av

from generec.config import MediaSettings
from generec.errors import MediaError
from generec.media.audio import AudioTrimmer
from generec.media.frames import read_frame
from generec.media.image import Size, fit_size, write_image
from generec.media.probe import VideoInfo, open_video, probe
from generec.media.writer import VideoWriter


def _segment(info: VideoInfo, start: float, end: float | None) -> tuple[float, float]:
    hi = info.duration if end is None else min(float(end), info.duration)
    lo = float(start)
    if lo < 0 or hi <= lo:
        raise MediaError(
            f"{info.path}: cannot cut [{start}, {end}) s from a {info.duration:.2f} s video; need 0 <= start < end"
        )
    return lo, hi


def cut(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], start: float, end: float | None = None, *,
    size: Size | None = None, crf: int | None = None, preset: str = "veryfast", deterministic: bool = True,
    settings: MediaSettings | None = None,
) -> Path:  # fmt: skip
    """Write the segment ``[start, end)`` seconds of ``src`` to ``dst`` (MP4 or WebM by suffix), with its audio.

    The segment is re-encoded, so it starts exactly at ``start`` (not at the keyframe before it) and
    its timestamps start at 0. Frames and sound are streamed: memory does not grow with the length of
    ``src`` or of the segment. The output has a constant frame rate (the source's average rate),
    optionally resized to ``size``. Raises :class:`MediaError` for bad input or an empty range; a
    failed cut leaves ``dst`` untouched.
    """
    info = probe(src, settings=settings)
    if info.is_image:
        raise MediaError(f"{info.path}: is an image; cut needs a video")
    lo, hi = _segment(info, start, end)
    with open_video(info.path, settings) as (container, vstream):
        astream = container.streams.audio[0] if container.streams.audio else None
        channels = 0 if astream is None else min(2, astream.codec_context.channels)
        writer = VideoWriter(
            dst, info.fps, crf=crf, preset=preset, deterministic=deterministic,
            audio_rate=None if astream is None else astream.codec_context.sample_rate, audio_channels=max(1, channels),
        )  # fmt: skip
        vstream.thread_type = "AUTO"
        with writer:
            reached = _copy_segment(info, container, vstream, astream, writer, lo, hi, size)
            if reached < hi - max(1.0, 3.0 / info.fps):
                raise MediaError(f"{info.path}: video is truncated or corrupt: frames stop at {reached:.2f} s")
    return writer.path


def _copy_segment(info, container, vstream, astream, writer: VideoWriter, lo: float, hi: float, size) -> float:
    """Demux video (+audio) once from the keyframe before ``lo``; encode what falls in ``[lo, hi)``.

    Returns the time up to which video was written (the end of the last frame kept).
    """
    if lo > 0:  # container-wide seek (AV_TIME_BASE units): both streams restart at the keyframe before lo
        container.seek(int(lo * av.time_base) + (container.start_time or 0), backward=True)
    origin, tb = vstream.start_time or 0, vstream.time_base
    eps = 1e-3 / info.fps
    skip_below = lo - 2.0 / info.fps  # unreferenced frames shown before this need not be decoded
    trimmer = None if astream is None else AudioTrimmer(astream, lo, hi)
    video_done, reached = False, lo
    try:
        for packet in container.demux(*([vstream] if astream is None else [vstream, astream])):
            if packet.stream.type == "audio":
                for chunk in trimmer.feed(packet):
                    writer.write_audio(chunk)
            elif not video_done:
                early = packet.pts is not None and float((packet.pts - origin) * tb) < skip_below
                vstream.codec_context.skip_frame = "NONREF" if early else "DEFAULT"
                for frame in packet.decode():
                    t = float((frame.pts - origin) * tb) if frame.pts is not None else reached
                    if t >= hi - eps:
                        video_done = True
                        break
                    if t >= lo - eps:
                        w, h = fit_size(frame.width, frame.height, size)
                        writer.write(frame.reformat(width=w, height=h, format="rgb24").to_ndarray())
                        reached = t + 1 / info.fps
            if video_done and (trimmer is None or trimmer.done):
                break
    except av.FFmpegError as exc:
        raise MediaError(f"{info.path}: video is corrupt: decoding failed near {reached:.2f} s ({exc})") from exc
    return min(reached, hi)


def thumbnail(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], time: float | None = None,
    size: Size | None = None, *, settings: MediaSettings | None = None,
) -> Path:  # fmt: skip
    """Save the frame at ``time`` seconds (default: the middle) of a video as PNG/JPEG (by suffix)."""
    info = probe(src, settings=settings)
    t = info.duration / 2 if time is None else float(time)
    frame = read_frame(info.path, 0.0 if info.is_image else t, size, settings=settings)
    return write_image(frame.image, dst)
