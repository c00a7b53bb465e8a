"""User_Hist: a user's taste as the mean content features of the items they liked (paper §4.3).

The score of any item — seen, never seen, edited or AI-created — is the
similarity between its features and that profile, per modality, summed over
modalities. No training and no ID embeddings, so it is the reference for
content-only scoring and a strong scorer where interactions per user are few.
Features are centred on the corpus mean and L2-normalised per modality, so a
profile says what a user likes *more than the average item*, not what is common.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from generec.data.dataset import Split
from generec.recommender.base import Features, Recommender, check_features, check_split
from generec.recommender.content import check_new_features
from generec.recommender.graph import unique_pairs
from generec.recommender.training import ordered_dims


class UserHist(Recommender):
    """Content profile recommender: mean features of each user's training items.

    Example
    -------
    >>> from generec.recommender.synthetic import planted_split
    >>> split, feats = planted_split(n_users=40, n_items=30, seed=0)
    >>> model = UserHist().fit(split, features=feats)
    >>> model.score_items([0], {m: f[:2] for m, f in feats.items()}).shape
    (1, 2)
    """

    name = "userhist"

    def __init__(self) -> None:
        pass

    def _item_vectors(self, features: Mapping[str, np.ndarray]) -> torch.Tensor:
        blocks = []
        for m in self.feature_dims_:
            x = torch.as_tensor(np.asarray(features[m], dtype=np.float32)) - self.centre_[m]
            blocks.append(torch.nn.functional.normalize(x, dim=1))
        return torch.cat(blocks, dim=1)

    def fit(self, split: Split, features: Features | None = None) -> UserHist:
        split = check_split(split)
        feats = check_features(features, split.n_items, required=True)
        self.feature_dims_ = {m: int(a.shape[1]) for m, a in feats.items()}
        self.centre_ = {m: torch.as_tensor(a.mean(axis=0)) for m, a in feats.items()}
        self.train_ = unique_pairs(np.asarray(split.train, dtype=np.int64), split.n_items)
        self.item_emb_ = self._item_vectors(feats)
        users = torch.as_tensor(self.train_[:, 0])
        sums = torch.zeros(split.n_users, self.item_emb_.shape[1]).index_add_(
            0, users, self.item_emb_[torch.as_tensor(self.train_[:, 1])]
        )
        counts = torch.bincount(users, minlength=split.n_users).clamp_min(1)[:, None]
        self.user_emb_ = sums / counts  # users without history score every item 0
        return self

    def item_embeddings_from_features(self, item_features: Features) -> torch.Tensor:
        self._check_fitted()
        return self._item_vectors(check_new_features(item_features, self.feature_dims_))

    def _extra_config(self) -> dict[str, Any]:
        return {"feature_dims": self.feature_dims_, "modalities": list(self.feature_dims_)}

    def _extra_state(self) -> dict[str, Any]:
        return {"centre": [self.centre_[m] for m in self.feature_dims_]}

    def _load_extra_state(self, state: dict[str, Any], config: dict[str, Any]) -> None:
        self.feature_dims_ = ordered_dims(config)
        self.centre_ = dict(zip(self.feature_dims_, state["centre"], strict=True))
