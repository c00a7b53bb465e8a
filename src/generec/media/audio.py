"""Audio samples as numpy arrays: read a segment of a file's soundtrack, sample-exact, in bounded memory.

Example
-------
>>> import numpy as np, tempfile, pathlib
>>> from generec.media import write_video, Audio
>>> from generec.media.audio import read_audio
>>> tone = np.sin(np.arange(44100) / 44100 * 2 * np.pi * 440).astype(np.float32)
>>> out = write_video([np.zeros((32, 32, 3), np.uint8)] * 8, pathlib.Path(tempfile.mkdtemp()) / "a.mp4",
...                   fps=8, audio=Audio(tone, 44100))
>>> a = read_audio(out, start=0.25, end=0.75)
>>> a.rate, a.samples.shape
(44100, (1, 22050))
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import av
import numpy as np

from generec.config import MediaSettings
from generec.errors import MediaError


@dataclass(frozen=True, slots=True)
class Audio:
    """Audio samples: ``float32`` in [-1, 1], shape ``(channels, n)`` (or ``(n,)`` for mono), at ``rate`` Hz.

    Examples
    --------
    >>> Audio(np.zeros(48000, np.float32), 48000).duration
    1.0
    """

    samples: np.ndarray
    rate: int

    def planar(self) -> np.ndarray:
        """The samples as a contiguous ``float32`` ``(channels, n)`` array (1 or 2 channels)."""
        s = np.asarray(self.samples, dtype=np.float32)
        s = s[None, :] if s.ndim == 1 else s
        if s.ndim != 2 or s.shape[0] not in (1, 2):
            raise MediaError(f"audio samples must have shape (n,) or (1|2, n), got {np.shape(self.samples)}")
        if self.rate <= 0:
            raise MediaError(f"audio rate must be positive, got {self.rate}")
        return np.ascontiguousarray(s)

    @property
    def duration(self) -> float:
        return self.planar().shape[1] / self.rate


class AudioTrimmer:
    """Decode one audio stream packet by packet and keep exactly the samples in ``[start, end)`` seconds.

    Samples are cut by absolute index, so consecutive segments join without gaps or overlaps, and
    output is ``float32`` ``(channels<=2, n)`` whatever the source's sample format.
    """

    def __init__(self, stream: av.audio.stream.AudioStream, start: float, end: float) -> None:
        cc = stream.codec_context
        self.stream, self.rate = stream, cc.sample_rate
        self.channels = 1 if cc.channels == 1 else 2
        self._resampler = av.AudioResampler(format="fltp", layout="mono" if self.channels == 1 else "stereo",
                                            rate=self.rate)  # fmt: skip
        self.next, self.last = round(start * self.rate), round(end * self.rate)
        self._origin = stream.start_time or 0

    @property
    def done(self) -> bool:
        return self.next >= self.last

    def feed(self, packet: av.Packet) -> list[np.ndarray]:
        """Decode ``packet`` (an empty one flushes) and return the chunks that fall in the segment."""
        chunks = []
        for frame in packet.decode():
            if frame.pts is None or self.done:
                continue
            at = round(float((frame.pts - self._origin) * self.stream.time_base) * self.rate)
            for out in self._resampler.resample(frame):
                data = out.to_ndarray()
                lo, hi = max(0, self.next - at), min(data.shape[1], self.last - at)
                if hi > lo:
                    chunks.append(np.ascontiguousarray(data[:, lo:hi], dtype=np.float32))
                    self.next = at + hi
                at += data.shape[1]
        return chunks


def read_audio(
    path: str | os.PathLike[str], *, start: float = 0.0, end: float | None = None,
    settings: MediaSettings | None = None,
) -> Audio:  # fmt: skip
    """The soundtrack of ``path`` in ``[start, end)`` as :class:`Audio`; :class:`MediaError` if it has none."""
    from generec.media.probe import open_video, probe

    info = probe(path, settings=settings)
    hi = info.duration if end is None else min(end, info.duration)
    with open_video(info.path, settings) as (container, _):
        if not container.streams.audio:
            raise MediaError(f"{info.path}: has no audio stream")
        stream = container.streams.audio[0]
        if start > 0:
            container.seek(int(start * av.time_base) + (container.start_time or 0), backward=True)
        trimmer = AudioTrimmer(stream, start, hi)
        chunks: list[np.ndarray] = []
        try:
            for packet in container.demux(stream):
                chunks += trimmer.feed(packet)
                if trimmer.done:
                    break
        except av.FFmpegError as exc:
            raise MediaError(f"{info.path}: audio is corrupt ({exc})") from exc
        samples = np.concatenate(chunks, axis=1) if chunks else np.zeros((trimmer.channels, 0), np.float32)
        return Audio(samples, trimmer.rate)
