"""MMGCN (Wei et al., ACM MM 2019): a graph convolution per item modality.

For each modality ``m`` (visual, text, ...) the model keeps its own view of the
user-item graph:

* **input**: items start from their projected features ``W_m f_i``, users from a
  learned *preference* vector per modality; both L2-normalised (paper eq. 1).
* **aggregation layer**: a node averages its neighbours' transformed
  representations, ``h = LeakyReLU(mean_{j∈N(i)} W x_j)``.
* **combination layer** (the paper's concatenation variant): the node's own
  representation, mapped to the ID space and added to a shared ID embedding
  (``x̂ = LeakyReLU(W' x) + e_id``), is concatenated with ``h`` and mixed,
  ``x ← LeakyReLU(G [h ; x̂])``.
* **prediction**: ``y(u, i) = Σ_m u_m · i_m``, the scores of the modalities summed.

``layers="light"`` keeps the per-modality graphs, preferences, ID embedding and
summed scores, but simplifies the layers as LightGCN (He et al., SIGIR 2020) did
those of NGCF, whose aggregation + combination layers MMGCN's resemble: a node
starts from its ID embedding plus its modality input (``e_id + p_u`` for users,
``e_id + W_m f_i`` for items: the combination by addition, with no transform),
each layer only aggregates, ``x ← Â x``, with no weight matrix or non-linearity,
and the output is the mean of layers ``0..K``.

A new item (no interactions) has no neighbours and no ID embedding. GeneRec
scores it anyway, which the paper could not (footnote 8), in one of two ways
(``cold_scoring``): by default the branches themselves with ``h = 0`` and
``e_id = 0`` — so that this path is trained and not extrapolated,
``cold_dropout`` of the items per step are treated exactly that way during
training (DropoutNet-style); or a ridge map from features to the final item
vectors learned for known items. Either way :meth:`score_items` calibrates the
result to the scale of known items' scores (:mod:`generec.recommender.calibration`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from generec.errors import ModelError
from generec.recommender.content import check_new_features
from generec.recommender.graph import mean_adjacency, mean_of_layers, normalized_adjacency, propagate, transpose
from generec.recommender.training import BPRTrained


def _linear(n_in: int, n_out: int, generator: torch.Generator) -> nn.Linear:
    layer = nn.Linear(n_in, n_out)
    nn.init.xavier_uniform_(layer.weight, generator=generator)  # seeded, not torch's global RNG
    nn.init.zeros_(layer.bias)
    return layer


class _ModalityGCN(nn.Module):
    """One modality's branch: feature projection, user preference, aggregation + combination layers."""

    def __init__(
        self,
        n_users: int,
        feat_dim: int,
        latent: int,
        dim: int,
        n_layers: int,
        generator: torch.Generator,
        concat: bool = True,
        light: bool = False,
    ) -> None:
        super().__init__()
        self.concat, self.light, self.n_layers = concat, light, n_layers
        self.preference = nn.Parameter(torch.empty(n_users, dim if light else latent))
        nn.init.xavier_normal_(self.preference, generator=generator)
        self.project = _linear(feat_dim, dim if light else latent, generator)
        if light:
            return  # no per-layer weights: the layers only aggregate
        sizes = [latent] + [dim] * n_layers
        self.conv = nn.ModuleList(_linear(sizes[k], sizes[k], generator) for k in range(n_layers))
        self.own = nn.ModuleList(_linear(sizes[k], dim, generator) for k in range(n_layers))
        # Combination (paper §3.2.2): concatenation G [h ; x̂], or element-wise G h + x̂.
        width = [sizes[k] + dim if concat else sizes[k] for k in range(n_layers)]
        self.mix = nn.ModuleList(_linear(width[k], dim, generator) for k in range(n_layers))

    def _combine(self, mix: nn.Linear, h: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
        if self.concat:
            return F.leaky_relu(mix(torch.cat([h, x_hat], dim=1)))
        return F.leaky_relu(mix(h) + x_hat)

    def forward(
        self,
        features: torch.Tensor,
        adjacency: tuple[torch.Tensor, torch.Tensor],
        id_emb: torch.Tensor,
        keep: torch.Tensor | None,
    ) -> torch.Tensor:
        if self.light:  # cold-dropped items have no ID embedding and see no neighbours
            x = torch.cat([self.preference, self.project(features)]) + (id_emb if keep is None else id_emb * keep)
            return mean_of_layers(adjacency[0], x, self.n_layers, adjacency[1], keep)
        x = F.normalize(torch.cat([self.preference, self.project(features)]), dim=1)
        for conv, own, mix in zip(self.conv, self.own, self.mix, strict=True):
            h = F.leaky_relu(propagate(adjacency[0], conv(x), adjacency[1]))
            ident = id_emb if keep is None else id_emb * keep
            if keep is not None:
                h = h * keep  # cold-dropped items see no neighbours ...
            x_hat = F.leaky_relu(own(x)) + ident  # ... and have no ID embedding
            x = self._combine(mix, h, x_hat)
        return x

    def cold(self, features: torch.Tensor) -> torch.Tensor:
        """Item vectors from features alone: no neighbours (h = 0) and no ID embedding."""
        if self.light:  # layer 0 is the projected features; the aggregating layers have nothing to add
            return self.project(features) / (self.n_layers + 1)
        x = F.normalize(self.project(features), dim=1)
        for own, mix in zip(self.own, self.mix, strict=True):
            x_hat = F.leaky_relu(own(x))
            no_neighbours = torch.zeros(len(x), x.shape[1])  # h has the width of this layer's input
            x = self._combine(mix, no_neighbours, x_hat)
        return x


class _MMGCNModule(nn.Module):
    def __init__(
        self,
        n_users: int,
        n_items: int,
        features: Mapping[str, np.ndarray],
        latent: int,
        dim: int,
        n_layers: int,
        cold_dropout: float,
        adjacency: torch.Tensor,
        generator: torch.Generator,
        concat: bool = True,
        light: bool = False,
    ) -> None:
        super().__init__()
        self.n_users, self.n_items, self.cold_dropout = n_users, n_items, cold_dropout
        # Not parameters; rebuilt from the training pairs on load. D^-1 A is not symmetric: keep its transpose.
        self.adjacency = (adjacency, transpose(adjacency))
        self.modalities = list(features)
        for m in self.modalities:
            self.register_buffer(f"features_{m}", torch.as_tensor(features[m], dtype=torch.float32))
        self.id_embedding = nn.Parameter(torch.empty(n_users + n_items, dim))
        nn.init.xavier_normal_(self.id_embedding, generator=generator)
        self.branches = nn.ModuleDict(
            {
                m: _ModalityGCN(n_users, features[m].shape[1], latent, dim, n_layers, generator, concat, light)
                for m in self.modalities
            }
        )

    def _keep_mask(self, generator: torch.Generator | None) -> torch.Tensor | None:
        if not self.training or self.cold_dropout <= 0 or generator is None:
            return None
        drop = torch.rand(self.n_items, generator=generator) < self.cold_dropout
        keep = torch.ones(self.n_users + self.n_items, 1)
        keep[self.n_users :][drop] = 0.0
        return keep

    def forward(self, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        keep = self._keep_mask(generator)
        outs = [
            self.branches[m](getattr(self, f"features_{m}"), self.adjacency, self.id_embedding, keep)
            for m in self.modalities
        ]
        # Concatenating per-modality vectors makes one dot product equal Σ_m u_m · i_m.
        final = torch.cat(outs, dim=1)
        return final[: self.n_users], final[self.n_users :]

    def cold_items(self, features: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return torch.cat([self.branches[m].cold(features[m]) for m in self.modalities], dim=1)

    def ego_sq_norm(self, u: torch.Tensor, i: torch.Tensor, j: torch.Tensor) -> torch.Tensor:
        items = self.id_embedding[self.n_users :]
        total = self.id_embedding[u].pow(2).sum() + items[i].pow(2).sum() + items[j].pow(2).sum()
        for branch in self.branches.values():
            total = total + branch.preference[u].pow(2).sum()
        return total


class MMGCN(BPRTrained):
    """Multi-modal graph convolution network for micro-video recommendation.

    Parameters
    ----------
    n_layers
        Aggregation + combination layers per modality (the paper uses 2).
    layers
        ``"paper"`` (default): the paper's aggregation and combination layers, with weight
        matrices and LeakyReLU. ``"light"``: LightGCN's simplification of them (see the module
        docstring): ID embedding plus modality input, linear aggregation, mean of the layers.
        On MovieLens-100K (text features only, ~86 training ratings per user) the paper's layers
        fall just short of BPR-MF; the light ones beat it by about 0.03 NDCG@20 and tie LightGCN.
        On the sparser GeneRec-Sim demo world (~11 training clicks per user) it is the other way
        round: the paper's layers lead (NDCG@20 .083 vs .051), as the content features carry more
        there (``bench/bench_recommender.py --part movielens`` / ``--part sim``).
    latent_dim
        Width items' features are projected to (and of users' preference vectors) in the
        paper's layers; the light layers project straight to ``embedding_dim``.
    aggregation
        ``"mean"``: a node averages its neighbours (the paper); ``"gcn"``: symmetric
        ``D^-1/2 A D^-1/2`` weights (Kipf & Welling), which damp hub users/items.
    cold_dropout
        Fraction of items treated as new (no neighbours, no ID embedding) in each
        training step, so that the modality branches learn to score items from content alone.
    combination
        The combination layer (paper §3.2.2): ``"concat"``, ``x = LeakyReLU(G [h ; x̂])``, or
        ``"add"`` (element-wise), ``x = LeakyReLU(G h + x̂)``, where the ID embedding in ``x̂``
        reaches the output without a weight matrix. The light layers always add, untransformed.
    cold_scoring
        How a new item gets its vector. ``"branch"`` (default): the modality branches with no
        neighbours and no ID embedding (the paper's architecture); ``"map"``: a ridge map from its
        features to the final vectors the model learned for known items
        (:class:`~generec.recommender.content.ContentMap`), which carries what the graph learned
        about those items into the content path. On GeneRec-Sim the map puts items made to a
        user's taste higher in that user's ranking (``bench/bench_recommender.py --part sim``),
        so use it to rank created items together with human ones.
    **kwargs
        Training parameters of :class:`~generec.recommender.training.BPRTrained`;
        ``embedding_dim`` is the ID-embedding width per modality.

    Example
    -------
    >>> from generec.recommender.synthetic import planted_split
    >>> split, feats = planted_split(n_users=40, n_items=30, seed=0)
    >>> model = MMGCN(embedding_dim=8, latent_dim=8, epochs=2, verbose=False).fit(split, features=feats)
    >>> model.score_items([0], {m: f[:3] for m, f in feats.items()}).shape
    (1, 3)
    """

    name = "mmgcn"
    needs_features = True

    def __init__(
        self,
        n_layers: int = 2,
        layers: str = "paper",
        latent_dim: int = 64,
        cold_dropout: float = 0.1,
        aggregation: str = "mean",
        cold_scoring: str = "branch",
        combination: str = "concat",
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
        self.layers = layers
        self.latent_dim = latent_dim
        self.cold_dropout = cold_dropout
        self.aggregation = aggregation
        self.cold_scoring = cold_scoring
        self.combination = combination

    @property
    def has_content_branch(self) -> bool:
        """True when new items go through the modality branches instead of a content map."""
        return self.cold_scoring == "branch"

    def _make_module(
        self, n_users: int, n_items: int, train: np.ndarray, features: dict[str, np.ndarray], generator: torch.Generator
    ) -> nn.Module:
        if self.layers not in ("paper", "light"):
            raise ModelError(f"MMGCN layers must be 'paper' or 'light', got {self.layers!r}")
        if self.aggregation not in ("mean", "gcn"):
            raise ModelError(f"MMGCN aggregation must be 'mean' or 'gcn', got {self.aggregation!r}")
        if self.combination not in ("concat", "add"):
            raise ModelError(f"MMGCN combination must be 'concat' or 'add', got {self.combination!r}")
        if self.cold_scoring not in ("map", "branch"):
            raise ModelError(f"MMGCN cold_scoring must be 'map' or 'branch', got {self.cold_scoring!r}")
        builder = mean_adjacency if self.aggregation == "mean" else normalized_adjacency
        adjacency = builder(train, n_users, n_items)
        return _MMGCNModule(
            n_users,
            n_items,
            features,
            self.latent_dim,
            self.embedding_dim,
            self.n_layers,
            self.cold_dropout,
            adjacency,
            generator,
            self.combination == "concat",
            self.layers == "light",
        )

    def item_embeddings_from_features(self, item_features: Mapping[str, np.ndarray]) -> torch.Tensor:
        """Vectors of new items: the content map, or each modality's branch (no neighbours, no ID embedding)."""
        self._check_fitted()
        if not self.has_content_branch:
            return super().item_embeddings_from_features(item_features)
        checked = check_new_features(item_features, self.feature_dims_)
        self.module_.eval()
        with torch.no_grad():
            return self.module_.cold_items({m: torch.as_tensor(a) for m, a in checked.items()})
