"""Interaction graphs as sparse tensors, and per-user item lists.

The user-item bipartite graph has ``n_users + n_items`` nodes: users first,
then items (node ``n_users + i`` is item ``i``). Graph models propagate
embeddings with one ``torch.sparse.mm`` per layer; nothing here is dense.
"""

from __future__ import annotations

import numpy as np
import torch

from generec.errors import DataError


def check_pairs(pairs: np.ndarray, n_users: int, n_items: int, what: str) -> np.ndarray:
    """Return ``pairs`` as an ``(n, 2)`` int64 array, or raise :class:`DataError`."""
    arr = np.asarray(pairs)
    if arr.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise DataError(f"{what} must be an (n, 2) array of (user, item) indices, got shape {arr.shape}")
    arr = arr.astype(np.int64, copy=False)
    if arr.min() < 0 or arr[:, 0].max() >= n_users or arr[:, 1].max() >= n_items:
        raise DataError(
            f"{what} has indices outside 0..{n_users - 1} (users) / 0..{n_items - 1} (items); "
            "build the split with Dataset.split() so indices match user_ids/item_ids"
        )
    return arr


def unique_pairs(pairs: np.ndarray, n_items: int) -> np.ndarray:
    """Drop repeated (user, item) pairs, sorted by user then item."""
    if len(pairs) == 0:
        return pairs
    keys = np.unique(pairs[:, 0] * n_items + pairs[:, 1])
    return np.stack([keys // n_items, keys % n_items], axis=1)


def user_item_csr(pairs: np.ndarray, n_users: int, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Items of each user as CSR ``(indptr, indices)``: user ``u``'s items are ``indices[indptr[u]:indptr[u+1]]``."""
    pairs = unique_pairs(pairs, n_items)
    counts = np.bincount(pairs[:, 0], minlength=n_users) if len(pairs) else np.zeros(n_users, dtype=np.int64)
    indptr = np.zeros(n_users + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, pairs[:, 1].astype(np.int64) if len(pairs) else np.zeros(0, dtype=np.int64)


def _bipartite_edges(pairs: np.ndarray, n_users: int) -> tuple[torch.Tensor, torch.Tensor]:
    u = torch.as_tensor(pairs[:, 0], dtype=torch.long)
    i = torch.as_tensor(pairs[:, 1], dtype=torch.long) + n_users
    rows = torch.cat([u, i])
    cols = torch.cat([i, u])
    return rows, cols


def normalized_adjacency(pairs: np.ndarray, n_users: int, n_items: int) -> torch.Tensor:
    """Symmetric normalised adjacency ``D^-1/2 A D^-1/2`` of the bipartite graph (LightGCN, eq. 7)."""
    pairs = unique_pairs(pairs, n_items)
    n = n_users + n_items
    rows, cols = _bipartite_edges(pairs, n_users)
    deg = torch.bincount(rows, minlength=n).float()
    inv_sqrt = torch.where(deg > 0, deg.pow(-0.5), torch.zeros_like(deg))
    values = inv_sqrt[rows] * inv_sqrt[cols]
    return torch.sparse_coo_tensor(torch.stack([rows, cols]), values, (n, n), check_invariants=True).coalesce()


def mean_adjacency(pairs: np.ndarray, n_users: int, n_items: int) -> torch.Tensor:
    """Row-normalised adjacency ``D^-1 A``: each node averages its neighbours (MMGCN's mean aggregation)."""
    pairs = unique_pairs(pairs, n_items)
    n = n_users + n_items
    rows, cols = _bipartite_edges(pairs, n_users)
    deg = torch.bincount(rows, minlength=n).float()
    values = 1.0 / deg[rows]
    return torch.sparse_coo_tensor(torch.stack([rows, cols]), values, (n, n), check_invariants=True).coalesce()


class _SparseMatmul(torch.autograd.Function):
    """``adj @ x`` whose backward is one more sparse product (``adj.T @ grad``).

    torch's generic sparse backward also prepares a gradient for the sparse
    operand, which we never train; skipping it halves a LightGCN step on CPU.
    """

    @staticmethod
    def forward(ctx, adj: torch.Tensor, adj_t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        ctx.adj_t = adj_t
        return torch.sparse.mm(adj, x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[None, None, torch.Tensor]:  # noqa: ANN001
        return None, None, torch.sparse.mm(ctx.adj_t, grad)


def propagate(adj: torch.Tensor, x: torch.Tensor, adj_t: torch.Tensor | None = None) -> torch.Tensor:
    """One graph propagation ``adj @ x``; ``adj_t`` is ``adj``'s transpose (omit it when ``adj`` is symmetric)."""
    if not x.requires_grad:
        return torch.sparse.mm(adj, x)
    return _SparseMatmul.apply(adj, adj if adj_t is None else adj_t, x)


def mean_of_layers(
    adj: torch.Tensor,
    x: torch.Tensor,
    n_layers: int,
    adj_t: torch.Tensor | None = None,
    keep: torch.Tensor | None = None,
) -> torch.Tensor:
    """LightGCN's linear propagation: the mean of ``x, adj x, ..., adj^K x`` (no transform, no non-linearity).

    ``keep`` (``[n_nodes, 1]`` of 0/1) zeroes the dropped nodes' vectors after every layer, so that
    they receive nothing from their neighbours.
    """
    total = x
    for _ in range(n_layers):
        x = propagate(adj, x, adj_t)
        if keep is not None:
            x = x * keep
        total = total + x
    return total / (n_layers + 1)


def transpose(adj: torch.Tensor) -> torch.Tensor:
    """The transpose of a coalesced sparse COO matrix, coalesced."""
    return adj.t().coalesce()
