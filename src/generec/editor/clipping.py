"""Personalized micro-video clipping (paper §5.1.2, Eq. 2).

Frames are sampled from the video and encoded as they are decoded (streamed: a
10-minute 720p film never sits in memory). Every run of ``clip_len`` consecutive
sampled frames (sliding by ``stride``) is a candidate clip, represented by the mean of
its frame features; the clip maximising ``t* · c`` is cut out of the source with its
audio by :func:`generec.media.cut` into a playable file.

Because the dot product is linear, ``t* · mean(f) = mean(t* · f)``: clip scores are a
moving average of frame scores, computed with one cumulative sum.

``similarity="cosine"`` (beyond the paper) scores ``cos(t*, c)`` instead. A clip mean is not
a unit vector: the more its frames differ, the shorter it is, so the dot product favours
clips of near-identical frames. Cosine@K, the paper's own metric, normalises what is shown,
so the cosine rule picks the clip that metric rewards; the paper's text ("highest similarity")
allows either, its Eq. 2 writes the dot product, which stays the default.

Example
-------
>>> import numpy as np
>>> from generec.editor.clipping import clip_scores
>>> starts, scores = clip_scores(np.array([0.0, 1.0, 1.0, 0.0]), clip_len=2, stride=1)
>>> starts.tolist(), scores.tolist()
([0, 1, 2], [0.5, 1.0, 0.5])
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from generec.editor.thumbnail_selection import (
    FrameFeatures,
    GuidanceSource,
    UserEmbMap,
    VideoInput,
    extract_frame_features,
    guidance_vector,
)
from generec.encoders import Encoder, FeatureCache
from generec.errors import ConfigError, MediaError
from generec.types import Guidance

CLIP_LENGTHS = (4, 8, 16, 32)
"""The clip lengths (in sampled frames) the paper tuned over; it chose 8."""

ClipSimilarity = Literal["dot", "cosine"]
"""How a clip mean ``c`` is scored against ``t*``: ``"dot"`` (Eq. 2 as written) or ``"cosine"``."""
SIMILARITIES: tuple[str, ...] = ("dot", "cosine")


def check_similarity(similarity: str) -> ClipSimilarity:
    """Return ``similarity`` if it is ``"dot"`` or ``"cosine"``, else raise :class:`ConfigError`."""
    if similarity not in SIMILARITIES:
        raise ConfigError(f"similarity must be 'dot' (the paper's Eq. 2) or 'cosine', got {similarity!r}")
    return similarity  # type: ignore[return-value]


def check_clip_params(clip_len: int, stride: int) -> None:
    """Raise :class:`ConfigError` unless ``clip_len`` and ``stride`` are positive integers."""
    for name, value in (("clip_len", clip_len), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ConfigError(f"{name} must be a positive whole number of frames, got {value!r}")


def clip_starts(n_frames: int, clip_len: int, stride: int) -> np.ndarray:
    """First frame of every candidate clip; a video shorter than ``clip_len`` is one clip (all of it)."""
    check_clip_params(clip_len, stride)
    if n_frames < 1:
        raise MediaError("the video has no sampled frames to clip")
    if n_frames <= clip_len:
        return np.zeros(1, dtype=np.int64)
    return np.arange(0, n_frames - clip_len + 1, stride, dtype=np.int64)


def clip_scores(frame_scores: np.ndarray, clip_len: int, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 2 scores ``t* · mean(f)`` of every candidate clip, from per-frame scores ``t* · f``."""
    s = np.asarray(frame_scores, dtype=np.float64)
    starts = clip_starts(len(s), clip_len, stride)
    length = min(clip_len, len(s))
    cs = np.concatenate([[0.0], np.cumsum(s)])
    return starts, (cs[starts + length] - cs[starts]) / length


def clip_means(features: np.ndarray, clip_len: int, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Starts ``[C]`` and representations ``c* [C, d]`` (mean frame feature) of every candidate clip."""
    f = np.asarray(features, dtype=np.float64)
    starts = clip_starts(len(f), clip_len, stride)
    length = min(clip_len, len(f))
    cs = np.concatenate([np.zeros_like(f[:1]), np.cumsum(f, axis=0)])
    return starts, (cs[starts + length] - cs[starts]) / length


def clip_cosines(features: np.ndarray, t: np.ndarray, clip_len: int, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ``cos(t, c*)`` of every candidate clip (the ``similarity="cosine"`` rule).

    Example
    -------
    >>> f = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> starts, cos = clip_cosines(f, np.array([1.0, 1.0]), clip_len=2)
    >>> starts.tolist(), cos.round(3).tolist()
    ([0, 1, 2], [0.707, 1.0, 0.949])
    """
    starts, means = clip_means(features, clip_len, stride)
    # a zero clip mean (or zero guidance) has no direction: it scores 0, like an orthogonal clip
    return starts, unit_rows(means) @ unit_rows(np.asarray(t, np.float64))


def unit_rows(x: np.ndarray) -> np.ndarray:
    """``x`` scaled to unit length along its last axis (a zero row stays zero: it has no direction)."""
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0)


def clip_features(features: np.ndarray, start: int, clip_len: int) -> np.ndarray:
    """The clip representation ``c*``: mean frame feature of frames ``start .. start+clip_len-1``."""
    return features[start : start + clip_len].mean(axis=0)


@dataclass(frozen=True)
class Clip:
    """The selected clip: frames ``first .. first+n_frames-1``, time range ``[start, end)`` s, ``score``."""

    first: int
    n_frames: int
    start: float
    end: float
    score: float
    path: Path | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start


class Clipper:
    """Cut each user's preferred clip out of a video (paper Eq. 2).

    Parameters
    ----------
    encoder : any :class:`~generec.encoders.Encoder`.
    clip_len : sampled frames per clip (``L``; the paper tried 4, 8, 16, 32 and chose 8).
    stride : how many sampled frames the window slides between candidates.
    similarity : ``"dot"`` (Eq. 2: ``t* · c``, the default) or ``"cosine"`` (``cos(t*, c)``; see the
        module docstring); ``Clip.score`` is that value.
    fps : sampling rate in frames per second (``None``: every frame of the source).
    frame_size : longest side at which frames are decoded for the encoder.
    cache : optional :class:`~generec.encoders.FeatureCache` for the frame features.

    Example
    -------
    >>> clipper = Clipper(encoder, clip_len=8, fps=2.0)                     # doctest: +SKIP
    >>> clip = clipper.clip("film.mp4", Guidance(user_hist=t), out="mine.mp4")  # doctest: +SKIP
    >>> clip.start, clip.end, clip.path                                    # doctest: +SKIP
    """

    def __init__(
        self,
        encoder: Encoder,
        clip_len: int = 8,
        stride: int = 1,
        fps: float | None = None,
        frame_size: int = 128,
        cache: FeatureCache | None = None,
        user_map: UserEmbMap | None = None,
        similarity: ClipSimilarity = "dot",
    ) -> None:
        check_clip_params(clip_len, stride)
        self.similarity = check_similarity(similarity)
        if fps is not None and fps <= 0:
            raise ConfigError(f"fps must be positive, got {fps}")
        self.encoder = encoder
        self.clip_len = int(clip_len)
        self.stride = int(stride)
        self.fps = fps
        self.frame_size = frame_size
        self.cache = cache
        self.user_map = user_map

    def frame_features(self, video: VideoInput) -> FrameFeatures:
        return extract_frame_features(self.encoder, video, fps=self.fps, frame_size=self.frame_size, cache=self.cache)

    def choose(self, video: VideoInput, guidance: Guidance | np.ndarray, source: GuidanceSource = "auto") -> Clip:
        """Find the best clip for ``guidance`` without writing anything."""
        t = guidance_vector(guidance, self.encoder, self.user_map, source)
        return self.choose_from_features(self.frame_features(video), t)

    def choose_from_features(self, feats: FrameFeatures, t: np.ndarray) -> Clip:
        if self.similarity == "cosine":
            starts, scores = clip_cosines(feats.features, t, self.clip_len, self.stride)
        else:
            starts, scores = clip_scores(feats.features @ t, self.clip_len, self.stride)
        best = int(np.argmax(scores))
        first = int(starts[best])
        n = min(self.clip_len, len(feats))
        start, end = time_range(feats, first, n)
        return Clip(first, n, start, end, float(scores[best]))

    def clip(
        self,
        video: str | os.PathLike[str],
        guidance: Guidance | np.ndarray,
        out: str | os.PathLike[str],
        source: GuidanceSource = "auto",
    ) -> Clip:
        """Choose the clip and write it to ``out`` (MP4/WebM, with the source's audio)."""
        if isinstance(video, np.ndarray):
            raise MediaError("clip() cuts a video file; write the frames with generec.media.write_video first")
        from generec.media import cut

        chosen = self.choose(video, guidance, source)
        path = cut(video, out, chosen.start, chosen.end)
        return Clip(chosen.first, chosen.n_frames, chosen.start, chosen.end, chosen.score, path)


def time_range(feats: FrameFeatures, first: int, n_frames: int) -> tuple[float, float]:
    """Seconds ``[start, end)`` covered by sampled frames ``first .. first+n_frames-1``."""
    start = float(feats.times[first])
    end = float(feats.times[first + n_frames - 1]) + 1.0 / feats.rate
    return max(0.0, start), min(feats.duration, end)
