"""Fixtures for the editor tests: an (untrained but real) GeneRec encoder and tiny videos with a planted segment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from editor_media import FPS, N_FRAMES, planted_video_frames

from generec.media import write_video


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
