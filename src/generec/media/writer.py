"""Write videos: MP4 (H.264, yuv420p) or WebM (VP9), streaming and byte-for-byte deterministic.

The world builder renders thousands of clips and promises "same seed, same bytes", so everything
time- or machine-dependent is switched off: FFmpeg's *bitexact* flags (no encoder version strings,
no random Matroska UIDs, no creation dates) and a fixed encoder thread count (x264/libvpx output
depends on it). Files appear atomically: frames stream into a temporary sibling that is renamed
when the writer closes, so readers never see half a video.

Example
-------
>>> import numpy as np, tempfile, pathlib
>>> from generec.media import write_video, probe
>>> frames = (np.full((64, 64, 3), i * 10, np.uint8) for i in range(16))
>>> out = write_video(frames, pathlib.Path(tempfile.mkdtemp()) / "clip.mp4", fps=8)
>>> probe(out).frames
16
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import av.codec.context
import av.container.core
import numpy as np

from generec.errors import MediaError
from generec.media._checks import temp_sibling
from generec.media.audio import Audio
from generec.media.image import as_rgb

_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".webm": "webm"}
DEFAULT_CRF = {"mp4": 23, "mov": 23, "webm": 32}
DEFAULT_THREADS = 2
"""Encoder threads. Fixed (not "auto") because encoder output depends on it: same bytes on any machine."""


# x264 CPU-feature names for /proc/cpuinfo flags, in x264's order. AVX-512 is left out on purpose.
_X264_CPU = [("sse", "MMX2"), ("sse", "SSE"), ("sse2", "SSE2"), ("sse2", "SSE2Fast"), ("pni", "SSE3"),
             ("ssse3", "SSSE3"), ("sse4_1", "SSE4"), ("sse4_2", "SSE4.2"), ("abm", "LZCNT"), ("avx", "AVX"),
             ("fma", "FMA3"), ("bmi1", "BMI1"), ("bmi2", "BMI2"), ("avx2", "AVX2")]  # fmt: skip


@functools.cache
def x264_deterministic_asm() -> str | None:
    """The x264 ``asm=`` value that keeps output reproducible on this machine (``None``: x264's default).

    x264's AVX-512 kernels make output vary from run to run (measured: 2-4 distinct files in 10
    identical 48x48 to 200x200 encodes on an AVX-512 EPYC); every other SIMD level was reproducible.
    So on x86-64 we list the CPU's features up to AVX2 from /proc/cpuinfo (about 1.3x slower than
    x264's default at 720p, 2.3x faster than no SIMD); where that file is missing, no SIMD at all.
    """
    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686", "x86"):
        return None  # no AVX-512 elsewhere (ARM: NEON)
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            line = next((ln for ln in f if ln.startswith("flags")), "")
    except OSError:
        return "0"
    flags = set(line.partition(":")[2].split())
    names = [name for flag, name in _X264_CPU if flag in flags]
    return ",".join(names) if names else "0"


def _fps_fraction(fps: float | Fraction) -> Fraction:
    rate = Fraction(fps).limit_denominator(1001)
    if rate <= 0 or rate > 1000:
        raise MediaError(f"fps must be in (0, 1000], got {fps}")
    return rate


class VideoWriter:
    """Stream frames (and optionally audio) into an MP4 or WebM file; format chosen by suffix.

    Parameters
    ----------
    path : output file, ``.mp4`` / ``.m4v`` / ``.mov`` (H.264 + AAC) or ``.webm`` (VP9 + Opus).
    fps : frames per second.
    crf : quality (lower is better); default 23 for H.264, 32 for VP9.
    preset : x264 speed preset (``"medium"``; ``"veryfast"`` for long re-encodes). Ignored for VP9.
    audio_rate, audio_channels : give these to add an audio track fed with :meth:`write_audio`.
    threads : encoder threads; keep it fixed for reproducible bytes.
    deterministic : same frames give the same bytes (default; see :func:`x264_deterministic_asm`).
        ``False`` lets x264 use all SIMD (AVX-512 too): ~1.3x faster at 720p, bytes may vary.
    gop : at most this many frames between keyframes (default: the encoder's, 250 for x264); smaller
        means faster seeking in the result, larger files.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> with VideoWriter(pathlib.Path(tempfile.mkdtemp()) / "a.webm", fps=4) as w:
    ...     for i in range(4):
    ...         w.write(np.zeros((32, 48, 3), np.uint8))
    >>> w.frames_written
    4
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: float | Fraction,
        *,
        crf: int | None = None,
        preset: str = "medium",
        audio_rate: int | None = None,
        audio_channels: int = 1,
        threads: int = DEFAULT_THREADS,
        deterministic: bool = True,
        gop: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.format = _FORMATS.get(self.path.suffix.lower())
        if self.format is None:
            raise MediaError(f"{self.path}: cannot write video with suffix '{self.path.suffix}'; use .mp4 or .webm")
        self.rate = _fps_fraction(fps)
        self.crf = DEFAULT_CRF[self.format] if crf is None else int(crf)
        self.preset, self.threads, self.deterministic = preset, int(threads), deterministic
        if gop is not None and gop < 1:
            raise MediaError(f"gop must be at least 1 frame, got {gop}")
        self.gop = gop
        self.audio_rate, self.audio_channels = audio_rate, audio_channels
        if audio_channels not in (1, 2):
            raise MediaError(f"audio_channels must be 1 or 2, got {audio_channels}")
        self.frames_written = 0
        self.audio_samples_written = 0
        self.size: tuple[int, int] | None = None  # (width, height) of the encoded frames
        self._tmp = temp_sibling(self.path)
        self._container: av.container.OutputContainer | None = None
        self._video = self._audio = None
        self._pending_audio: list[np.ndarray] = []
        self._closed = False

    # -- opening ---------------------------------------------------------------------------------
    def _open(self, width: int, height: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        opts = {"movflags": "+faststart"} if self.format in ("mp4", "mov") else {}
        c = av.open(str(self._tmp), mode="w", format=self.format, options=opts)
        c.flags |= av.container.core.Flags.bitexact.value
        self._container = c
        if self.format == "webm":
            v = c.add_stream("libvpx-vp9", rate=self.rate)
            v.codec_context.bit_rate = 0  # constant-quality mode: crf alone sets quality
            v.options = {"crf": str(self.crf), "deadline": "good", "cpu-used": "4", "row-mt": "1"}
        else:
            v = c.add_stream("libx264", rate=self.rate)
            v.options = {"crf": str(self.crf), "preset": self.preset}
            asm = x264_deterministic_asm() if self.deterministic else None
            if asm is not None:
                v.options["x264-params"] = f"asm={asm}"
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        v.codec_context.thread_count = self.threads
        if self.gop is not None:
            v.codec_context.gop_size = self.gop
        v.codec_context.flags |= av.codec.context.Flags.bitexact.value
        v.codec_context.time_base = 1 / self.rate
        self._video = v
        if self.audio_rate is not None:
            codec, rate = ("libopus", 48000) if self.format == "webm" else ("aac", int(self.audio_rate))
            a = c.add_stream(codec, rate=rate, layout="mono" if self.audio_channels == 1 else "stereo")
            a.codec_context.flags |= av.codec.context.Flags.bitexact.value
            a.codec_context.thread_count = 1
            self._audio = a
        self.size = (width, height)

    # -- writing ---------------------------------------------------------------------------------
    def write(self, frame: np.ndarray) -> None:
        """Append one ``uint8`` ``H x W x 3`` RGB frame. Odd sizes are padded to even by repeating the edge."""
        img = as_rgb(frame, what=f"frame {self.frames_written}")
        h, w = img.shape[:2]
        if h % 2 or w % 2:  # yuv420p needs even dimensions; repeat the edge rather than lose content
            img = np.pad(img, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
        if self._container is None:
            self._open(img.shape[1], img.shape[0])
            for chunk in self._pending_audio:
                self._encode_audio(chunk)
            self._pending_audio.clear()
        elif (img.shape[1], img.shape[0]) != self.size:
            raise MediaError(
                f"{self.path}: frame {self.frames_written} is {w}x{h} but the video is "
                f"{self.size[0]}x{self.size[1]}; all frames must have one size (see generec.media.resize)"
            )
        vf = av.VideoFrame.from_ndarray(img, format="rgb24")
        vf.pts = self.frames_written
        vf.time_base = 1 / self.rate
        self._mux(self._video.encode(vf))
        self.frames_written += 1

    def write_audio(self, samples: np.ndarray) -> None:
        """Append audio: ``float32`` ``(channels, n)`` or ``(n,)`` samples at ``audio_rate``."""
        if self.audio_rate is None:
            raise MediaError(f"{self.path}: this writer has no audio track; pass audio_rate= when creating it")
        s = Audio(samples, self.audio_rate).planar()
        if s.shape[0] != self.audio_channels:
            s = np.repeat(s, self.audio_channels, 0) if s.shape[0] == 1 else s.mean(0, keepdims=True)
        if self._container is None:
            self._pending_audio.append(s)
        else:
            self._encode_audio(s)

    def _encode_audio(self, s: np.ndarray) -> None:
        if s.shape[1] == 0:
            return
        af = av.AudioFrame.from_ndarray(s, format="fltp", layout="mono" if s.shape[0] == 1 else "stereo")
        af.sample_rate = self.audio_rate
        af.pts = self.audio_samples_written
        af.time_base = Fraction(1, self.audio_rate)
        self._mux(self._audio.encode(af))
        self.audio_samples_written += s.shape[1]

    def _mux(self, packets: list) -> None:
        if packets:
            self._container.mux(packets)

    # -- closing ---------------------------------------------------------------------------------
    def close(self) -> Path:
        """Flush the encoders and move the finished file into place. Returns the path."""
        if self._closed:
            return self.path
        self._closed = True
        if self._container is None:
            raise MediaError(f"{self.path}: no frames were written; a video needs at least one frame")
        try:
            self._mux(self._video.encode(None))
            if self._audio is not None:
                self._mux(self._audio.encode(None))
            self._container.close()
            os.replace(self._tmp, self.path)
        finally:
            self._tmp.unlink(missing_ok=True)
        return self.path

    def abort(self) -> None:
        """Drop everything written so far; the destination is left untouched."""
        self._closed = True
        if self._container is not None:
            # closing a half-written file may fail; it is deleted anyway
            with contextlib.suppress(av.FFmpegError, OSError):
                self._container.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if et is None:
            self.close()
        else:
            self.abort()


def write_video(
    frames: Iterable[np.ndarray],
    path: str | os.PathLike[str],
    fps: float | Fraction,
    *,
    audio: Audio | tuple[np.ndarray, int] | None = None,
    crf: int | None = None,
    preset: str = "medium",
    threads: int = DEFAULT_THREADS,
    deterministic: bool = True,
    gop: int | None = None,
) -> Path:
    """Encode an iterable of RGB frames to ``path`` (MP4/H.264 or WebM/VP9 by suffix); same frames, same bytes.

    Frames are consumed one at a time (pass a generator for long videos). ``audio`` (samples, rate)
    is muxed alongside, cut to the video's length. Raises :class:`MediaError` for bad frames, an
    empty iterable or an unknown suffix; the destination is then left untouched.
    """
    track = None if audio is None else (audio if isinstance(audio, Audio) else Audio(*audio))
    samples = None if track is None else track.planar()
    writer = VideoWriter(
        path, fps, crf=crf, preset=preset, threads=threads, deterministic=deterministic, gop=gop,
        audio_rate=None if track is None else track.rate,
        audio_channels=1 if samples is None else samples.shape[0],
    )  # fmt: skip
    with writer:
        done = 0  # audio samples handed to the writer: keep audio interleaved with video as it streams
        for frame in frames:
            writer.write(frame)
            if samples is not None:
                upto = min(samples.shape[1], round(writer.frames_written / writer.rate * track.rate))
                if upto > done:
                    writer.write_audio(samples[:, done:upto])
                    done = upto
    return writer.path
