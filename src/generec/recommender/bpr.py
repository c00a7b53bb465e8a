"""BPR-MF: matrix factorisation trained with the BPR loss (Rendle et al., UAI 2009).

A user and an item each get a free embedding; the score is their dot product.
The simplest collaborative baseline, and the one every graph model must beat.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from generec.recommender.training import BPRTrained


class _MFModule(nn.Module):
    def __init__(self, n_users: int, n_items: int, dim: int, generator: torch.Generator) -> None:
        super().__init__()
        self.user = nn.Parameter(torch.empty(n_users, dim))
        self.item = nn.Parameter(torch.empty(n_items, dim))
        # Small normal initialisation as in LightGCN's reference code (std 0.1).
        nn.init.normal_(self.user, std=0.1, generator=generator)
        nn.init.normal_(self.item, std=0.1, generator=generator)

    def forward(self, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.user, self.item

    def ego_sq_norm(self, u: torch.Tensor, i: torch.Tensor, j: torch.Tensor) -> torch.Tensor:
        return self.user[u].pow(2).sum() + self.item[i].pow(2).sum() + self.item[j].pow(2).sum()


class BPRMF(BPRTrained):
    """Matrix factorisation with the BPR loss.

    Parameters are those of :class:`~generec.recommender.training.BPRTrained`
    (``embedding_dim``, ``lr``, ``reg``, ``batch_size``, ``epochs``, ``patience``, ``seed``, ...).

    Example
    -------
    >>> from generec.recommender.synthetic import planted_split
    >>> split, _ = planted_split(n_users=40, n_items=30, seed=0)
    >>> model = BPRMF(embedding_dim=8, epochs=2, verbose=False).fit(split)
    >>> model.score([0]).shape
    (1, 30)
    """

    name = "bpr"

    def _make_module(
        self, n_users: int, n_items: int, train: np.ndarray, features: dict[str, np.ndarray], generator: torch.Generator
    ) -> nn.Module:
        return _MFModule(n_users, n_items, self.embedding_dim, generator)
