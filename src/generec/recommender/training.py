"""The training loop shared by BPR-MF, LightGCN and MMGCN.

Each model supplies a ``torch.nn.Module`` whose ``forward()`` returns the final
user and item matrices and whose ``ego_sq_norm(u, i, j)`` gives the squared L2
norm of the batch's input embeddings (the regulariser). Training is the BPR
objective (Rendle et al. 2009) over one sampled negative per training pair,
Adam, and early stopping on validation NDCG@K: after ``patience`` evaluations
without improvement the best state is restored.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from generec.data.dataset import Split
from generec.recommender.base import Features, Recommender, check_features, check_split
from generec.recommender.content import ContentMap
from generec.recommender.graph import unique_pairs
from generec.recommender.ranking import dot_scorer, ranking_metrics
from generec.recommender.sampling import NegativeSampler


def ordered_dims(config: dict[str, Any]) -> dict[str, int]:
    """Feature widths by modality from a saved config, in the order the model was fitted with.

    Vectors are concatenated per modality in that order, so it must survive the round trip
    (``config.json`` is written with sorted keys); configs without ``modalities`` keep key order.
    """
    dims = dict(config.get("feature_dims", {}))
    order = config.get("modalities") or list(dims)
    return {m: int(dims[m]) for m in order}


class BPRTrained(Recommender):
    """Base for models trained with the BPR loss; subclasses define :meth:`_make_module`."""

    needs_features = False

    def __init__(
        self,
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
        self.embedding_dim = embedding_dim
        self.lr = lr
        self.reg = reg
        self.batch_size = batch_size
        self.epochs = epochs
        self.patience = patience
        self.eval_every = eval_every
        self.eval_k = eval_k
        self.content_alpha = content_alpha
        self.seed = seed
        self.verbose = verbose

    def _make_module(
        self, n_users: int, n_items: int, train: np.ndarray, features: dict[str, np.ndarray], generator: torch.Generator
    ) -> torch.nn.Module:
        raise NotImplementedError

    # ------------------------------------------------------------------ fit
    def fit(self, split: Split, features: Features | None = None) -> BPRTrained:
        """Train on ``split.train``, early-stop on ``split.valid``; returns ``self``."""
        split = check_split(split)
        feats = check_features(features, split.n_items, required=self.needs_features)
        train = unique_pairs(np.asarray(split.train, dtype=np.int64), split.n_items)
        generator = torch.Generator().manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.feature_dims_ = {m: int(a.shape[1]) for m, a in feats.items()}
        self.module_ = self._make_module(split.n_users, split.n_items, train, feats, generator)
        optimizer = torch.optim.Adam(self.module_.parameters(), lr=self.lr)
        sampler = NegativeSampler(train, split.n_items)
        self.history_: list[dict[str, Any]] = []
        best_score, best_state, bad = -np.inf, None, 0
        self.best_epoch_ = self.epochs - 1
        bar = tqdm(range(self.epochs), desc=f"train {self.name}", unit="epoch", disable=not self.verbose)
        for epoch in bar:
            started = time.perf_counter()
            loss = self._train_epoch(sampler, optimizer, rng, generator)
            record: dict[str, Any] = {"epoch": epoch, "loss": loss, "seconds": time.perf_counter() - started}
            if len(split.valid) and (epoch + 1) % self.eval_every == 0:
                score = self._validate(split, train)
                record[f"valid_ndcg@{self.eval_k}"] = score
                if score > best_score:
                    best_score, best_state, bad = score, copy.deepcopy(self.module_.state_dict()), 0
                    self.best_epoch_ = epoch
                else:
                    bad += 1
                bar.set_postfix(loss=f"{loss:.4f}", ndcg=f"{score:.4f}")
            self.history_.append(record)
            if bad >= self.patience:
                break
        if best_state is not None:
            self.module_.load_state_dict(best_state)
        self._finalize(train, feats)
        return self

    def _train_epoch(
        self,
        sampler: NegativeSampler,
        optimizer: torch.optim.Optimizer,
        rng: np.random.Generator,
        generator: torch.Generator,
    ) -> float:
        self.module_.train()
        users, pos, neg = (torch.as_tensor(a) for a in sampler.epoch(rng))
        total, n = 0.0, len(users)
        for start in range(0, n, self.batch_size):
            u, i, j = (t[start : start + self.batch_size] for t in (users, pos, neg))
            user_emb, item_emb = self.module_(generator=generator)
            pos_score = (user_emb[u] * item_emb[i]).sum(dim=1)
            neg_score = (user_emb[u] * item_emb[j]).sum(dim=1)
            bpr = -F.logsigmoid(pos_score - neg_score).mean()
            loss = bpr + self.reg * self.module_.ego_sq_norm(u, i, j) / (2 * len(u))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(bpr.detach()) * len(u)
        return total / max(1, n)

    def _final_embeddings(self) -> tuple[torch.Tensor, torch.Tensor]:
        self.module_.eval()
        with torch.no_grad():
            user_emb, item_emb = self.module_()
        return user_emb.detach().contiguous(), item_emb.detach().contiguous()

    def _validate(self, split: Split, train: np.ndarray) -> float:
        user_emb, item_emb = self._final_embeddings()
        metrics = ranking_metrics(
            dot_scorer(user_emb, item_emb), split.valid, split.n_users, split.n_items, exclude=train, ks=(self.eval_k,)
        )
        return metrics[f"ndcg@{self.eval_k}"]

    def _finalize(self, train: np.ndarray, feats: dict[str, np.ndarray]) -> None:
        self.user_emb_, self.item_emb_ = self._final_embeddings()
        self.train_ = train
        if feats and not getattr(self, "has_content_branch", False):
            warm = np.unique(train[:, 1])
            self.content_map_ = ContentMap(self.content_alpha).fit(feats, self.item_emb_.numpy(), rows=warm)
        if feats:
            # The corpus through the content path: the reference that calibrates new items' scores.
            self.content_item_emb_ = self.item_embeddings_from_features(feats).detach().contiguous()

    # ---------------------------------------------------------- persistence
    def _extra_config(self) -> dict[str, Any]:
        return {
            "feature_dims": getattr(self, "feature_dims_", {}),
            "modalities": list(getattr(self, "feature_dims_", {})),  # JSON keys get sorted; the order matters
            "best_epoch": getattr(self, "best_epoch_", None),
            "history": getattr(self, "history_", []),
        }

    def _extra_state(self) -> dict[str, Any]:
        return {"module": self.module_.state_dict()}

    def _load_extra_state(self, state: dict[str, Any], config: dict[str, Any]) -> None:
        self.feature_dims_ = ordered_dims(config)
        self.best_epoch_ = config.get("best_epoch")
        self.history_ = config.get("history", [])
        placeholder = {m: np.zeros((self.n_items, d), dtype=np.float32) for m, d in self.feature_dims_.items()}
        generator = torch.Generator().manual_seed(self.seed)
        self.module_ = self._make_module(self.n_users, self.n_items, self.train_, placeholder, generator)
        self.module_.load_state_dict(state["module"])
        self.module_.eval()
