"""Render GeneRec-Sim shots and items to frames: pure functions of their metadata and seed.

An item's metadata (see :func:`generec.data.sim.items.make_item`) lists its shots
with their ground-truth attributes and frame counts, and a ``seed``; rendering
the same metadata always yields the same pixels, so media can be produced lazily
(``World.media_path``) and the world stays byte-identical for a seed.

Example
-------
>>> from generec.data.sim.render import render_shot
>>> shot = {"scene": "snow", "style": "plain",
...         "subjects": [{"category": "car", "colour": "red", "size": "large", "motion": "left_to_right"}]}
>>> render_shot(shot, n_frames=8, size=64, seed=1).shape
(8, 64, 64, 3)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from generec.data.sim.scenes import render_background
from generec.data.sim.sprites import PAINTS, SPRITES
from generec.data.sim.styles import apply_style
from generec.data.sim.vocab import COLOUR_RGB, SIZE_SCALE

DEFAULT_SIZE = 64
DEFAULT_FPS = 8


def _trajectory(
    motion: str, n: int, base: tuple[float, float], half: float, phase: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame centre x, centre y, scale and rotation angle for a motion."""
    p = np.arange(n, dtype=np.float32) / max(n - 1, 1)
    cx = np.full(n, base[0], dtype=np.float32)
    cy = np.full(n, base[1], dtype=np.float32)
    scale = np.ones(n, dtype=np.float32)
    angle = np.zeros(n, dtype=np.float32)
    margin = min(half * 0.8, 0.45)
    if motion == "left_to_right":
        cx = margin + (1 - 2 * margin) * p
    elif motion == "right_to_left":
        cx = 1 - margin - (1 - 2 * margin) * p
    elif motion == "bouncing":
        cy = base[1] + 0.1 - 0.3 * np.abs(np.sin(np.pi * 2 * p + phase * 0.1))
    elif motion == "circling":
        cx = 0.5 + 0.22 * np.cos(2 * np.pi * p + phase)
        cy = 0.5 + 0.18 * np.sin(2 * np.pi * p + phase)
    elif motion == "zooming_in":
        scale = 0.45 + 0.95 * p
    elif motion == "zooming_out":
        scale = 1.4 - 0.95 * p
    elif motion == "spinning":
        angle = 2 * np.pi * 1.5 * p + phase
    return cx.astype(np.float32), cy.astype(np.float32), scale.astype(np.float32), angle.astype(np.float32)


def _outline(mask: np.ndarray) -> np.ndarray:
    """Pixels next to ``mask`` (4-neighbourhood) but not in it."""
    grown = mask.copy()
    grown[:, 1:] |= mask[:, :-1]
    grown[:, :-1] |= mask[:, 1:]
    grown[:, :, 1:] |= mask[:, :, :-1]
    grown[:, :, :-1] |= mask[:, :, 1:]
    return grown & ~mask


def _draw_subject(frames: np.ndarray, subject: Mapping[str, Any], base: tuple[float, float], phase: float) -> None:
    """Paint one subject into float ``frames`` in place."""
    n, size = frames.shape[0], frames.shape[1]
    half = SIZE_SCALE[subject["size"]]
    cx, cy, scale, angle = _trajectory(subject["motion"], n, base, half, phase)
    c = (np.arange(size, dtype=np.float32) + 0.5) / size
    dx = c[None, None, :] - cx[:, None, None]
    dy = c[None, :, None] - cy[:, None, None]
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    r = (half * scale)[:, None, None]
    u = (dx * cos + dy * sin) / r
    v = (-dx * sin + dy * cos) / r
    if subject["motion"] == "right_to_left":
        u = -u  # face the way it moves
    layers = SPRITES[subject["category"]](u, v)
    union = np.zeros(u.shape, dtype=bool)
    for mask, _ in layers:
        union |= mask
    frames[_outline(union)] = PAINTS["dark"]
    body = np.asarray(COLOUR_RGB[subject["colour"]], dtype=np.float32) / 255.0
    for mask, paint in layers:
        frames[mask] = body if paint == "body" else PAINTS[paint]


def _layout(rng: np.random.Generator, n_subjects: int) -> list[tuple[float, float]]:
    if n_subjects == 1:
        return [(float(rng.uniform(0.35, 0.65)), float(rng.uniform(0.45, 0.62)))]
    left = (float(rng.uniform(0.25, 0.35)), float(rng.uniform(0.4, 0.65)))
    right = (float(rng.uniform(0.65, 0.75)), float(rng.uniform(0.4, 0.65)))
    return [left, right] if rng.random() < 0.5 else [right, left]


def render_shot(shot: Mapping[str, Any], n_frames: int, size: int = DEFAULT_SIZE, seed: int = 0) -> np.ndarray:
    """Render one shot to ``[n_frames, size, size, 3]`` uint8 frames.

    Parameters
    ----------
    shot
        ``{"scene", "style", "subjects": [{"category", "colour", "size", "motion"}, ...]}``
        with values from :data:`generec.data.sim.vocab.VOCAB` (extra keys are ignored).
    n_frames, size
        Number of frames and the side of the square frame in pixels.
    seed
        Fixes the background texture, particles and subject placement.
    """
    if n_frames < 1 or size < 8:
        raise ValueError(f"cannot render {n_frames} frames of {size}x{size} (need >= 1 frame, size >= 8)")
    rng = np.random.default_rng(seed)
    frames = render_background(shot["scene"], rng, n_frames, size)
    subjects = list(shot["subjects"])
    bases = _layout(rng, len(subjects))
    # Larger subjects first so that a small one is never hidden behind a large one.
    order = sorted(range(len(subjects)), key=lambda k: -SIZE_SCALE[subjects[k]["size"]])
    for k in order:
        _draw_subject(frames, subjects[k], bases[k % len(bases)], phase=float(rng.uniform(0, 2 * np.pi)))
    frames = apply_style(shot["style"], frames)
    return (frames * 255.0 + 0.5).astype(np.uint8)


def shot_seed(item_seed: int, index: int) -> int:
    """Seed of shot ``index`` of an item, derived so shots differ but stay reproducible."""
    return int(np.random.SeedSequence([int(item_seed), int(index)]).generate_state(1)[0])


def render_item(item_meta: Mapping[str, Any], size: int | None = None) -> np.ndarray:
    """Render a whole item (all its shots, in order) to ``[T, H, W, 3]`` uint8 frames.

    ``item_meta`` is an item's metadata: ``{"seed", "frame_size"?, "shots": [{..., "n_frames"}, ...]}``
    — exactly what ``World.item_meta(item_id)`` returns and what the items table's
    ``attributes`` JSON holds. ``size`` overrides the item's own frame size.
    """
    side = int(size or item_meta.get("frame_size", DEFAULT_SIZE))
    parts = [
        render_shot(shot, int(shot["n_frames"]), side, shot_seed(item_meta["seed"], k))
        for k, shot in enumerate(item_meta["shots"])
    ]
    return np.concatenate(parts, axis=0)


def render_frame(item_meta: Mapping[str, Any], frame: int, size: int | None = None) -> np.ndarray:
    """Render only frame ``frame`` of an item (renders just the shot that holds it)."""
    side = int(size or item_meta.get("frame_size", DEFAULT_SIZE))
    start = 0
    for k, shot in enumerate(item_meta["shots"]):
        n = int(shot["n_frames"])
        if frame < start + n:
            return render_shot(shot, n, side, shot_seed(item_meta["seed"], k))[frame - start]
        start += n
    raise IndexError(f"frame {frame} is past the end of the item ({start} frames)")
