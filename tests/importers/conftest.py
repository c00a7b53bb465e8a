"""Fixtures for the importer tests. Helpers live in ``importers_artefacts`` (a unique module name:
``from conftest import ...`` would find whichever folder's conftest pytest loaded last)."""

from __future__ import annotations

from pathlib import Path

import pytest
from importers_artefacts import COLORS, make_image, make_video


@pytest.fixture(scope="session")
def clean_videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of three good 2-second videos and one cover image (shared, never modified by tests)."""
    d = tmp_path_factory.mktemp("clean_videos")
    for name, color in COLORS.items():
        make_video(d / f"{name}.mp4", color)
    make_image(d / "red_car.jpg", (255, 0, 0))
    return d


@pytest.fixture()
def video_dir(tmp_path: Path, clean_videos: Path) -> Path:
    """A fresh, writable copy of :func:`clean_videos` for a test to damage."""
    d = tmp_path / "videos"
    d.mkdir()
    for f in clean_videos.iterdir():
        (d / f.name).write_bytes(f.read_bytes())
    return d


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h
