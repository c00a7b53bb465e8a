"""GeneRec: a framework for generative recommendation.

GeneRec retrieves human-made items, repurposes them (the AI editor) and creates
new ones (the AI creator) for one user, guided by what that user says and does,
and checks everything generated before anyone sees it.

What a library user reaches for first lives here:

>>> from generec import GeneRec, Settings          # doctest: +SKIP
>>> generec = GeneRec.from_config(Settings(home="~/.generec"))   # doctest: +SKIP
>>> generec.session("alice").step("cats in the snow").reply      # doctest: +SKIP

The names are imported on first use, so ``import generec`` stays cheap (the pipeline
pulls in torch and the models only when ``GeneRec`` is asked for).
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing would cost more than this whole module
__version__ = "0.1.0"

# name -> module that defines it
_EXPORTS = {
    "GeneRec": "generec.pipeline",
    "Session": "generec.pipeline",
    "Response": "generec.pipeline",
    "Decision": "generec.pipeline",
    "Settings": "generec.config",
    "load_settings": "generec.config",
    "GeneRecError": "generec.errors",
    "Item": "generec.types",
    "User": "generec.types",
    "Event": "generec.types",
    "EventKind": "generec.types",
    "Media": "generec.types",
    "Modality": "generec.types",
    "Origin": "generec.types",
    "Role": "generec.types",
    "Instruction": "generec.types",
    "Guidance": "generec.types",
    "Candidate": "generec.types",
    "Provenance": "generec.types",
    "Verdict": "generec.types",
}

__all__ = [  # spelled out (not derived from _EXPORTS) so that linters and IDEs see the names
    "Candidate", "Decision", "Event", "EventKind", "GeneRec", "GeneRecError", "Guidance", "Instruction", "Item",
    "Media", "Modality", "Origin", "Provenance", "Response", "Role", "Session", "Settings", "User", "Verdict",
    "__version__", "load_settings",
]  # fmt: skip

if TYPE_CHECKING:
    from generec.config import Settings, load_settings
    from generec.errors import GeneRecError
    from generec.pipeline import Decision, GeneRec, Response, Session
    from generec.types import (
        Candidate,
        Event,
        EventKind,
        Guidance,
        Instruction,
        Item,
        Media,
        Modality,
        Origin,
        Provenance,
        Role,
        User,
        Verdict,
    )


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'generec' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
