"""Fixtures for the fashion domain: the real Fashion-MNIST files from Debian's ``dataset-fashion-mnist``.

CI installs the package (.ci/run), so these tests run there; on a machine without it they
skip with the command that installs it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generec.data.fashion.source import DEFAULT_DIR, SPLITS

FILES = [f"{stem}.gz" for pair in SPLITS.values() for stem in pair]


@pytest.fixture(scope="session")
def fashion_files() -> Path:
    """Debian's Fashion-MNIST folder (read-only)."""
    if not all((DEFAULT_DIR / f).is_file() for f in FILES):
        pytest.skip("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist")
    return DEFAULT_DIR


@pytest.fixture()
def fashion_copy(tmp_path: Path, fashion_files: Path) -> Path:
    """A writable copy of the four files, for a test to damage."""
    d = tmp_path / "fashion-mnist"
    d.mkdir()
    for f in FILES:
        shutil.copyfile(fashion_files / f, d / f)
    return d
