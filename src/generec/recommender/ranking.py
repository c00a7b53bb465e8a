"""Full ranking over the whole item corpus in bounded memory.

A score matrix for every user and item (``n_users x n_items``) is never built:
users are scored one chunk at a time (``chunk x n_items``), seen items are
masked, and only the top ``k`` of each row is kept. The chunk size follows a
byte budget, so 1M users x 100k items runs in a few hundred MiB.

Metrics follow the usual full-ranking definitions (as in RecBole/LightGCN):
for a user with held-out items ``T`` and top-``K`` list ``R``,
``Recall@K = |R∩T| / |T|``, ``Precision@K = |R∩T| / K``,
``NDCG@K = DCG@K / IDCG@K`` with binary gains and ``log2(rank + 2)`` discounts;
averaged over users with at least one held-out item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

ScoreFn = Callable[[np.ndarray], torch.Tensor]
"""Maps an array of user indices to a ``(len(users), n_items)`` float tensor of scores."""

DEFAULT_BUDGET_BYTES = 256 * 2**20


def dot_scorer(user_emb: torch.Tensor | np.ndarray, item_emb: torch.Tensor | np.ndarray) -> ScoreFn:
    """Score function for models whose score is ``user_emb[u] · item_emb[i]``."""
    users_t = torch.as_tensor(np.asarray(user_emb, dtype=np.float32))
    items_t = torch.as_tensor(np.asarray(item_emb, dtype=np.float32))

    def score(users: np.ndarray) -> torch.Tensor:
        return users_t[torch.as_tensor(users, dtype=torch.long)] @ items_t.T

    return score


def chunk_size_for(n_items: int, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> int:
    """Users per chunk so that one ``chunk x n_items`` float32 block fits ``budget_bytes``."""
    return max(1, int(budget_bytes // (4 * max(1, n_items))))


def csr_rows(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gather CSR rows: ``(row_position, column)`` for every stored entry of ``rows``."""
    starts, ends = indptr[rows], indptr[rows + 1]
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    row_pos = np.repeat(np.arange(len(rows)), lengths)
    first = np.repeat(np.cumsum(lengths) - lengths, lengths)
    cols = indices[np.arange(total) - first + np.repeat(starts, lengths)]
    return row_pos, cols


def topk_chunked(
    score_fn: ScoreFn,
    users: np.ndarray,
    n_items: int,
    k: int,
    exclude: tuple[np.ndarray, np.ndarray] | None = None,
    allow: Callable[[np.ndarray], np.ndarray] | None = None,
    chunk_size: int | None = None,
    progress: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield ``(users_chunk, top_items, top_scores)`` chunk by chunk.

    ``exclude`` is a CSR ``(indptr, indices)`` of items never to return per user
    (e.g. training items). ``allow(users_chunk)`` may return a boolean
    ``(len(chunk), n_items)`` mask of items a user may see (visibility). Slots
    with no allowed item left carry index ``-1`` and score ``-inf``.
    """
    k = min(int(k), n_items)
    users = np.asarray(users, dtype=np.int64)
    step = chunk_size or chunk_size_for(n_items)
    starts = range(0, len(users), step)
    for start in tqdm(starts, desc="ranking", unit="chunk", disable=not progress):
        chunk = users[start : start + step]
        with torch.no_grad():
            scores = score_fn(chunk).float()
            if exclude is not None:
                rows, cols = csr_rows(exclude[0], exclude[1], chunk)
                scores[torch.as_tensor(rows), torch.as_tensor(cols)] = -torch.inf
            if allow is not None:
                visible = torch.as_tensor(np.asarray(allow(chunk), dtype=bool))
                scores.masked_fill_(~visible, -torch.inf)
            top_scores, top_items = torch.topk(scores, k, dim=1)
        top_items = top_items.numpy()
        top_scores = top_scores.numpy()
        top_items[np.isneginf(top_scores)] = -1
        yield chunk, top_items, top_scores


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(k) + 2.0)


def ranking_metrics(
    score_fn: ScoreFn,
    truth: np.ndarray,
    n_users: int,
    n_items: int,
    exclude: np.ndarray | None = None,
    ks: Sequence[int] = (10, 20, 50),
    chunk_size: int | None = None,
    progress: bool = False,
) -> dict[str, float]:
    """Full-ranking Recall/NDCG/Precision@K of ``score_fn`` against held-out ``truth`` pairs.

    Parameters
    ----------
    score_fn
        Scores of a chunk of users over all items (see :func:`dot_scorer`).
    truth
        ``(n, 2)`` held-out ``(user, item)`` pairs; only these users are evaluated.
    exclude
        ``(n, 2)`` pairs masked out of the ranking (training items; for test also validation items).
    """
    from generec.recommender.graph import unique_pairs, user_item_csr

    ks = sorted({int(k) for k in ks})
    truth = unique_pairs(np.asarray(truth, dtype=np.int64).reshape(-1, 2), n_items)
    users = np.unique(truth[:, 0])
    result = {f"{m}@{k}": 0.0 for k in ks for m in ("recall", "ndcg", "precision")}
    if len(users) == 0:
        return {**result, "n_users": 0}
    truth_keys = truth[:, 0] * n_items + truth[:, 1]  # sorted by construction
    n_truth = np.bincount(truth[:, 0], minlength=n_users)
    ex = (
        user_item_csr(np.asarray(exclude, dtype=np.int64).reshape(-1, 2), n_users, n_items)
        if exclude is not None
        else None
    )
    kmax = min(ks[-1], n_items)
    disc = _discounts(kmax)
    idcg_cum = np.cumsum(disc)
    for chunk, top, _ in topk_chunked(
        score_fn, users, n_items, kmax, exclude=ex, chunk_size=chunk_size, progress=progress
    ):
        keys = chunk[:, None] * n_items + np.maximum(top, 0)
        pos = np.clip(np.searchsorted(truth_keys, keys), 0, len(truth_keys) - 1)
        hits = (truth_keys[pos] == keys) & (top >= 0)
        n_rel = n_truth[chunk]
        for k in ks:
            kk = min(k, kmax)
            h = hits[:, :kk]
            n_hit = h.sum(axis=1)
            dcg = (h * disc[:kk]).sum(axis=1)
            idcg = idcg_cum[np.minimum(n_rel, kk) - 1]
            result[f"recall@{k}"] += float((n_hit / n_rel).sum())
            result[f"precision@{k}"] += float((n_hit / k).sum())
            result[f"ndcg@{k}"] += float((dcg / idcg).sum())
    out = {name: value / len(users) for name, value in result.items()}
    return {**out, "n_users": len(users)}
