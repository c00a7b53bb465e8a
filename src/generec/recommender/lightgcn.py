"""LightGCN (He et al., SIGIR 2020): linear propagation on the user-item graph.

Layer ``k+1`` is ``E(k+1) = Â E(k)`` with ``Â = D^-1/2 A D^-1/2`` — no feature
transform, no non-linearity — and the final embedding is the mean of layers
``0..K`` (eq. 8 of the paper with ``α_k = 1/(K+1)``). Only the layer-0 (ego)
embeddings are parameters, and only they are L2-regularised.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from generec.recommender.graph import mean_of_layers, normalized_adjacency
from generec.recommender.training import BPRTrained


class _LightGCNModule(nn.Module):
    def __init__(
        self, n_users: int, n_items: int, dim: int, n_layers: int, adjacency: torch.Tensor, generator: torch.Generator
    ) -> None:
        super().__init__()
        self.n_users, self.n_layers = n_users, n_layers
        self.adjacency = adjacency  # not a parameter; rebuilt from the training pairs on load
        self.ego = nn.Parameter(torch.empty(n_users + n_items, dim))
        nn.init.normal_(self.ego, std=0.1, generator=generator)

    def forward(self, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        final = mean_of_layers(self.adjacency, self.ego, self.n_layers)  # Â is symmetric
        return final[: self.n_users], final[self.n_users :]

    def ego_sq_norm(self, u: torch.Tensor, i: torch.Tensor, j: torch.Tensor) -> torch.Tensor:
        items = self.ego[self.n_users :]
        return self.ego[u].pow(2).sum() + items[i].pow(2).sum() + items[j].pow(2).sum()


class LightGCN(BPRTrained):
    """LightGCN with ``n_layers`` propagation layers.

    Parameters
    ----------
    n_layers
        Graph propagation layers (the paper uses 3).
    **kwargs
        Training parameters of :class:`~generec.recommender.training.BPRTrained`.

    Example
    -------
    >>> from generec.recommender.synthetic import planted_split
    >>> split, _ = planted_split(n_users=40, n_items=30, seed=0)
    >>> LightGCN(n_layers=2, embedding_dim=8, epochs=2, verbose=False).fit(split).score([0]).shape
    (1, 30)
    """

    name = "lightgcn"

    def __init__(
        self,
        n_layers: int = 3,
        embedding_dim: int = 64,
        lr: float = 1e-3,
        reg: float = 1e-4,
        batch_size: int = 2048,
        epochs: int = 300,
        patience: int = 10,
        eval_every: int = 1,
        eval_k: int = 20,
        content_alpha: float = 10.0,
        seed: int = 0,
        verbose: bool = True,
    ) -> None:
        super().__init__(
            embedding_dim, lr, reg, batch_size, epochs, patience, eval_every, eval_k, content_alpha, seed, verbose
        )
        self.n_layers = n_layers

    def _make_module(
        self, n_users: int, n_items: int, train: np.ndarray, features: dict[str, np.ndarray], generator: torch.Generator
    ) -> nn.Module:
        adjacency = normalized_adjacency(train, n_users, n_items)
        return _LightGCNModule(n_users, n_items, self.embedding_dim, self.n_layers, adjacency, generator)
