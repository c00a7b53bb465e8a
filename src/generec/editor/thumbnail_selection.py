"""Personalized thumbnail selection (paper §5.1.1, Eq. 1).

The user representation ``t*`` is a guidance vector in the encoder's space: the mean
feature of the thumbnails of the user's liked items (*User_Hist*), the recommender's user
embedding mapped into the encoder space (*User_Emb*, through :class:`UserEmbMap`), or an
instruction text ("a cover with the dog"). Candidate frames are sampled from the video and
the frame maximising ``t* · f(frame)`` becomes the thumbnail.

Frame features are the expensive part, so :func:`extract_frame_features` keys them in a
:class:`~generec.encoders.FeatureCache` on (encoder id, file hash, sampling) and the clipper,
the batch job and the evaluation all reuse them.

Example
-------
>>> import numpy as np
>>> from generec.editor.thumbnail_selection import select_frame
>>> feats = np.eye(3, dtype=np.float32)
>>> select_frame(feats, np.array([0.1, 0.9, 0.0], np.float32))
1
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from generec.encoders import Encoder, FeatureCache, l2_normalize
from generec.errors import ConfigError, MediaError, ModelError
from generec.types import Guidance

GuidanceSource = Literal["auto", "instruction", "user_hist", "user_emb"]
VideoInput = str | os.PathLike[str] | np.ndarray


@dataclass(frozen=True)
class FrameFeatures:
    """Encoder features of frames sampled from one video.

    ``times[k]`` is when frame ``k`` is on screen (seconds), ``features[k]`` its unit vector,
    ``rate`` the sampling rate in frames per second (the spacing of ``times``) and
    ``duration`` the video's length in seconds.
    """

    times: np.ndarray
    features: np.ndarray
    rate: float
    duration: float

    def __len__(self) -> int:
        return len(self.times)


def _frame_params(count: int | None, fps: float | None, frame_size: int) -> dict[str, Any]:
    if count is not None and count < 1:
        raise ConfigError(f"the number of candidate frames must be at least 1, got {count}")
    if fps is not None and fps <= 0:
        raise ConfigError(f"the sampling rate must be positive, got fps={fps}")
    if frame_size < 8:
        raise ConfigError(f"frame_size must be at least 8 pixels, got {frame_size}")
    return {"kind": "frame_features", "count": count, "fps": fps, "size": frame_size}


def extract_frame_features(
    encoder: Encoder,
    video: VideoInput,
    *,
    count: int | None = None,
    fps: float | None = None,
    frame_size: int = 128,
    source_fps: float = 8.0,
    cache: FeatureCache | None = None,
) -> FrameFeatures:
    """Sample frames from ``video`` and encode them, streaming (one decoded frame alive at a time).

    Parameters
    ----------
    video : a file path, or frames ``[T, H, W, 3]`` uint8 already in memory (shown at ``source_fps``).
    count, fps : ``count`` evenly spaced frames, or frames at ``fps``; neither = every frame.
    frame_size : longest side frames are decoded at (the encoder resizes again to its own input).
    cache : where features are kept across calls, keyed by encoder id and the file's content hash.
    """
    params = _frame_params(count, fps, frame_size)
    if isinstance(video, np.ndarray):
        return _features_of_array(encoder, video, count, source_fps)
    from generec.media import content_hash, iter_frames, probe

    info = probe(video)
    if info.is_image:
        raise MediaError(f"{info.path} is an image; thumbnail selection and clipping need a video")

    def compute() -> np.ndarray:
        times: list[float] = []

        def frames():
            for frame in iter_frames(info.path, count=count, fps=fps, size=frame_size):
                times.append(frame.time)
                yield frame.image

        per_frame, _ = encoder.encode_video(frames())
        return np.concatenate([np.asarray(times, np.float32)[:, None], per_frame], axis=1)

    if cache is None:
        packed = compute()
    else:
        packed = cache.get_or_compute(encoder.id, content_hash(info.path), compute, params=params)
    rate = fps if fps is not None else (count / info.duration if count is not None else info.fps)
    return FrameFeatures(packed[:, 0].astype(np.float64), packed[:, 1:].astype(np.float32), float(rate), info.duration)


def _features_of_array(encoder: Encoder, frames: np.ndarray, count: int | None, source_fps: float) -> FrameFeatures:
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise MediaError(f"frames must be a non-empty [T, H, W, 3] uint8 array, got shape {frames.shape}")
    if source_fps <= 0:
        raise ConfigError(f"source_fps must be positive, got {source_fps}")
    idx = np.arange(len(frames))
    if count is not None and count < len(frames):
        idx = np.unique(np.linspace(0, len(frames) - 1, count).round().astype(int))
    per_frame, _ = encoder.encode_video(frames[idx])
    rate = source_fps * len(idx) / len(frames)
    return FrameFeatures(idx / source_fps, per_frame, rate, len(frames) / source_fps)


# ------------------------------------------------------------------------------------------ guidance
def user_hist(liked_features: np.ndarray) -> np.ndarray:
    """User_Hist: the normalised mean of the (normalised) features of a user's liked thumbnails."""
    x = np.asarray(liked_features, dtype=np.float32)
    if x.ndim != 2 or len(x) == 0:
        raise ModelError("User_Hist needs at least one liked thumbnail feature ([M, d]); the history is empty")
    return l2_normalize(l2_normalize(x).mean(axis=0))


class UserEmbMap:
    """User_Emb: a linear map from recommender user embeddings into the encoder space.

    Fitted by ridge-regularised least squares on (user_emb, user_hist) pairs of users who
    have a history, so a user's collaborative embedding can steer selection on its own.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> emb = rng.normal(size=(50, 6)); hist = emb @ rng.normal(size=(6, 4))
    >>> m = UserEmbMap(alpha=1e-6).fit(emb, hist)
    >>> float(np.abs(m.transform(emb) - l2_normalize(hist)).max()) < 1e-3
    True
    """

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def fit(self, user_emb: np.ndarray, user_hist: np.ndarray) -> UserEmbMap:
        x = np.asarray(user_emb, dtype=np.float64)
        y = np.asarray(user_hist, dtype=np.float64)
        if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) < 2:
            raise ModelError(f"UserEmbMap needs aligned [n, e] and [n, d] arrays with n >= 2, got {x.shape}, {y.shape}")
        self.mean_ = x.mean(axis=0)
        xc = x - self.mean_
        a = xc.T @ xc + self.alpha * np.eye(x.shape[1])
        self.coef_ = np.linalg.solve(a, xc.T @ (y - y.mean(axis=0)))
        self.intercept_ = y.mean(axis=0)
        return self

    def transform(self, user_emb: np.ndarray) -> np.ndarray:
        if not hasattr(self, "coef_"):
            raise ModelError("UserEmbMap is not fitted: call fit(user_emb, user_hist) first")
        x = np.atleast_2d(np.asarray(user_emb, dtype=np.float64))
        if x.shape[1] != self.coef_.shape[0]:
            raise ModelError(f"user embedding has width {x.shape[1]}, the map was fitted on {self.coef_.shape[0]}")
        out = l2_normalize((x - self.mean_) @ self.coef_ + self.intercept_)
        return out[0] if np.ndim(user_emb) == 1 else out


def guidance_vector(
    guidance: Guidance | np.ndarray,
    encoder: Encoder | None = None,
    user_map: UserEmbMap | None = None,
    source: GuidanceSource = "auto",
) -> np.ndarray:
    """The unit vector ``t*`` of Eq. 1 from a :class:`~generec.types.Guidance` (or a raw vector).

    ``source="auto"`` prefers an explicit instruction (what the user asked for), then
    User_Hist, then User_Emb. Raises :class:`ModelError` when the chosen signal is missing.
    """
    if isinstance(guidance, np.ndarray):
        return _unit(guidance, "guidance vector")
    order = ("instruction", "user_hist", "user_emb") if source == "auto" else (source,)
    for name in order:
        vec = _from_source(guidance, name, encoder, user_map)
        if vec is not None:
            return vec
    raise ModelError(
        f"the guidance has no usable signal for source={source!r}: give an instruction text, "
        "a user_hist vector (mean liked-thumbnail feature) or a user_emb with a fitted UserEmbMap"
    )


def _from_source(g: Guidance, name: str, encoder: Encoder | None, user_map: UserEmbMap | None) -> np.ndarray | None:
    if name == "instruction":
        if g.instruction_emb is not None:
            return _unit(g.instruction_emb, "instruction_emb")
        if g.instruction_text and g.instruction_text.strip():
            if encoder is None:
                raise ModelError("an instruction text needs an encoder to embed it (pass encoder=...)")
            return encoder.encode_texts([g.instruction_text])[0]
        return None
    if name == "user_hist":
        return None if g.user_hist is None else _unit(g.user_hist, "user_hist")
    if name == "user_emb":
        if g.user_emb is None:
            return None
        if user_map is None:
            raise ModelError("User_Emb guidance needs a fitted UserEmbMap to reach the encoder space")
        return user_map.transform(np.asarray(g.user_emb))
    raise ConfigError(f"unknown guidance source {name!r}; use auto, instruction, user_hist or user_emb")


def _unit(vec: np.ndarray, what: str) -> np.ndarray:
    v = np.asarray(vec, dtype=np.float32).reshape(-1)
    if v.size == 0 or not np.isfinite(v).all() or not np.any(v):
        raise ModelError(f"{what} must be a finite, non-zero vector")
    return l2_normalize(v)


def select_frame(features: np.ndarray, t: np.ndarray) -> int:
    """Eq. 1: index of the frame whose feature has the highest dot product with ``t``."""
    if len(features) == 0:
        raise MediaError("no candidate frames to select from")
    if features.shape[1] != t.shape[-1]:
        raise ModelError(f"guidance has width {t.shape[-1]} but frame features have {features.shape[1]}")
    return int(np.argmax(features @ t))


# ------------------------------------------------------------------------------------------ selector
@dataclass(frozen=True)
class Thumbnail:
    """The selected frame: its ``index`` among the candidates, ``time`` (s), ``score`` and all ``scores``."""

    index: int
    time: float
    score: float
    scores: np.ndarray
    image: np.ndarray
    path: Path | None = None


class ThumbnailSelector:
    """Select each user's thumbnail from a video's frames (paper Eq. 1).

    Parameters
    ----------
    encoder : any :class:`~generec.encoders.Encoder`.
    n_frames : candidate frames, evenly spaced over the video (``None``: every frame).
    frame_size : longest side at which frames are decoded.
    cache : optional :class:`~generec.encoders.FeatureCache` for the frame features.
    user_map : a fitted :class:`UserEmbMap`, needed only for User_Emb guidance.

    Example
    -------
    >>> sel = ThumbnailSelector(encoder, n_frames=32)                      # doctest: +SKIP
    >>> thumb = sel.select("video.mp4", Guidance(instruction_text="a dog"), out="cover.png")  # doctest: +SKIP
    >>> thumb.time, thumb.path                                              # doctest: +SKIP
    """

    def __init__(
        self,
        encoder: Encoder,
        n_frames: int | None = 32,
        frame_size: int = 128,
        cache: FeatureCache | None = None,
        user_map: UserEmbMap | None = None,
    ) -> None:
        _frame_params(n_frames, None, frame_size)
        self.encoder = encoder
        self.n_frames = n_frames
        self.frame_size = frame_size
        self.cache = cache
        self.user_map = user_map

    def frame_features(self, video: VideoInput) -> FrameFeatures:
        return extract_frame_features(
            self.encoder, video, count=self.n_frames, frame_size=self.frame_size, cache=self.cache
        )

    def select(
        self,
        video: VideoInput,
        guidance: Guidance | np.ndarray,
        out: str | os.PathLike[str] | None = None,
        source: GuidanceSource = "auto",
    ) -> Thumbnail:
        """Pick the frame for ``guidance``; write it to ``out`` (PNG/JPEG) when given."""
        t = guidance_vector(guidance, self.encoder, self.user_map, source)
        feats = self.frame_features(video)
        scores = feats.features @ t
        k = select_frame(feats.features, t)
        image = self._pixels(video, feats, k)
        path = None
        if out is not None:
            from generec.media import write_image

            path = write_image(image, out)
        return Thumbnail(k, float(feats.times[k]), float(scores[k]), scores, image, path)

    def _pixels(self, video: VideoInput, feats: FrameFeatures, k: int) -> np.ndarray:
        if isinstance(video, np.ndarray):
            n = len(video)
            idx = np.arange(n) if self.n_frames is None or self.n_frames >= n else np.unique(
                np.linspace(0, n - 1, self.n_frames).round().astype(int))  # fmt: skip
            return video[idx[k]]
        from generec.media import read_frame

        return read_frame(video, float(feats.times[k])).image


def stack_guidance(vectors: Sequence[np.ndarray]) -> np.ndarray:
    """Stack per-user guidance vectors into a unit-row matrix ``[U, d]``."""
    if len(vectors) == 0:
        raise ModelError("no guidance vectors to stack")
    return l2_normalize(np.stack([np.asarray(v, np.float32).reshape(-1) for v in vectors]))
