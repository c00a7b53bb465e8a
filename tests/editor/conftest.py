"""Fixtures for the editor tests: an (untrained but real) GeneRec encoder and tiny videos with a planted segment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generec.media import write_video

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


@pytest.fixture(scope="session")
def encoder():
    from generec.encoders.dual import DualEncoderConfig, GeneRecEncoder

    return GeneRecEncoder(DualEncoderConfig(dim=32), seed=0)


@pytest.fixture(scope="session")
def planted_video(tmp_path_factory) -> Path:
    """6 s at 8 fps with a 1 s planted checkerboard at 3-4 s and a sine sound track."""
    t = np.arange(int(44100 * N_FRAMES / FPS)) / 44100
    audio = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return write_video(planted_video_frames(), tmp_path_factory.mktemp("v") / "planted.mp4", FPS, audio=(audio, 44100))


@pytest.fixture(scope="session")
def silent_video(tmp_path_factory) -> Path:
    return write_video(planted_video_frames(), tmp_path_factory.mktemp("v") / "silent.mp4", FPS)
