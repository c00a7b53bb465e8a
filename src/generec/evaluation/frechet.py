"""Frechet distances between real and generated media (FVD for clips, FID for images), protocol attached.

``d = |mu_R - mu_G|^2 + Tr(S_R + S_G - 2 (S_R S_G)^(1/2))`` between Gaussians fitted to
features of real and generated samples (paper Eq. 3). Published FVD values depend on the
feature network, the number of samples, frames and resolution, so every number here
travels with a :class:`Protocol` that says exactly that, and prints next to it.

The feature network is pluggable (:class:`FeatureNetwork`). The offline default,
:class:`EncoderFeatures`, uses GeneRec's encoder: per-frame features, pooled as
``[mean over frames, mean |frame-to-frame change|]`` so that motion counts too
(I3D does this in the original FVD; plug it in when you have its weights).

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> a, b = rng.normal(size=(500, 4)), rng.normal(size=(500, 4))
>>> frechet_distance(a, b) < 0.1, frechet_distance(a, b + 2.0) > 15
(True, True)
"""

from __future__ import annotations

import typing
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import linalg

from generec.errors import ConfigError, DataError


@dataclass(frozen=True)
class Protocol:
    """How a Frechet number was measured; print it with the number, always."""

    metric: str
    network: str
    n_real: int
    n_generated: int
    frames: int | None
    resolution: int
    features: str

    def describe(self) -> str:
        clip = f"{self.frames} frames at " if self.frames else ""
        return (
            f"{self.metric} protocol: {self.n_real} real vs {self.n_generated} generated, {clip}"
            f"{self.resolution}x{self.resolution} px, network {self.network} ({self.features})"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FrechetResult:
    """A Frechet distance and the protocol it was measured under."""

    value: float
    protocol: Protocol

    def __str__(self) -> str:
        return f"{self.protocol.metric} = {self.value:.4f}  [{self.protocol.describe()}]"


@typing.runtime_checkable
class FeatureNetwork(typing.Protocol):
    """Maps clips ``[N, T, H, W, 3]`` (or images ``[N, H, W, 3]``) uint8 to features ``[N, d]``."""

    id: str

    def clip_features(self, clips: np.ndarray) -> np.ndarray: ...

    def image_features(self, images: np.ndarray) -> np.ndarray: ...


class EncoderFeatures:
    """The offline default feature network: GeneRec's ``Encoder`` on every frame.

    Parameters
    ----------
    encoder
        Any object with ``encode_images`` (``[N, H, W, 3]`` uint8 -> ``[N, d]``) and an ``id``.

    Example
    -------
    >>> net = EncoderFeatures(encoder)                                   # doctest: +SKIP
    >>> print(frechet_video_distance(real, fake, net))                   # doctest: +SKIP
    FVD = 12.3456  [FVD protocol: 200 real vs 200 generated, 8 frames at 32x32 px, network ...]
    """

    description = "per-frame encoder features; clip = [mean over frames, mean |frame-to-frame change|]"

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder
        self.id = f"encoder:{getattr(encoder, 'id', type(encoder).__name__)}"

    def image_features(self, images: np.ndarray) -> np.ndarray:
        return np.asarray(self.encoder.encode_images(np.asarray(images)), dtype=np.float64)

    def clip_features(self, clips: np.ndarray) -> np.ndarray:
        n, t = clips.shape[:2]
        f = self.image_features(clips.reshape(n * t, *clips.shape[2:])).reshape(n, t, -1)
        motion = np.abs(np.diff(f, axis=1)).mean(1) if t > 1 else np.zeros_like(f[:, 0])
        return np.concatenate([f.mean(1), motion], axis=1)


def frechet_distance(real: np.ndarray, generated: np.ndarray, eps: float = 1e-6) -> float:
    """Frechet distance between Gaussians fitted to two feature sets ``[N, d]`` and ``[M, d]``."""
    a, b = np.asarray(real, dtype=np.float64), np.asarray(generated, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise DataError(f"feature sets must be [N, d] with the same d, got {a.shape} and {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise DataError("a Frechet distance needs at least 2 samples on each side")
    mu = a.mean(0) - b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    ca, cb = np.atleast_2d(ca), np.atleast_2d(cb)
    covmean, _ = linalg.sqrtm(ca @ cb, disp=False)
    if not np.isfinite(covmean).all():  # near-singular covariances: regularise, as FID implementations do
        off = np.eye(ca.shape[0]) * eps
        covmean = linalg.sqrtm((ca + off) @ (cb + off))
    covmean = np.real(covmean)
    return float(max(mu @ mu + np.trace(ca) + np.trace(cb) - 2 * np.trace(covmean), 0.0))


def _check(real: np.ndarray, generated: np.ndarray, ndim: int, what: str) -> None:
    for name, x in (("real", real), ("generated", generated)):
        if np.asarray(x).ndim != ndim or np.asarray(x).dtype != np.uint8:
            raise DataError(f"{name} {what} must be a uint8 array with {ndim} dimensions, got {np.asarray(x).shape}")
    if real.shape[1:] != generated.shape[1:]:
        raise ConfigError(
            f"real {real.shape[1:]} and generated {generated.shape[1:]} differ in shape; resample them to one protocol"
        )


def frechet_video_distance(real: np.ndarray, generated: np.ndarray, network: FeatureNetwork) -> FrechetResult:
    """FVD between clips ``[N, T, H, W, 3]`` and ``[M, T, H, W, 3]`` (same T, H, W) under ``network``."""
    _check(real, generated, 5, "clips")
    value = frechet_distance(network.clip_features(real), network.clip_features(generated))
    desc = getattr(network, "description", "clip features")
    return FrechetResult(
        value, Protocol("FVD", network.id, len(real), len(generated), real.shape[1], real.shape[2], desc)
    )


def frechet_image_distance(real: np.ndarray, generated: np.ndarray, network: FeatureNetwork) -> FrechetResult:
    """FID between images ``[N, H, W, 3]`` and ``[M, H, W, 3]`` under ``network``."""
    _check(real, generated, 4, "images")
    value = frechet_distance(network.image_features(real), network.image_features(generated))
    return FrechetResult(
        value, Protocol("FID", network.id, len(real), len(generated), None, real.shape[1], "image features")
    )
