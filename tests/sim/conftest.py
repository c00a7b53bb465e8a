"""Shared tiny GeneRec-Sim worlds (built once per test session)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from generec.data.sim import World

TINY = {"users": 30, "items": 20, "seed": 7, "instructions": 120}


def tree_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root``, keyed by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def tiny() -> dict:
    """Config of the tiny media world (build it again to compare bytes)."""
    return dict(TINY)


@pytest.fixture(scope="session")
def hashes():
    """``hashes(root)`` -> {relative path: SHA-256} of every file under root."""
    return tree_hashes


@pytest.fixture(scope="session")
def media_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """30 users x 20 items, with rendered media."""
    return World.build(tmp_path_factory.mktemp("sim") / "media-world", progress=False, workers=1, **TINY)


@pytest.fixture(scope="session")
def meta_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A bigger metadata-only world (enough events to check the click model statistically)."""
    root = tmp_path_factory.mktemp("sim") / "meta-world"
    return World.build(root, progress=False, users=400, items=150, seed=11, media=False, instructions=240)
