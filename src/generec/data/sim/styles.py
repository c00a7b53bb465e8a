"""Visual styles of GeneRec-Sim: whole-shot filters on ``[T, H, W, 3]`` float frames in 0..1.

Each filter is cheap, vectorised over frames and clearly distinct from the
others at 64x64 (edges on paper, blocks, glow on black, washed-out blur, grey,
brown tint, flat posterised colours), so that style transfer has something to
change and an attribute reader something to see.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Style = Callable[[np.ndarray], np.ndarray]
_LUMA = np.asarray([0.299, 0.587, 0.114], dtype=np.float32)


def _luma(frames: np.ndarray) -> np.ndarray:
    return frames @ _LUMA


def _edges(gray: np.ndarray) -> np.ndarray:
    """Gradient magnitude of ``[T, H, W]`` images (same shape)."""
    gx = np.zeros_like(gray)
    gy = np.zeros_like(gray)
    gx[:, :, 1:-1] = gray[:, :, 2:] - gray[:, :, :-2]
    gy[:, 1:-1, :] = gray[:, 2:, :] - gray[:, :-2, :]
    return np.sqrt(gx * gx + gy * gy)


def _blur(frames: np.ndarray) -> np.ndarray:
    """3x3 box blur over H and W with edge padding."""
    p = np.pad(frames, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    rows = p[:, :-2] + p[:, 1:-1] + p[:, 2:]
    return (rows[:, :, :-2] + rows[:, :, 1:-1] + rows[:, :, 2:]) / 9.0


def plain(frames: np.ndarray) -> np.ndarray:
    return frames


def sketch(frames: np.ndarray) -> np.ndarray:
    ink = np.clip(_edges(_luma(frames)) * 3.0, 0.0, 1.0)
    paper = np.asarray([0.97, 0.96, 0.92], dtype=np.float32)
    return paper * (1.0 - ink[..., None] * 0.9)


def pixelated(frames: np.ndarray) -> np.ndarray:
    t, h, w, c = frames.shape
    b = max(2, h // 12)
    hh, ww = h // b * b, w // b * b
    blocks = frames[:, :hh, :ww].reshape(t, hh // b, b, ww // b, b, c).mean(axis=(2, 4))
    out = frames.copy()
    out[:, :hh, :ww] = np.repeat(np.repeat(blocks, b, axis=1), b, axis=2)
    return np.round(out * 5.0) / 5.0


def neon(frames: np.ndarray) -> np.ndarray:
    glow = np.clip(_edges(_luma(frames)) * 4.0, 0.0, 1.0)[..., None]
    glow = np.maximum(glow, _blur(glow) * 1.5)
    hue = frames / np.maximum(frames.max(axis=-1, keepdims=True), 1e-3)
    # A dim fill keeps each subject's colour readable between the glowing edges.
    return np.clip(0.04 + 0.22 * frames * hue + glow * (0.35 + 0.65 * hue), 0.0, 1.0)


def watercolour(frames: np.ndarray) -> np.ndarray:
    soft = _blur(_blur(frames))
    return 0.6 * soft + 0.4 * np.asarray([1.0, 0.97, 0.94], dtype=np.float32)


def grayscale(frames: np.ndarray) -> np.ndarray:
    return np.repeat(_luma(frames)[..., None], 3, axis=-1)


def sepia(frames: np.ndarray) -> np.ndarray:
    t, h, w, _ = frames.shape
    y = (np.arange(h, dtype=np.float32) - h / 2) / (h / 2)
    vignette = 1.0 - 0.35 * (y[:, None] ** 2 + y[None, :] ** 2)
    tone = _luma(frames)[..., None] * np.asarray([1.0, 0.8, 0.55], dtype=np.float32) + 0.08
    return tone * vignette[None, :, :, None]


def cartoon(frames: np.ndarray) -> np.ndarray:
    flat = np.round(frames * 3.0) / 3.0
    ink = _edges(_luma(flat)) > 0.25
    return np.where(ink[..., None], 0.05, np.clip(flat * 1.1, 0.0, 1.0))


STYLE_FILTERS: dict[str, Style] = {
    "plain": plain,
    "sketch": sketch,
    "pixelated": pixelated,
    "neon": neon,
    "watercolour": watercolour,
    "grayscale": grayscale,
    "sepia": sepia,
    "cartoon": cartoon,
}


def apply_style(style: str, frames: np.ndarray) -> np.ndarray:
    """Apply a named style to float frames; returns float32 frames clipped to 0..1."""
    return np.clip(STYLE_FILTERS[style](frames), 0.0, 1.0).astype(np.float32)
