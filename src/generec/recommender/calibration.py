"""Put content-only scores of new items on the scale of the scores of known items.

A model scores a known (warm) item with its learned embedding, which also
carries what content cannot know: how popular the item is, what its
neighbours in the graph liked. A new item is scored through the model's
content path (MMGCN's modality branches, or a content map), whose scores have
another scale, so a raw content score says nothing about where the item
belongs in the user's ranking of the whole corpus.

We calibrate per user by quantile matching: the content path also scores every
corpus item, so a new item's content score has a position among them; we give
it the warm score found at that position in the same user's warm scores
(piecewise-linear between order statistics; linear beyond the ends with the
ratio of the two spreads as slope). An item whose content beats 99 % of the
corpus for this user lands at the 99th percentile of the user's real ranking.
The map is strictly increasing, so it never reorders new items for a user.
"""

from __future__ import annotations

import numpy as np
import torch

from generec.recommender.ranking import chunk_size_for


def quantile_map(x: torch.Tensor, reference: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Map each row of ``x`` (B, M) from the distribution of ``reference`` (B, N) to that of ``target`` (B, N).

    Example
    -------
    >>> ref = torch.tensor([[0.0, 1.0, 2.0]])
    >>> tgt = torch.tensor([[10.0, 20.0, 30.0]])
    >>> quantile_map(torch.tensor([[0.5, 2.0, 3.0]]), ref, tgt).tolist()
    [[15.0, 30.0, 40.0]]
    """
    ref, _ = torch.sort(reference.double(), dim=1)
    tgt, _ = torch.sort(target.double(), dim=1)
    x = x.double()
    n = ref.shape[1]
    if n == 1:  # one known item: only a shift is defined
        return (x - ref + tgt).float()
    slope = (tgt.std(dim=1, keepdim=True) / ref.std(dim=1, keepdim=True).clamp_min(1e-12)).clamp_min(1e-6)
    hi = torch.searchsorted(ref.contiguous(), x.contiguous()).clamp(1, n - 1)
    lo = hi - 1
    r_lo, r_hi = ref.gather(1, lo), ref.gather(1, hi)
    t_lo, t_hi = tgt.gather(1, lo), tgt.gather(1, hi)
    width = r_hi - r_lo
    frac = torch.where(width > 0, (x - r_lo) / width.clamp_min(1e-300), torch.full_like(x, 0.5))
    inside = t_lo + frac.clamp(0, 1) * (t_hi - t_lo)
    below = tgt[:, :1] + (x - ref[:, :1]) * slope
    above = tgt[:, -1:] + (x - ref[:, -1:]) * slope
    out = torch.where(x < ref[:, :1], below, torch.where(x > ref[:, -1:], above, inside))
    return out.float()


def calibrate_new_scores(
    raw: torch.Tensor,
    user_vectors: torch.Tensor,
    content_item_vectors: torch.Tensor,
    warm_item_vectors: torch.Tensor,
    budget_bytes: int = 64 * 2**20,
) -> np.ndarray:
    """Calibrated scores ``(n_users, n_new)`` of new items for users given by their vectors.

    ``raw`` are the users' content-path scores of the new items; ``content_item_vectors`` are the
    corpus items through the same content path and ``warm_item_vectors`` their learned vectors.
    Users are processed in chunks (two ``chunk x n_items`` blocks), so memory stays bounded.
    """
    n_items = int(warm_item_vectors.shape[0])
    chunk = max(1, chunk_size_for(n_items, budget_bytes) // 4)  # sort() makes a few copies of each block
    parts = []
    with torch.no_grad():
        for start in range(0, len(user_vectors), chunk):
            u = user_vectors[start : start + chunk]
            parts.append(quantile_map(raw[start : start + chunk], u @ content_item_vectors.T, u @ warm_item_vectors.T))
    if not parts:
        return np.zeros((0, raw.shape[1]), dtype=np.float32)
    return torch.cat(parts).numpy()
