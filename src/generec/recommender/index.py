"""Top-K retrieval over the whole corpus, human and AI items, with per-user visibility.

Exact search (the default) scores users in chunks against every item and keeps
the top ``k`` (see :mod:`generec.recommender.ranking`). For large corpora the
optional ``usearch`` backend (``pip install 'generec[ann]'``) proposes
candidates from an HNSW graph; GeneRec then re-scores them exactly and applies
the visibility filter, falling back to exact search for any user the ANN
candidates do not cover. Either way a private AI item is only ever returned to
the user it was made for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from generec.errors import DataError, ModelError, require
from generec.recommender.ranking import topk_chunked
from generec.types import Item, Visibility

PUBLIC = -1


class VisibilityFilter:
    """Which items each user may see: public items, and private items only by their one viewer.

    ``owner[i]`` is ``-1`` for a public item, else the index of the only user who may see item ``i``.

    Example
    -------
    >>> vis = VisibilityFilter(np.array([-1, 0, 1]))
    >>> vis(np.array([0, 1])).tolist()
    [[True, True, False], [True, False, True]]
    """

    def __init__(self, owner: np.ndarray) -> None:
        self.owner = np.asarray(owner, dtype=np.int64).reshape(-1)

    @classmethod
    def from_items(cls, items: Sequence[Item], user_ids: Sequence[str]) -> VisibilityFilter:
        """Build from :class:`~generec.types.Item` records (in index order) and the users' ids (in index order).

        A private item whose viewer is not among ``user_ids`` is visible to nobody.
        """
        position = {uid: k for k, uid in enumerate(user_ids)}
        nobody = len(user_ids)  # an index no user has
        owner = [
            PUBLIC if item.visibility is Visibility.PUBLIC else position.get(item.visible_to or "", nobody)
            for item in items
        ]
        return cls(np.asarray(owner, dtype=np.int64))

    @property
    def n_items(self) -> int:
        return len(self.owner)

    def extend(self, owner: np.ndarray | int, n: int = 1) -> None:
        """Append ``n`` items with the given owner(s) (``-1``: public)."""
        new = np.broadcast_to(np.asarray(owner, dtype=np.int64), (n,)) if np.ndim(owner) == 0 else owner
        self.owner = np.concatenate([self.owner, np.asarray(new, dtype=np.int64)])

    def __call__(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        return (self.owner[None, :] == PUBLIC) | (self.owner[None, :] == users[:, None])


Visibility_ = Callable[[np.ndarray], np.ndarray]
"""Any callable mapping user indices to a boolean ``(n_users, n_items)`` mask of visible items."""


class RetrievalIndex:
    """Top-K items for user vectors, exact by default.

    Parameters
    ----------
    item_vectors
        ``(n_items, d)`` item vectors (e.g. ``model.item_emb_``); score = dot product.
    visibility
        A :class:`VisibilityFilter` (or any callable with its signature); ``None`` = all public.
    backend
        ``"exact"`` or ``"usearch"`` (approximate candidates, exact re-scoring).

    Example
    -------
    >>> items = np.eye(3, dtype="float32")
    >>> index = RetrievalIndex(items, visibility=VisibilityFilter(np.array([-1, 5, -1])))
    >>> index.search(np.array([[0.0, 1.0, 0.5]]), k=1, users=np.array([0]))[0].tolist()
    [[2]]
    """

    def __init__(
        self,
        item_vectors: np.ndarray | torch.Tensor,
        visibility: VisibilityFilter | Visibility_ | None = None,
        backend: str = "exact",
        chunk_size: int | None = None,
        oversample: int = 4,
    ) -> None:
        if backend not in ("exact", "usearch"):
            raise ModelError(f"unknown retrieval backend {backend!r}: use 'exact' or 'usearch'")
        self.vectors = np.ascontiguousarray(np.asarray(item_vectors, dtype=np.float32))
        if self.vectors.ndim != 2:
            raise DataError(f"item vectors must be a 2-D array (n_items, d), got shape {self.vectors.shape}")
        self.visibility = visibility
        self.backend = backend
        self.chunk_size = chunk_size
        self.oversample = oversample
        self._ann = None
        if backend == "usearch":
            self._ann = self._build_ann(self.vectors)

    @classmethod
    def from_model(cls, model, **kwargs) -> RetrievalIndex:  # noqa: ANN001 - any fitted Recommender
        """Index a fitted recommender's item vectors."""
        model._check_fitted()
        return cls(model.item_emb_.numpy(), **kwargs)

    @property
    def n_items(self) -> int:
        return len(self.vectors)

    def _build_ann(self, vectors: np.ndarray):  # noqa: ANN202 - usearch type is optional
        usearch_index = require("usearch.index", "ann", "approximate retrieval")
        ann = usearch_index.Index(ndim=vectors.shape[1], metric="ip", dtype="f32")
        if len(vectors):
            ann.add(np.arange(len(vectors)), vectors)
        return ann

    def add(self, item_vectors: np.ndarray, owner: np.ndarray | int = PUBLIC) -> np.ndarray:
        """Add items (e.g. newly created AI items); returns their indices. ``owner``: -1 public, else viewer."""
        new = np.asarray(item_vectors, dtype=np.float32).reshape(-1, self.vectors.shape[1])
        first = self.n_items
        self.vectors = np.ascontiguousarray(np.concatenate([self.vectors, new]))
        if isinstance(self.visibility, VisibilityFilter):
            self.visibility.extend(owner, len(new))
        elif np.any(np.asarray(owner) != PUBLIC):
            raise ModelError("private items need a VisibilityFilter on the index to record who may see them")
        if self._ann is not None:
            self._ann.add(np.arange(first, self.n_items), new)
        return np.arange(first, self.n_items)

    def _allow(self, users: np.ndarray | None) -> Callable[[np.ndarray], np.ndarray] | None:
        if self.visibility is None:
            return None
        if users is None:
            raise DataError("this index filters by visibility: pass users= (the index of each querying user)")
        return lambda rows: self.visibility(users[rows])

    def search(
        self,
        user_vectors: np.ndarray | torch.Tensor,
        k: int = 10,
        users: np.ndarray | None = None,
        exclude: Sequence[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` ``(item indices, scores)`` per query row; ``-1``/``-inf`` fill rows with fewer visible items.

        ``users[r]`` is the index of the user behind query row ``r`` (needed for
        visibility); ``exclude[r]`` lists items not to return to that row (e.g. seen).
        """
        queries = np.atleast_2d(np.asarray(user_vectors, dtype=np.float32))
        if queries.shape[1] != self.vectors.shape[1]:
            raise DataError(f"query vectors have width {queries.shape[1]}, the index holds {self.vectors.shape[1]}")
        users = None if users is None else np.asarray(users, dtype=np.int64).reshape(-1)
        ex = None
        if exclude is not None:
            lengths = np.asarray([len(e) for e in exclude], dtype=np.int64)
            indptr = np.concatenate([[0], np.cumsum(lengths)])
            indices = np.concatenate([np.asarray(e, dtype=np.int64) for e in exclude]) if len(exclude) else indptr[:0]
            ex = (indptr, indices)
        if self._ann is not None and len(queries):
            return self._search_ann(queries, k, users, ex)
        return self._search_exact(queries, np.arange(len(queries)), k, users, ex)

    def _search_exact(self, queries, rows, k, users, ex):  # noqa: ANN001, ANN202 - internal
        q = torch.as_tensor(queries)
        items = torch.as_tensor(self.vectors)
        parts = list(
            topk_chunked(
                lambda r: q[torch.as_tensor(r)] @ items.T,
                rows,
                self.n_items,
                k,
                exclude=ex,
                allow=self._allow(users),
                chunk_size=self.chunk_size,
            )
        )
        if not parts:
            return np.zeros((0, k), dtype=np.int64), np.zeros((0, k), dtype=np.float32)
        return np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])

    def _search_ann(self, queries, k, users, ex):  # noqa: ANN001, ANN202 - internal
        k = min(k, self.n_items)
        found = self._ann.search(queries, min(self.n_items, k * self.oversample))
        cand = np.asarray(found.keys, dtype=np.int64).reshape(len(queries), -1)
        top = np.full((len(queries), k), -1, dtype=np.int64)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        allow = self._allow(users)
        for r in range(len(queries)):
            c = cand[r]
            c = c[(c >= 0) & (c < self.n_items)]
            if allow is not None:
                c = c[allow(np.array([r]))[0][c]]
            if ex is not None:
                c = c[~np.isin(c, ex[1][ex[0][r] : ex[0][r + 1]])]
            if len(c) < k:  # ANN candidates ran out after filtering: answer this row exactly
                sub_ex = (
                    None if ex is None else (np.array([0, ex[0][r + 1] - ex[0][r]]), ex[1][ex[0][r] : ex[0][r + 1]])
                )
                sub_users = None if users is None else users[r : r + 1]
                t, s = self._search_exact(queries[r : r + 1], np.array([0]), k, sub_users, sub_ex)
                top[r], scores[r] = t[0], s[0]
                continue
            s = self.vectors[c] @ queries[r]
            best = np.argsort(-s, kind="stable")[:k]
            top[r], scores[r] = c[best], s[best]
        return top, scores
