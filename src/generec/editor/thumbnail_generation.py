"""Thumbnail generation (paper §5.1.1): a retrieval-augmented image diffusion model.

The condition is built from a *retrieved set* (the RDM idea): the encoder features of
this video's frames (pooled: the cover must show the video's key content) and the
thumbnails the user liked before (attention-pooled with the video as the query, so
the liked covers most like this video count most: the cover leans to the user's taste).

Example
-------
>>> gen = ThumbnailGenerator.load("models/thumbnails", encoder)                    # doctest: +SKIP
>>> covers = gen.generate(video_frames, liked_thumbnails=liked, n=4, seed=0)       # doctest: +SKIP
>>> covers.shape                                                                    # doctest: +SKIP
(4, 32, 32, 3)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from generec.diffusion.conditions import (
    ConditionSpec,
    attention_pool,
    item_features,
    liked_pairs,
    load_world,
    split_items,
)
from generec.diffusion.generator import ConditionalGenerator
from generec.diffusion.model import DiffusionModel, to_pixels
from generec.diffusion.presets import IMAGE_PRESETS, image_config, pixel_size
from generec.diffusion.recipe import resolve_device, train_conditional
from generec.diffusion.training import TrainSettings
from generec.errors import ConfigError, ModelError
from generec.types import Guidance

SPEC_PARTS = ("video", "liked_thumbs")
MAX_FRAMES = 8


class ThumbnailGenerator(ConditionalGenerator):
    """Generates personalised covers for a video from its frames and the user's liked thumbnails."""

    kind = "image"

    def retrieval_condition(
        self, video_frames: np.ndarray, liked_thumbnails: np.ndarray | None = None, guidance: Guidance | None = None
    ) -> np.ndarray:
        """The condition vector: pooled frame features + attention-pooled liked thumbnails.

        Without liked thumbnails, ``guidance.user_hist`` (same encoder space) stands in for them.
        """
        if self.encoder is None:
            raise ModelError("thumbnail generation needs an encoder to read the video's frames")
        frames = np.asarray(video_frames)
        if frames.ndim != 4 or len(frames) == 0:
            raise ConfigError(f"video frames must be [T, H, W, 3] uint8, got shape {frames.shape}")
        pick = np.linspace(0, len(frames) - 1, min(MAX_FRAMES, len(frames))).round().astype(int)
        video = self.encoder.encode_images(frames[pick]).mean(0)
        liked = None
        if liked_thumbnails is not None and len(liked_thumbnails):
            liked = attention_pool(
                video / max(np.linalg.norm(video), 1e-12), self.encoder.encode_images(liked_thumbnails)
            )
        elif guidance is not None and guidance.user_hist is not None:
            liked = guidance.user_hist
        return self.spec.vector({"video": video, "liked_thumbs": liked})

    def generate(
        self,
        video_frames: np.ndarray,
        liked_thumbnails: np.ndarray | None = None,
        guidance: Guidance | None = None,
        *,
        n: int = 1,
        seed: int = 0,
        steps: int | None = None,
        guidance_scale: float | None = None,
    ) -> np.ndarray:
        """``n`` candidate covers ``[n, S, S, 3]`` uint8 for this video and this user."""
        cond = self.retrieval_condition(video_frames, liked_thumbnails, guidance)[None].repeat(n, axis=0)
        scale = self.guidance_scale if guidance_scale is None else guidance_scale
        return to_pixels(self.model.sample(cond, n, steps=steps or self.steps, guidance=scale, seed=seed))


def thumbnail_rows(
    world: Any, encoder: Any, *, size: int = 32, held_out: float = 0.1, seed: int = 0, progress: bool = True
) -> tuple[np.ndarray, np.ndarray, ConditionSpec, dict[str, Any]]:
    """Per liked (user, item): the item's thumbnail given its frames and the user's *other* liked thumbnails."""
    from generec.data.sim.render import render_frame

    world = load_world(world)
    items, _ = split_items(world.items["id"], held_out, seed)
    metas = {i: world.item_meta(i) for i in items}
    thumbs = {i: render_frame(m, int(m["thumbnail_frame"])) for i, m in metas.items()}
    keys = list(thumbs)
    thumb_feat = dict(zip(keys, encoder.encode_images(np.stack([thumbs[i] for i in keys])), strict=True))
    video_feat = dict(zip(items, item_features(encoder, world, items, progress), strict=True))
    likes = liked_pairs(world)
    likes = likes[likes["item_id"].isin(set(items))]
    by_user = likes.groupby("user_id")["item_id"].apply(list).to_dict()
    spec = ConditionSpec((("video", int(encoder.dim)), ("liked_thumbs", int(encoder.dim))))
    rows, cond = [], []
    for liked in by_user.values():
        for iid in liked:
            others = [thumb_feat[j] for j in liked if j != iid]
            pooled = attention_pool(video_feat[iid], np.stack(others)) if others else None
            rows.append(iid)
            cond.append(spec.vector({"video": video_feat[iid], "liked_thumbs": pooled}))
    for iid in set(items) - set(likes["item_id"]):  # unliked items still teach the model to draw covers
        rows.append(iid)
        cond.append(spec.vector({"video": video_feat[iid], "liked_thumbs": None}))
    pixels = np.stack([_resize(thumbs[i], size) for i in rows])
    info = {"world": str(world.root), "rows": len(rows), "train_items": len(items), "held_out": held_out, "seed": seed}
    return pixels, np.stack(cond), spec, info


def _resize(image: np.ndarray, size: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize((size, size), Image.BILINEAR))


def train_thumbnails(
    world: Any,
    encoder: Any,
    out: str | Path | None,
    *,
    preset: str = "demo",
    settings: TrainSettings | None = None,
    device: str = "cpu",
    progress: bool = True,
    autoencoder: str | Path | None = None,
) -> tuple[DiffusionModel, dict[str, Any]]:
    """Train (or resume) the retrieval-augmented thumbnail model; saved to ``out``.

    A latent preset (``demo-64``) draws covers through a frame autoencoder: the one in ``autoencoder`` (a
    model directory, e.g. the creation model's: one first stage serves both), else one trained on the covers.
    """
    settings = (settings or TrainSettings()).validate()
    resolve_device(device)  # fail before minutes of data preparation
    if preset not in IMAGE_PRESETS:
        raise ConfigError(f"unknown model preset {preset!r}; choose one of {', '.join(IMAGE_PRESETS)}")
    pixels, cond, spec, info = thumbnail_rows(
        world, encoder, size=pixel_size(preset, "image"), seed=settings.seed, progress=progress
    )
    meta = {
        "task": "thumbnail-generation",
        "guidance": "retrieval",
        "condition": spec.to_dict(),
        "encoder": getattr(encoder, "id", "unknown"),
        "data": info,
    }
    return train_conditional(image_config(preset, spec.dim, meta), pixels, cond, settings, out, device=device,
                             progress=progress, autoencoder=autoencoder)  # fmt: skip
