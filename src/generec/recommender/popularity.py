"""Most-popular baseline: every user gets the items with the most training interactions."""

from __future__ import annotations

import numpy as np
import torch

from generec.data.dataset import Split
from generec.recommender.base import Features, Recommender, check_split
from generec.recommender.graph import unique_pairs


class Popularity(Recommender):
    """Scores an item by its number of training interactions (same list for everyone).

    Written as a one-dimensional dot product (user vector 1, item vector = count)
    so that it ranks through the same chunked machinery as the learned models.
    A new item has no interactions and scores 0.

    Example
    -------
    >>> from generec.recommender.synthetic import planted_split
    >>> split, _ = planted_split(n_users=40, n_items=30, seed=0)
    >>> Popularity().fit(split).score([0, 1]).shape
    (2, 30)
    """

    name = "pop"

    def __init__(self) -> None:
        pass

    def fit(self, split: Split, features: Features | None = None) -> Popularity:
        split = check_split(split)
        self.train_ = unique_pairs(np.asarray(split.train, dtype=np.int64), split.n_items)
        counts = np.bincount(self.train_[:, 1], minlength=split.n_items).astype(np.float32)
        self.user_emb_ = torch.ones(split.n_users, 1)
        self.item_emb_ = torch.as_tensor(counts / max(1.0, counts.max()))[:, None]
        return self

    def item_embeddings_from_features(self, item_features: Features) -> torch.Tensor:
        n = len(next(iter(item_features.values()))) if item_features else 0
        return torch.zeros(n, 1)
