"""Fixtures for the fidelity tests: real photos, the deployment's keys, a SQLite store in tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generec.fidelity.evalset import photo_frames
from generec.fidelity.keys import DeploymentKeys
from generec.store import Store
from generec.types import User


@pytest.fixture(scope="session")
def photos64() -> list[np.ndarray]:
    """40 real-photo crops at 64x64, the smallest size our generators output."""
    return photo_frames(40, 64, seed=11)


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> DeploymentKeys:
    return DeploymentKeys.ensure(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="session")
def foreign_keys(tmp_path_factory: pytest.TempPathFactory) -> DeploymentKeys:
    """Another deployment's keys: its signatures must not verify as ours."""
    return DeploymentKeys.ensure(tmp_path_factory.mktemp("other-home"))


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock):
    s = Store.open(tmp_path / "generec.db", clock=clock)
    s.add_users([User(id="alice"), User(id="bob")])
    yield s
    s.close()
