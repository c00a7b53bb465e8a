"""Tiny videos with a planted segment, shared by the editor tests (a uniquely named module: ``conftest``
is a different module in every test folder, so tests import these from here)."""

from __future__ import annotations

import numpy as np

FPS = 8
PLANT_FIRST, PLANT_LEN, N_FRAMES = 24, 8, 48


def background(n: int, seed: int = 0) -> np.ndarray:
    """Smooth blue-green gradients drifting over time: every frame differs a little."""
    y, x = np.mgrid[0:64, 0:64].astype(np.float32) / 63
    out = np.empty((n, 64, 64, 3), np.uint8)
    for k in range(n):
        out[k, ..., 0] = 20
        out[k, ..., 1] = (80 + 100 * x + 2 * k) % 255
        out[k, ..., 2] = (150 + 80 * y) % 255
    return out


def planted(n: int = PLANT_LEN) -> np.ndarray:
    """A red-and-white checkerboard: nothing like the background."""
    y, x = np.mgrid[0:64, 0:64]
    board = ((x // 8 + y // 8) % 2).astype(bool)
    frame = np.zeros((64, 64, 3), np.uint8)
    frame[board] = (230, 30, 30)
    frame[~board] = (250, 250, 250)
    return np.repeat(frame[None], n, axis=0)


def planted_video_frames() -> np.ndarray:
    frames = background(N_FRAMES)
    frames[PLANT_FIRST : PLANT_FIRST + PLANT_LEN] = planted()
    return frames
