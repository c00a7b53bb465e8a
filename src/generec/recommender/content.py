"""A learned map from item content features to item embeddings.

Collaborative models (BPR-MF, LightGCN) learn an embedding per item ID, so an
item nobody has interacted with (an AI-created one) has none. We fit a ridge
regression from the item's features (all modalities, standardised and
concatenated) to the embeddings the model learned for warm items; a new item's
embedding is then its features mapped through it (as in DropoutNet-style
cold-start work, here in closed form so it is exact and deterministic).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from generec.errors import DataError


def check_new_features(item_features: Mapping[str, np.ndarray], dims: Mapping[str, int]) -> dict[str, np.ndarray]:
    """Features of new items must have the modalities and widths the model was trained with."""
    if not isinstance(item_features, Mapping) or not item_features:
        raise DataError(f"item features must be a dict {{modality: array(n, d)}} with modalities {sorted(dims)}")
    missing = sorted(set(dims) - set(item_features))
    if missing:
        raise DataError(f"item features lack modality/modalities {missing}; the model was trained on {sorted(dims)}")
    out, n_rows = {}, None
    for name, d in dims.items():
        a = np.array(item_features[name], dtype=np.float32)  # a copy: callers may pass read-only views
        if a.ndim == 1:
            a = a[None, :]
        if a.ndim != 2 or a.shape[1] != d:
            raise DataError(f"item feature {name!r} has shape {a.shape}, expected (n, {d})")
        if not np.isfinite(a).all():
            raise DataError(f"item feature {name!r} contains NaN or infinite values")
        if n_rows is not None and a.shape[0] != n_rows:
            raise DataError("item features of different modalities have different numbers of rows")
        n_rows = a.shape[0]
        out[name] = a
    return out


class ContentMap:
    """Ridge regression from concatenated item features to item embeddings.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> f = {"text": rng.normal(size=(50, 8)).astype("float32")}
    >>> emb = f["text"] @ rng.normal(size=(8, 4)).astype("float32")
    >>> cm = ContentMap(alpha=1e-3).fit(f, emb)
    >>> float(np.abs(cm.transform(f).numpy() - emb).max()) < 1e-2
    True
    """

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)

    def _design(self, features: Mapping[str, np.ndarray]) -> torch.Tensor:
        blocks = [
            (torch.as_tensor(features[m], dtype=torch.float64) - self.mean_[m]) / self.std_[m] for m in self.dims_
        ]
        x = torch.cat(blocks, dim=1)
        return torch.cat([x, torch.ones(x.shape[0], 1, dtype=torch.float64)], dim=1)

    def fit(
        self, features: Mapping[str, np.ndarray], targets: np.ndarray | torch.Tensor, rows: np.ndarray | None = None
    ) -> ContentMap:
        """Fit on the items in ``rows`` (default: all) whose embeddings are ``targets[rows]``."""
        self.dims_ = {m: int(np.asarray(a).shape[1]) for m, a in features.items()}
        sel = slice(None) if rows is None else np.asarray(rows)
        self.mean_, self.std_ = {}, {}
        for m, a in features.items():
            t = torch.as_tensor(np.asarray(a)[sel], dtype=torch.float64)
            self.mean_[m] = t.mean(dim=0)
            self.std_[m] = t.std(dim=0, correction=0).clamp_min(1e-6)
        x = self._design({m: np.asarray(a)[sel] for m, a in features.items()})
        y = torch.as_tensor(np.asarray(targets, dtype=np.float64))[sel]
        gram = x.T @ x + self.alpha * torch.eye(x.shape[1], dtype=torch.float64)
        self.weight_ = torch.linalg.solve(gram, x.T @ y)
        return self

    def transform(self, features: Mapping[str, np.ndarray]) -> torch.Tensor:
        """Item embeddings (float32) for items given by their features."""
        checked = check_new_features(features, self.dims_)
        return (self._design(checked) @ self.weight_).float()

    def state(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "modalities": list(self.dims_),
            "dims": [self.dims_[m] for m in self.dims_],
            "mean": [self.mean_[m] for m in self.dims_],
            "std": [self.std_[m] for m in self.dims_],
            "weight": self.weight_,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> ContentMap:
        cm = cls(alpha=state["alpha"])
        cm.dims_ = dict(zip(state["modalities"], state["dims"], strict=True))
        cm.mean_ = dict(zip(state["modalities"], state["mean"], strict=True))
        cm.std_ = dict(zip(state["modalities"], state["std"], strict=True))
        cm.weight_ = state["weight"]
        return cm
