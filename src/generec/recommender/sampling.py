"""Negative sampling for the BPR loss.

One epoch visits every training pair once, in a seeded random order, and pairs
it with one item the user has not interacted with (uniform over the corpus,
re-drawn on collision) — the standard BPR-MF / LightGCN protocol.
"""

from __future__ import annotations

import numpy as np


class NegativeSampler:
    """Draws ``(user, positive, negative)`` triples from training pairs.

    Example
    -------
    >>> s = NegativeSampler(np.array([[0, 0], [0, 1], [1, 2]]), n_items=4)
    >>> u, i, j = s.epoch(np.random.default_rng(0))
    >>> bool(((u == 0) & (j < 2)).any())
    False
    """

    def __init__(self, train: np.ndarray, n_items: int, max_redraws: int = 20) -> None:
        self.train = np.asarray(train, dtype=np.int64)
        self.n_items = int(n_items)
        self.max_redraws = max_redraws
        self._keys = np.unique(self.train[:, 0] * self.n_items + self.train[:, 1])

    def _is_positive(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        keys = users * self.n_items + items
        pos = np.clip(np.searchsorted(self._keys, keys), 0, len(self._keys) - 1)
        return self._keys[pos] == keys

    def epoch(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All training pairs in random order, each with one sampled negative item."""
        order = rng.permutation(len(self.train))
        users, pos = self.train[order, 0], self.train[order, 1]
        neg = rng.integers(0, self.n_items, size=len(users))
        for _ in range(self.max_redraws):
            bad = self._is_positive(users, neg)
            if not bad.any():
                break
            neg[bad] = rng.integers(0, self.n_items, size=int(bad.sum()))
        return users, pos, neg
