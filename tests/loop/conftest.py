"""A small GeneRec-Sim world shared by the closed-loop tests (built once per session, ~10 s)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def loop_world(tmp_path_factory: pytest.TempPathFactory):
    from generec.data.sim import World

    root = tmp_path_factory.mktemp("loopworld")
    return World.build(root / "world", users=16, items=80, seed=3, progress=False, overwrite=True)
