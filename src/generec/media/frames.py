"""Stream frames out of a video in bounded memory: all of them, ``count`` evenly spaced, or at ``fps``.

Only one decoded frame (plus one of look-ahead) is alive at a time, whatever the file's length, so a
10-minute 720p film samples in a few tens of MiB. Between far-apart targets the reader *seeks* (to the
keyframe before the target, then decodes forward) instead of decoding everything in between; near
targets are reached by decoding and dropping. Only kept frames are converted to RGB and resized
(FFmpeg's swscale, in C), which is where most of the per-frame cost would otherwise go.

Truncated files are refused up front by :func:`~generec.media.probe`; if decoding still ends before
the length the header promised, the frames read so far are yielded and then :class:`MediaError` is
raised, so a caller never silently gets a shorter video.

Example
-------
>>> import numpy as np, tempfile, pathlib
>>> from generec.media import write_video
>>> from generec.media.frames import iter_frames
>>> src = write_video([np.full((32, 32, 3), 9 * i, np.uint8) for i in range(16)],
...                   pathlib.Path(tempfile.mkdtemp()) / "a.mp4", fps=8)
>>> [f.index for f in iter_frames(src, count=4)]
[2, 6, 10, 14]
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from generec.config import MediaSettings
from generec.errors import MediaError
from generec.media.image import Size, fit_size, read_image, resize
from generec.media.probe import VideoInfo, open_video, probe

SEEK_GAP_S = 2.0
"""Seek when the next target is further ahead than this; closer targets are reached by decoding on."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame: ``index`` in the source (from its timestamp), ``time`` in seconds, RGB ``image``."""

    index: int
    time: float
    image: np.ndarray


def sample_times(
    info: VideoInfo, *, count: int | None = None, fps: float | None = None,
    start: float | None = None, end: float | None = None,
) -> np.ndarray | None:  # fmt: skip
    """Target times in seconds for ``count`` (centres of equal bins) or ``fps`` sampling; ``None`` = every frame."""
    if count is not None and fps is not None:
        raise MediaError("give either count= or fps=, not both")
    lo = 0.0 if start is None else max(0.0, float(start))
    hi = info.duration if end is None else min(float(end), info.duration)
    if hi <= lo:
        raise MediaError(
            f"{info.path}: empty time range [{lo:.2f}, {hi:.2f}) s (the video lasts {info.duration:.2f} s)"
        )
    if count is not None:
        if count <= 0:
            raise MediaError(f"count must be positive, got {count}")
        return lo + (np.arange(count) + 0.5) * (hi - lo) / count
    if fps is not None:
        if fps <= 0:
            raise MediaError(f"fps must be positive, got {fps}")
        return lo + np.arange(int(np.ceil((hi - lo) * fps - 1e-9))) / fps
    return None


class _Cursor:
    """Decoded frames of one stream with one frame of look-ahead; re-positionable by seeking."""

    def __init__(self, path: Path, container: av.container.InputContainer, stream) -> None:
        self.path, self.container, self.stream = path, container, stream
        self.tb = stream.time_base
        self.start_pts = stream.start_time or 0
        self.fps = float(stream.average_rate or stream.guessed_rate or 25)
        self.last_time = -1.0
        self.target = -np.inf  # time of the frame wanted next: frames well before it need not be shown
        self._cc = stream.codec_context
        self._skip_before = 2.0 / self.fps
        self._it = self._decode()
        self.ahead: tuple[float, av.VideoFrame] | None = None
        self.shown: tuple[float, av.VideoFrame] | None = None  # the frame last returned by frame_at

    def _decode(self) -> Iterator[tuple[float, av.VideoFrame]]:
        try:
            for packet in self.container.demux(self.stream):
                # A frame that nothing references and that is shown well before the target can be dropped
                # by the decoder itself (it never reaches the picture): ~2x faster approach after a seek.
                early = (
                    packet.pts is not None and (packet.pts - self.start_pts) * self.tb < self.target - self._skip_before
                )
                self._cc.skip_frame = "NONREF" if early else "DEFAULT"
                for frame in packet.decode():
                    if frame.pts is None:  # no timestamp: assume the nominal frame rate
                        t = self.last_time + 1.0 / self.fps
                    else:
                        t = float((frame.pts - self.start_pts) * self.tb)
                    self.last_time = t
                    yield t, frame
        except av.FFmpegError as exc:
            raise MediaError(
                f"{self.path}: video is corrupt: decoding failed near {self.last_time:.2f} s ({exc})"
            ) from exc

    def peek(self) -> tuple[float, av.VideoFrame] | None:
        if self.ahead is None:
            self.ahead = next(self._it, None)
        return self.ahead

    def pop(self) -> tuple[float, av.VideoFrame] | None:
        item = self.peek()
        self.ahead = None
        return item

    def seek(self, t: float) -> None:
        self.container.seek(self.start_pts + int(t / self.tb), stream=self.stream, backward=True)
        self.last_time = t
        self._it, self.ahead, self.shown = self._decode(), None, None

    def frame_at(self, t: float) -> tuple[float, av.VideoFrame] | None:
        """The frame on screen at time ``t``: the last one starting at or before ``t`` (else the first after)."""
        eps = 1e-3 / self.fps
        self.target = t
        shown = self.shown if self.shown is not None and self.shown[0] <= t + eps else None
        while (nxt := self.peek()) is not None and nxt[0] <= t + eps:
            shown = self.pop()
        self.shown = shown if shown is not None else self.peek()
        return self.shown


def _to_frame(cursor: _Cursor, item: tuple[float, av.VideoFrame], size: Size | None, info: VideoInfo) -> Frame:
    t, vf = item
    w, h = fit_size(vf.width, vf.height, size)
    rgb = vf.reformat(width=w, height=h, format="rgb24", interpolation="BILINEAR").to_ndarray()
    return Frame(index=max(0, round(t * cursor.fps)), time=max(0.0, t), image=rgb)


def _truncated(info: VideoInfo, reached: float) -> MediaError:
    return MediaError(
        f"{info.path}: video is truncated or corrupt: frames stop at {reached:.2f} s of {info.duration:.2f} s"
    )


def iter_frames(
    path: str | os.PathLike[str], *, count: int | None = None, fps: float | None = None, size: Size | None = None,
    start: float | None = None, end: float | None = None, settings: MediaSettings | None = None,
) -> Iterator[Frame]:  # fmt: skip
    """Yield frames of a video (or the one frame of an image), decoded one at a time.

    Parameters
    ----------
    count : that many frames, at the centres of ``count`` equal slices of ``[start, end)``.
    fps : frames at this rate over ``[start, end)`` (frames repeat if it exceeds the source rate).
    size : ``(w, h)`` exactly, or an ``int`` for the longest side (aspect kept); ``None`` = source size.
    start, end : seconds; default the whole video. Without ``count``/``fps`` every frame in range is yielded.
    """
    info = probe(path, settings=settings)
    if info.is_image:  # an image is a one-frame video: whatever the sampling, that frame
        image = read_image(info.path, settings=settings)
        yield Frame(0, 0.0, resize(image, size) if size else image)
        return
    times = sample_times(info, count=count, fps=fps, start=start, end=end)
    with open_video(info.path, settings) as (container, stream):
        stream.thread_type = "AUTO"  # frame-threaded decoding; output is identical, only faster
        cursor = _Cursor(info.path, container, stream)
        if times is None:
            yield from _every_frame(cursor, info, size, start, end)
            return
        for t in times:
            here = cursor.peek()
            if t > 0 and (here is None or t - here[0] > SEEK_GAP_S):
                cursor.seek(t)
            item = cursor.frame_at(t)
            if item is None:
                raise _truncated(info, cursor.last_time)
            yield _to_frame(cursor, item, size, info)


def _every_frame(
    cursor: _Cursor, info: VideoInfo, size: Size | None, start: float | None, end: float | None
) -> Iterator[Frame]:
    lo = 0.0 if start is None else float(start)
    hi = info.duration if end is None else min(float(end), info.duration)
    if lo > 0:
        cursor.seek(lo)
        cursor.target = lo  # frames before the range are only decoded as far as others need them
    eps = 1e-3 / cursor.fps
    reached = -1.0
    while (item := cursor.pop()) is not None:
        t = item[0]
        if t >= hi - eps:
            return
        reached = t
        if t >= lo - eps:
            yield _to_frame(cursor, item, size, info)
    if reached < hi - max(1.0, 3.0 / cursor.fps):
        raise _truncated(info, max(reached, 0.0))


def read_frame(
    path: str | os.PathLike[str], time: float, size: Size | None = None, *, settings: MediaSettings | None = None
) -> Frame:
    """The frame on screen at ``time`` seconds (seeks; decodes at most one GOP)."""
    info = probe(path, settings=settings)
    if info.is_image:
        return next(iter_frames(info.path, size=size, settings=settings))
    if not 0 <= time < info.duration:
        raise MediaError(f"{info.path}: time {time:.2f} s is outside the video (0 to {info.duration:.2f} s)")
    with open_video(info.path, settings) as (container, stream):
        cursor = _Cursor(info.path, container, stream)
        if time > 0:
            cursor.seek(time)
        item = cursor.frame_at(time)
        if item is None:
            raise _truncated(info, cursor.last_time)
        return _to_frame(cursor, item, size, info)


def sample_frames(
    path: str | os.PathLike[str], count: int, size: Size | None = None, *, settings: MediaSettings | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` evenly spaced frames as ``(times [N], frames [N, H, W, 3] uint8)``; memory ~ the result only."""
    times: list[float] = []
    out: np.ndarray | None = None
    for i, frame in enumerate(iter_frames(path, count=count, size=size, settings=settings)):
        if out is None:  # allocate once, fill in place: no list of arrays plus a stacked copy
            out = np.empty((count, *frame.image.shape), np.uint8)
        out[i] = frame.image
        times.append(frame.time)
    assert out is not None
    return np.asarray(times, dtype=np.float64), out
