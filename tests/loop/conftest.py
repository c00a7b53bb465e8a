"""A small GeneRec-Sim world and the real instructor, shared by the closed-loop tests.

The instructor's sentence embeddings are cached in pytest's cache directory: the first run
embeds its examples (about a minute on a busy 2-core machine), later runs load them in seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def loop_world(tmp_path_factory: pytest.TempPathFactory):
    from generec.data.sim import World

    root = tmp_path_factory.mktemp("loopworld")
    return World.build(root / "world", users=16, items=80, seed=3, progress=False, overwrite=True)


@pytest.fixture(scope="session")
def instructor_home(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = getattr(request.config, "cache", None)  # absent under ``-p no:cacheprovider``: fit afresh
    if cache is None:
        return tmp_path_factory.mktemp("generec-loop-instructor")
    return Path(cache.mkdir("generec-loop-instructor"))


@pytest.fixture(scope="session")
def loop_parts(instructor_home: Path):
    """The real instructor (offline understanding + activation and exposure rules); no creator."""
    from generec.evaluation.loop import LoopParts

    return LoopParts.build(instructor_home)
