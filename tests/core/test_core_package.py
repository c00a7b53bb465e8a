"""The package's top level: what a library user reaches for first, without paying for it on import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import generec


def test_main_names_are_importable_from_the_top_level() -> None:
    from generec import GeneRec, Item, Session, Settings, User
    from generec.config import Settings as ConfigSettings
    from generec.pipeline import GeneRec as PipelineGeneRec
    from generec.types import Item as TypesItem

    assert GeneRec is PipelineGeneRec and Settings is ConfigSettings and Item is TypesItem
    assert callable(GeneRec.from_config) and Session.__name__ == "Session" and User.__name__ == "User"
    assert set(generec.__all__) == {"__version__", *generec._EXPORTS}
    for name in generec.__all__:
        assert getattr(generec, name) is not None
    assert "GeneRec" in dir(generec)


def test_unknown_names_still_fail_plainly() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Genrec'"):
        generec.Genrec  # noqa: B018
    with pytest.raises(ImportError):
        from generec import Genrec  # noqa: F401


def test_importing_the_package_loads_no_heavy_module() -> None:
    code = "import sys, generec; print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'generec')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['generec']", out
