"""Read what a media file is without decoding it: size, rate, length, codec, audio; and its content hash.

Example
-------
>>> import numpy as np, tempfile, pathlib
>>> from generec.media import write_video, probe, media_record
>>> out = write_video([np.zeros((32, 32, 3), np.uint8)] * 8, pathlib.Path(tempfile.mkdtemp()) / "a.mp4", fps=8)
>>> info = probe(out)
>>> (info.width, info.height, info.fps, info.duration)
(32, 32, 8.0, 1.0)
>>> media_record(out).mime
'video/mp4'
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av

from generec.config import MediaSettings
from generec.errors import MediaError
from generec.media._checks import (
    IMAGE_SUFFIXES,
    VIDEO_SUFFIXES,
    check_dims,
    check_duration,
    check_file,
    is_image_path,
)
from generec.media.image import image_info
from generec.types import Media

_HASH_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What :func:`probe` learns from a file's headers. Images are one-frame "videos" with ``fps == 0``.

    ``frames`` comes from the container when it records it, else it is estimated as ``duration * fps``.

    Examples
    --------
    >>> VideoInfo(path=Path("a.mp4"), width=64, height=64, fps=8.0, frames=16, duration=2.0,
    ...           has_audio=False, codec="h264", mime="video/mp4").aspect
    1.0
    """

    path: Path
    width: int
    height: int
    fps: float
    frames: int
    duration: float
    has_audio: bool
    codec: str
    mime: str
    is_image: bool = False

    @property
    def aspect(self) -> float:
        return self.width / self.height


@contextlib.contextmanager
def open_video(
    path: str | os.PathLike[str], settings: MediaSettings | None = None
) -> Iterator[tuple[av.container.InputContainer, av.video.stream.VideoStream]]:
    """Open a checked file with PyAV and yield ``(container, first video stream)``; always closes it."""
    p = check_file(path, settings)
    try:
        container = av.open(str(p), mode="r")
    except av.FFmpegError as exc:
        raise MediaError(
            f"{p}: not a readable video: FFmpeg could not parse it ({exc.strerror or exc}); "
            "it may be corrupt, truncated, or another kind of file with a video suffix"
        ) from exc
    try:
        if not container.streams.video:
            raise MediaError(f"{p}: has no video stream (found: {_stream_kinds(container)}); pass a video file")
        yield container, container.streams.video[0]
    finally:
        container.close()


def _stream_kinds(container: av.container.InputContainer) -> str:
    kinds = [s.type for s in container.streams]
    return ", ".join(kinds) if kinds else "no streams"


def _mime(path: Path, container: av.container.InputContainer, codec: str) -> str:
    fmt = container.format.name
    if "mp4" in fmt or "mov" in fmt:
        return "video/quicktime" if path.suffix.lower() == ".mov" else "video/mp4"
    if "matroska" in fmt or "webm" in fmt:
        return "video/webm" if codec in ("vp8", "vp9", "av1") else "video/x-matroska"
    return VIDEO_SUFFIXES.get(path.suffix.lower(), f"video/x-{fmt.split(',')[0]}")


def _duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def _check_not_truncated(p: Path, container: av.container.InputContainer, stream, duration: float) -> None:
    """Seek near the end and demux (no decoding): if no packet lies near the end, the file is cut short.

    Containers whose index sits at the front (MP4 with faststart, WebM) still open when their tail is
    missing; without this check a reader would silently get part of the video.
    """
    if duration <= 0 or stream.time_base is None:
        return
    tb = stream.time_base
    start = stream.start_time or 0
    slack = max(1.0, 3.0 / float(stream.average_rate or 1))
    target = max(0.0, duration - slack)
    last = None
    try:
        container.seek(start + int(target / tb), stream=stream, backward=True)
        for packet in container.demux(stream):
            if packet.pts is not None:
                last = float((packet.pts - start) * tb)
    except av.FFmpegError as exc:
        raise MediaError(f"{p}: video is corrupt or truncated: reading near its end failed ({exc})") from exc
    if last is None or last < duration - slack - 1.0:
        ends = "no data" if last is None else f"data up to {last:.1f} s"
        raise MediaError(
            f"{p}: video is truncated: header says {duration:.1f} s but the file holds {ends}; "
            "re-download or re-export it"
        )
    container.seek(0, stream=stream, backward=True)


def probe(path: str | os.PathLike[str], *, settings: MediaSettings | None = None) -> VideoInfo:
    """Describe a video (or image) file from its headers; raise :class:`MediaError` for anything unusable.

    Checks: the file exists, is a non-empty regular file under ``settings.max_file_bytes``; FFmpeg can parse
    it; it has a video stream; frame size under ``max_pixels``; length under ``max_duration_s``; and the
    data reaches the end the header promises (truncated downloads are refused).
    """
    p = check_file(path, settings)
    if is_image_path(p):
        w, h, mime = image_info(p, settings=settings)
        return VideoInfo(p, w, h, 0.0, 1, 0.0, False, mime.split("/")[-1], mime, is_image=True)
    with open_video(p, settings) as (container, stream):
        cc = stream.codec_context
        width, height = cc.width, cc.height
        check_dims(p, width, height, settings)
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        duration = _duration(container, stream)
        check_duration(p, duration, settings)
        frames = stream.frames or (round(duration * fps) if fps else 0)
        _check_not_truncated(p, container, stream, duration)
        has_audio = bool(container.streams.audio)
        return VideoInfo(p, width, height, fps, int(frames), duration, has_audio, cc.name, _mime(p, container, cc.name))


def content_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB chunks (constant memory for any size)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def media_record(path: str | os.PathLike[str], *, settings: MediaSettings | None = None) -> Media:
    """The :class:`generec.types.Media` record of a video or image file (validated by :func:`probe`)."""
    info = probe(path, settings=settings)
    return Media(
        hash=content_hash(info.path),
        mime=info.mime,
        size_bytes=info.path.stat().st_size,
        width=info.width,
        height=info.height,
        frames=info.frames,
        fps=info.fps if not info.is_image else None,
        duration=info.duration if not info.is_image else None,
        has_audio=info.has_audio,
    )


__all__ = ["VideoInfo", "probe", "media_record", "content_hash", "open_video", "IMAGE_SUFFIXES"]
