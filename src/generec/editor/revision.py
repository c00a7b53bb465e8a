"""Content revision (paper §5.1.3): SDEdit an existing clip toward a user's taste.

Training teaches a video diffusion model to reconstruct the clips users liked,
conditioned on that user's feedback vector: User_Emb (the recommender's user
embedding) or User_Hist (the mean feature of the user's liked items). At inference
the clip is noised to ``strength`` of the schedule and denoised under the target
user's guidance; with no guidance the same model denoises unconditionally (the
paper's reference). Low strength keeps the source; high strength follows the user.

Example
-------
>>> reviser = Reviser.load("models/revision-user_hist", encoder)                      # doctest: +SKIP
>>> revised = reviser.revise(frames, Guidance(user_hist=u), strength=0.6, seed=0)     # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from generec.diffusion.conditions import (
    ConditionSpec,
    fit_clip,
    load_world,
    pair_with_likers,
    shot_clips,
    split_items,
    user_guidance,
)
from generec.diffusion.generator import ConditionalGenerator
from generec.diffusion.model import DiffusionModel, to_model_space, to_pixels
from generec.diffusion.presets import VIDEO_PRESETS, pixel_size, video_config
from generec.diffusion.recipe import resolve_device, train_conditional
from generec.diffusion.training import TrainSettings
from generec.errors import ConfigError, DataError, ModelError
from generec.types import Guidance

GUIDANCE_KINDS = ("user_hist", "user_emb")
JOINT = "both"
"""One model for both kinds (see :func:`revision_rows`)."""


class Reviser(ConditionalGenerator):
    """Revises clips under User_Emb / User_Hist guidance (or none) by SDEdit at a chosen strength.

    Parameters are those of :class:`~generec.diffusion.generator.ConditionalGenerator`, plus
    ``strength`` (default share of the noise schedule to go back, 0..1).
    """

    kind = "video"

    def __init__(self, model: DiffusionModel, encoder: Any | None = None, strength: float = 0.6, **kw: Any) -> None:
        super().__init__(model, encoder, **kw)
        self.strength = strength

    def prepare(self, frames: np.ndarray) -> np.ndarray:
        """Any clip ``[T, H, W, 3]`` uint8 resampled to the model's frames and size."""
        config = self.model.config
        return fit_clip(frames, config.shape.frames, config.pixel_size)

    def revise(
        self,
        frames: np.ndarray,
        guidance: Guidance | list[Guidance | None] | None,
        *,
        strength: float | None = None,
        seed: int = 0,
        steps: int | None = None,
        guidance_scale: float | None = None,
    ) -> np.ndarray:
        """Revise one clip ``[T, H, W, 3]`` (or a batch ``[n, T, H, W, 3]``, one guidance each or shared).

        Returns uint8 clips at the model's frames and size (``[T', S, S, 3]`` or ``[n, T', S, S, 3]``).
        """
        clips = np.asarray(frames)
        single = clips.ndim == 4
        clips = clips[None] if single else clips
        if clips.ndim != 5:
            raise ConfigError(f"expected frames [T, H, W, 3] or [n, T, H, W, 3], got shape {clips.shape}")
        x = to_model_space(np.stack([self.prepare(c) for c in clips]))
        cond = self._conds(guidance, len(x))
        scale = self.guidance_scale if guidance_scale is None else guidance_scale
        s = self.strength if strength is None else strength
        out = to_pixels(self.model.edit(x, cond, s, steps=steps or self.steps, guidance=scale, seed=seed))
        return out[0] if single else out


def _guidance_parts(guidance: str) -> tuple[str, ...]:
    if guidance == JOINT:
        return GUIDANCE_KINDS
    if guidance not in GUIDANCE_KINDS:
        choices = ", ".join((*GUIDANCE_KINDS, JOINT))
        raise ConfigError(f"revision guidance must be one of {choices}, got {guidance!r}")
    return (guidance,)


def revision_rows(
    world: Any,
    encoder: Any,
    *,
    guidance: str = "user_hist",
    frames: int = 8,
    size: int = 32,
    user_embeddings: dict[str, np.ndarray] | None = None,
    held_out: float = 0.1,
    seed: int = 0,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray, ConditionSpec, dict[str, Any]]:
    """Liked clips and their likers' guidance vectors (the paper's fine-tuning data for MCVD revision).

    ``guidance="both"`` trains one model for User_Hist *and* User_Emb: the condition has both
    parts and each training row fills one of them (drawn at random), so at inference either
    part alone is a condition the model has seen, and the two variants share every weight.
    """
    kinds = _guidance_parts(guidance)
    world = load_world(world)
    train_items, _ = split_items(world.items["id"], held_out, seed)
    clips, table = shot_clips(world, frames, size, train_items, progress)
    vectors: dict[str, dict[str, np.ndarray]] = {}
    for kind in kinds:
        likes, vectors[kind] = user_guidance(world, encoder, kind, user_embeddings, train_items, progress)
    # a liker counts only if every part can be filled for them
    users = {u: 0 for u in set.intersection(*(set(v) for v in vectors.values()))}
    spec = ConditionSpec(tuple((k, len(next(iter(vectors[k].values())))) for k in kinds if vectors[k]))
    if not users or len(spec.parts) != len(kinds):
        raise DataError("no liker has a guidance vector; check the user embeddings' ids against the world's users")
    pairs = pair_with_likers(table["item_id"].tolist(), likes, users, seed, per_row=3)
    pick = np.random.default_rng([seed, 5]).integers(len(kinds), size=len(pairs))
    rows = [{} if u is None else {kinds[k]: vectors[kinds[k]][u]} for (_, u), k in zip(pairs, pick, strict=True)]
    cond = np.stack([spec.vector(r) for r in rows])
    info = {
        "world": str(world.root),
        "rows": len(pairs),
        "shots": len(table),
        "train_items": len(train_items),
        "held_out": held_out,
        "users_with_vectors": len(users),
        "seed": seed,
    }
    return clips[[r for r, _ in pairs]], cond, spec, info


def train_revision(
    world: Any,
    encoder: Any,
    out: str | Path | None,
    *,
    guidance: str = "user_hist",
    preset: str = "demo",
    settings: TrainSettings | None = None,
    user_embeddings: dict[str, np.ndarray] | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> tuple[DiffusionModel, dict[str, Any]]:
    """Train (or resume) a revision model on a world; saved to ``out`` with its config and condition recipe."""
    settings = (settings or TrainSettings()).validate()
    resolve_device(device)  # fail before minutes of data preparation
    if preset not in VIDEO_PRESETS:
        raise ConfigError(f"unknown model preset {preset!r}; choose one of {', '.join(VIDEO_PRESETS)}")
    shape = VIDEO_PRESETS[preset]
    pixels, cond, spec, info = revision_rows(
        world,
        encoder,
        guidance=guidance,
        frames=shape["frames"],
        size=pixel_size(preset),
        user_embeddings=user_embeddings,
        seed=settings.seed,
        progress=progress,
    )
    meta = {
        "task": "revision",
        "guidance": guidance,
        "condition": spec.to_dict(),
        "encoder": getattr(encoder, "id", "unknown"),
        "data": info,
    }
    config = video_config(preset, spec.dim, meta)
    return train_conditional(config, pixels, cond, settings, out, device=device, progress=progress)


def demo_checkpoint() -> Path:
    """The packaged reviser: the demo creation model (64 px, :data:`generec.creator.checkpoint.DEMO_CHECKPOINT`),
    which also revises (SDEdit from a real clip under User_Hist, User_Emb or an instruction: one model creates
    and revises); :class:`ModelError` if this install lacks it."""
    from generec.creator.checkpoint import DEMO_CHECKPOINT

    if not (DEMO_CHECKPOINT / "config.json").is_file():
        raise ModelError(
            f"no packaged demo model at {DEMO_CHECKPOINT}; train one with `generec train creation` (or "
            "`generec train revision`) and pass --model"
        )
    return DEMO_CHECKPOINT


def export_checkpoint(src: str | Path, dst: str | Path, *, note: str = "") -> Path:
    """Write a compact, sampling-only copy of a trained model: EMA weights in float16, no optimiser state."""
    model = DiffusionModel.load(src)
    return model.save(dst, {**model.extra, "exported_from": str(src), "note": note}, ema_only=True, half=True)
