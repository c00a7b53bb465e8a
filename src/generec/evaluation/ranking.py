"""Ranking metrics: full-ranking Recall/NDCG/Precision@K and the paper's PS@K.

The bounded-memory engine lives with the models (:mod:`generec.recommender.ranking`);
this module is the evaluation-side entry point: it decides which items are
masked for which held-out set, and adds PS@K (paper §4.1: the mean score a
trained recommender gives the ``K`` items shown to a user), which works for any
item — human, edited or created — because new items are scored from content.

Example
-------
>>> from generec.recommender import BPRMF
>>> from generec.recommender.synthetic import planted_split
>>> split, feats = planted_split(seed=0)
>>> model = BPRMF(epochs=3, verbose=False).fit(split, features=feats)
>>> sorted(evaluate(model, split, ks=(10,)))
['n_users', 'ndcg@10', 'precision@10', 'recall@10']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from generec.data.dataset import Split
from generec.errors import DataError
from generec.recommender.base import Recommender
from generec.recommender.ranking import chunk_size_for, dot_scorer, ranking_metrics, topk_chunked

__all__ = ["chunk_size_for", "dot_scorer", "evaluate", "ps_at_k", "ranking_metrics", "topk_chunked"]


def evaluate(
    model: Recommender,
    split: Split,
    on: str = "test",
    ks: Sequence[int] = (10, 20, 50),
    chunk_size: int | None = None,
    progress: bool = False,
) -> dict[str, float]:
    """Full-ranking metrics of a fitted ``model`` on ``split.test`` (or ``split.valid``).

    Training items are masked; for ``on="test"`` validation items are masked too.
    """
    if on not in ("test", "valid"):
        raise DataError(f"on must be 'test' or 'valid', got {on!r}")
    if model.n_users != split.n_users or model.n_items != split.n_items:
        raise DataError(
            f"model was trained on {model.n_users} users x {model.n_items} items, "
            f"the split has {split.n_users} x {split.n_items}: evaluate on the split it was trained on"
        )
    truth = split.test if on == "test" else split.valid
    parts = [np.asarray(split.train).reshape(-1, 2)]
    if on == "test":
        parts.append(np.asarray(split.valid).reshape(-1, 2))
    exclude = np.concatenate(parts).astype(np.int64)
    return ranking_metrics(
        model.score_fn(),
        truth,
        split.n_users,
        split.n_items,
        exclude=exclude,
        ks=ks,
        chunk_size=chunk_size,
        progress=progress,
    )


def ps_at_k(
    model: Recommender,
    users: np.ndarray | Sequence[int],
    items: np.ndarray | None = None,
    item_features: Mapping[str, np.ndarray] | None = None,
    reduce: str = "mean",
) -> float | np.ndarray:
    """PS@K: the mean predicted score of the ``K`` items shown to each user.

    Give either ``items`` — ``(n_users, K)`` indices of corpus items — or
    ``item_features`` — ``{modality: (n_users, K, d)}`` features of the items
    shown (e.g. generated thumbnails; ``(K, d)`` means the same K items for all
    users). ``reduce="none"`` returns the per-user means.
    """
    users = np.asarray(users, dtype=np.int64).reshape(-1)
    if (items is None) == (item_features is None):
        raise DataError("ps_at_k needs exactly one of items= (indices) or item_features= (content features)")
    if items is not None:
        idx = np.asarray(items, dtype=np.int64)
        idx = np.broadcast_to(idx, (len(users), idx.shape[-1])) if idx.ndim == 1 else idx
        if idx.shape[0] != len(users):
            raise DataError(f"items has {idx.shape[0]} rows, expected one per user ({len(users)})")
        if idx.size and (idx.min() < 0 or idx.max() >= model.n_items):
            raise DataError(f"item index out of range 0..{model.n_items - 1}")
        per_user = np.array([model.score(users[r : r + 1], idx[r])[0].mean() for r in range(len(users))])
    else:
        per_user = _ps_from_features(model, users, item_features)
    if reduce == "none":
        return per_user
    return float(per_user.mean()) if len(per_user) else float("nan")


def _ps_from_features(model: Recommender, users: np.ndarray, item_features: Mapping[str, np.ndarray]) -> np.ndarray:
    arrays = {m: np.asarray(a, dtype=np.float32) for m, a in item_features.items()}
    if any(a.ndim == 2 for a in arrays.values()):  # the same K items for every user
        scores = model.score_items(users, arrays)
        return scores.mean(axis=1)
    out = np.empty(len(users))
    for r, u in enumerate(users):
        row = {}
        for m, a in arrays.items():
            if a.ndim != 3 or a.shape[0] != len(users):
                raise DataError(f"item_features[{m!r}] must be (n_users, K, d) or (K, d), got {a.shape}")
            row[m] = a[r]
        out[r] = model.score_items([u], row)[0].mean()
    return out
