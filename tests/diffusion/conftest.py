"""Diffusion tests run single-threaded: on a shared 2-core machine that is several times faster for tiny models."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def sim_world(tmp_path_factory: pytest.TempPathFactory):
    """A tiny GeneRec-Sim world (40 users, 40 items) with likes, built in well under a second."""
    from generec.data.sim import World

    return World.build(
        tmp_path_factory.mktemp("diffusion_world"),
        users=60,
        items=80,
        seed=1,
        media=False,
        progress=False,
        instructions=20,
    )


@pytest.fixture(scope="session")
def encoder():
    """GeneRec's own encoder, untrained (random image tower, the packaged MiniLM text tower): real, only not fitted."""
    from generec.encoders.dual import GeneRecEncoder

    return GeneRecEncoder(seed=0)
