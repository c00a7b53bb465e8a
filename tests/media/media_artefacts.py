"""Tiny synthetic frames and tones for the media tests (importable by name from any test folder)."""

from __future__ import annotations

import numpy as np


def moving_square(n: int, width: int = 64, height: int = 48, seed: int = 0) -> list[np.ndarray]:
    """``n`` frames of a bright square sliding over a gradient; frame ``i`` encodes ``i`` in its top-left corner."""
    rng = np.random.default_rng(seed)
    # a smooth gradient plus mild noise: realistic for a codec (pure noise is the worst case for 4:2:0)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([xx * 120 // max(1, width), yy * 120 // max(1, height), (xx + yy) * 60 // (width + height)], -1)
    base = (base + rng.integers(0, 12, base.shape)).astype(np.uint8)
    frames = []
    for i in range(n):
        f = base.copy()
        x = (i * 3) % max(1, width - 12)
        f[10:22, x : x + 12] = (230, 40, 40)
        f[:6, :6] = min(255, i * 8)  # a flat patch whose brightness tells which frame this is
        frames.append(f)
    return frames


def sine(seconds: float, rate: int = 44100, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.4 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
