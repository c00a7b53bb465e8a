"""Named model sizes, so that commands say ``--preset demo`` instead of ten numbers.

``tiny``  for tests (seconds on a CPU); ``demo`` the size that trains on 2 CPU cores in
about half an hour (32x32 pixels, 8 frames, ~2.5 M parameters; measured in the issue's
probe: ~40 clips/s); ``demo-small`` the same at width 32 (about half the compute per clip);
``demo-16`` the demo width at 16x16 pixels (about 4x the clips per second of ``demo``: what trained
an earlier creation checkpoint); ``demo-latent`` 32x32-pixel frames coded by a first-stage
autoencoder into 4 x 8x8 latents, denoised there (latent diffusion: about 2x the clips per
second of ``demo-16`` at twice its resolution); ``demo-64`` the world's own frames (64x64 pixels, a
16-frame window) coded by a first stage with narrow full-resolution layers into 4 x 16x16 latents,
denoised with frames as a batch and attention across them (the folded layout of the smaller presets
gave each frame five channels at this size and never drew the subject): what the packaged generators
use; ``large`` for a GPU (64x64 pixels, 16 frames, in pixels). Image only: ``fashion-32``, Fashion-MNIST's
28x28 product photos padded to 32x32, at width 32 (what trains on one CPU thread beside other work).

Example
-------
>>> video_config("demo", cond_dim=256).shape.frames
8
"""

from __future__ import annotations

from typing import Any

from generec.diffusion.autoencoder import AutoencoderConfig, AutoencoderTraining
from generec.diffusion.image_denoiser import ImageDenoiserConfig
from generec.diffusion.model import DiffusionConfig
from generec.diffusion.video_denoiser import VideoDenoiserConfig
from generec.errors import ConfigError

VIDEO_PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {"frames": 4, "size": 16, "width": 16, "mults": (1, 2), "attention": False},
    "demo": {"frames": 8, "size": 32, "width": 48, "mults": (1, 2, 2), "attention": True},
    "demo-small": {"frames": 8, "size": 32, "width": 32, "mults": (1, 2, 2), "attention": True},
    "demo-16": {"frames": 8, "size": 16, "width": 48, "mults": (1, 2, 2), "attention": True},
    "demo-latent": {"frames": 8, "size": 8, "channels": 4, "width": 64, "mults": (1, 2), "attention": True},
    "demo-64": {
        "frames": 16,
        "size": 16,
        "channels": 4,
        "width": 32,
        "mults": (1, 2, 2),
        "attention": True,
        "layout": "factorised",
    },
    "large": {"frames": 16, "size": 64, "width": 128, "mults": (1, 2, 2, 2), "attention": True},
}
IMAGE_PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {"size": 16, "width": 16, "mults": (1, 2), "attention": False},
    "demo": {"size": 32, "width": 48, "mults": (1, 2, 2), "attention": True},
    "demo-small": {"size": 32, "width": 32, "mults": (1, 2, 2), "attention": True},
    "demo-16": {"size": 16, "width": 48, "mults": (1, 2, 2), "attention": True},
    "demo-latent": {"size": 8, "channels": 4, "width": 64, "mults": (1, 2), "attention": True},
    "demo-64": {"size": 16, "channels": 4, "width": 32, "mults": (1, 2, 2), "attention": True},
    "large": {"size": 64, "width": 128, "mults": (1, 2, 2, 2), "attention": True},
    "fashion-32": {"size": 32, "width": 32, "mults": (1, 2, 2), "attention": True},
}
AUTOENCODERS: dict[str, AutoencoderConfig] = {
    "demo-latent": AutoencoderConfig(size=32, latent_channels=4, width=32, downsample=2),
    "demo-64": AutoencoderConfig(size=64, latent_channels=4, width=16, downsample=2, mults=(1, 2, 4)),
}
"""The first stage of each latent preset (frames of ``size`` pixels to its denoiser's latents)."""
AUTOENCODER_TRAINING: dict[str, AutoencoderTraining] = {
    "demo-64": AutoencoderTraining(steps=3000, batch_size=32, lr=2e-3, edge_weight=1.0),
}
"""How each latent preset's first stage is trained when no autoencoder is given (default: AutoencoderTraining())."""
PRESETS = tuple(VIDEO_PRESETS)


def _preset(table: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    if name not in table:
        raise ConfigError(f"unknown model preset {name!r}; choose one of {', '.join(table)}")
    return dict(table[name])


def pixel_size(preset: str, kind: str = "video") -> int:
    """Side in pixels of the frames a preset's models take and make (training data is rendered at it)."""
    shape = _preset(VIDEO_PRESETS if kind == "video" else IMAGE_PRESETS, preset)
    ae = AUTOENCODERS.get(preset)
    return ae.size if ae is not None else int(shape["size"])


def video_config(preset: str, cond_dim: int, meta: dict[str, Any] | None = None, **overrides: Any) -> DiffusionConfig:
    """A v-prediction, cosine-schedule video model of the named size (the combination that trained on CPU)."""
    shape = VideoDenoiserConfig(**{**_preset(VIDEO_PRESETS, preset), **overrides}, cond_dim=cond_dim)
    return DiffusionConfig("video", shape, schedule="cosine", prediction="v", meta=dict(meta or {}, preset=preset),
                           autoencoder=AUTOENCODERS.get(preset))  # fmt: skip


def image_config(preset: str, cond_dim: int, meta: dict[str, Any] | None = None, **overrides: Any) -> DiffusionConfig:
    """A v-prediction, cosine-schedule image model of the named size."""
    shape = ImageDenoiserConfig(**{**_preset(IMAGE_PRESETS, preset), **overrides}, cond_dim=cond_dim)
    return DiffusionConfig("image", shape, schedule="cosine", prediction="v", meta=dict(meta or {}, preset=preset),
                           autoencoder=AUTOENCODERS.get(preset))  # fmt: skip


def autoencoder_training(preset: str) -> AutoencoderTraining:
    """The first-stage training settings of a latent preset."""
    return AUTOENCODER_TRAINING.get(preset, AutoencoderTraining())
