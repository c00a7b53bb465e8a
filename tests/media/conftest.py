"""Fixtures for the media tests: tiny real videos written with PyAV, and the Big Buck Bunny film."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from media_artefacts import moving_square, sine

from generec.media import write_video


@pytest.fixture
def make_video(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_video(name, n=16, fps=8, audio_s=None, width=64, height=48)`` -> path."""

    def make(name: str = "clip.mp4", n: int = 16, fps: float = 8, audio_s: float | None = None,
             width: int = 64, height: int = 48) -> Path:  # fmt: skip
        audio = None if audio_s is None else (sine(audio_s), 44100)
        return write_video(moving_square(n, width, height), tmp_path / name, fps, audio=audio)

    return make


@pytest.fixture(scope="session")
def bbb_film() -> Path:
    """The 10-minute Big Buck Bunny film (from the moviepy sdist on PyPI), cached across runs."""
    from generec.data.samples import fetch_bbb
    from generec.errors import DataError

    try:
        return fetch_bbb()  # cache: $GENEREC_SAMPLES_DIR or ~/.cache/generec/samples
    except DataError as exc:
        pytest.skip(f"Big Buck Bunny unavailable: {exc}")
