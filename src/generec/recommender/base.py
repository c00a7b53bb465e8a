"""What every recommender shares: parameters, scoring, cold-item scoring, save/load.

A recommender is built like a scikit-learn estimator: hyper-parameters in
``__init__``, learning in ``fit(split, features=...)`` (returns ``self``), learned
state in attributes ending in ``_``. Every model here scores a user-item pair as
a dot product of a final user vector and a final item vector (``user_emb_``,
``item_emb_``), so full ranking, retrieval and PS@K work the same for all.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from generec.data.dataset import Split
from generec.errors import DataError, ModelError
from generec.recommender.calibration import calibrate_new_scores
from generec.recommender.graph import check_pairs, user_item_csr
from generec.recommender.ranking import ScoreFn, dot_scorer, topk_chunked

Features = Mapping[str, np.ndarray]
"""Item features per modality, e.g. ``{"visual": (n_items, 512), "text": (n_items, 384)}``."""

CONFIG_FILE = "config.json"
STATE_FILE = "state.pt"


def check_split(split: Split) -> Split:
    """Raise :class:`DataError` unless ``split`` can train a model."""
    if not isinstance(split, Split):
        raise DataError(f"expected a generec.data.dataset.Split, got {type(split).__name__}; use Dataset.split()")
    if split.n_users == 0 or split.n_items == 0:
        raise DataError("the split has no users or no items; build it from a dataset with events")
    if len(split.train) == 0:
        raise DataError(
            "the split has no training interactions; the dataset needs positive events (clicks/likes) "
            "from users with at least min_interactions events"
        )
    for name in ("train", "valid", "test"):
        check_pairs(getattr(split, name), split.n_users, split.n_items, f"split.{name}")
    return split


def check_features(features: Features | None, n_items: int, required: bool = False) -> dict[str, np.ndarray]:
    """Validate item features: a non-empty dict of finite 2-D arrays with ``n_items`` rows each."""
    if not features:
        if required:
            raise DataError(
                "this model needs item features: pass features={'text': array(n_items, d), ...} "
                "(e.g. sentence embeddings of titles, CLIP vectors of thumbnails)"
            )
        return {}
    if not isinstance(features, Mapping):
        raise DataError("features must be a dict {modality: array(n_items, d)}")
    out = {}
    for name, arr in features.items():
        if not str(name).isidentifier():
            raise DataError(f"modality name {name!r} must be a plain identifier such as 'text' or 'visual'")
        a = np.asarray(arr, dtype=np.float32)
        if a.ndim != 2 or a.shape[0] != n_items or a.shape[1] == 0:
            raise DataError(
                f"feature matrix {name!r} has shape {a.shape}, expected ({n_items}, d): "
                "one row per item, in the order of split.item_ids"
            )
        if not np.isfinite(a).all():
            raise DataError(f"feature matrix {name!r} contains NaN or infinite values")
        out[str(name)] = a
    return out


class Recommender:
    """Base class: scoring, top-K, cold-item scoring and persistence.

    Subclasses implement :meth:`fit` and set ``user_emb_`` / ``item_emb_``
    (float32 tensors, ``(n_users, d)`` / ``(n_items, d)``).
    """

    name: ClassVar[str] = "recommender"
    user_emb_: torch.Tensor
    item_emb_: torch.Tensor
    train_: np.ndarray

    # ------------------------------------------------------------ parameters
    def get_params(self) -> dict[str, Any]:
        """Hyper-parameters as given to ``__init__`` (scikit-learn style)."""
        sig = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in sig.parameters if p != "self"}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def fit(self, split: Split, features: Features | None = None) -> Recommender:
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not hasattr(self, "user_emb_"):
            raise ModelError(f"{type(self).__name__} is not fitted yet: call fit(split) or load(directory) first")

    @property
    def n_users(self) -> int:
        self._check_fitted()
        return int(self.user_emb_.shape[0])

    @property
    def n_items(self) -> int:
        self._check_fitted()
        return int(self.item_emb_.shape[0])

    # --------------------------------------------------------------- scoring
    def score_fn(self) -> ScoreFn:
        """A function mapping user indices to their scores over all items (for chunked ranking)."""
        self._check_fitted()
        return dot_scorer(self.user_emb_, self.item_emb_)

    def _users(self, users: np.ndarray | int) -> np.ndarray:
        u = np.atleast_1d(np.asarray(users, dtype=np.int64))
        if u.size and (u.min() < 0 or u.max() >= self.n_users):
            raise DataError(f"user index out of range 0..{self.n_users - 1}: unknown user")
        return u

    def score(self, users: np.ndarray | int, items: np.ndarray | None = None) -> np.ndarray:
        """Scores of ``users`` (indices) for ``items`` (default: all items), shape ``(n_users, n_items)``."""
        self._check_fitted()
        u = torch.as_tensor(self._users(users))
        item_emb = self.item_emb_ if items is None else self.item_emb_[torch.as_tensor(np.array(items, dtype=np.int64))]
        with torch.no_grad():
            return (self.user_emb_[u] @ item_emb.T).numpy()

    def recommend(self, users: np.ndarray | int, k: int = 10, exclude_train: bool = True) -> np.ndarray:
        """Top-``k`` item indices per user over the whole corpus, training items excluded."""
        self._check_fitted()
        u = self._users(users)
        exclude = user_item_csr(self.train_, self.n_users, self.n_items) if exclude_train else None
        parts = [top for _, top, _ in topk_chunked(self.score_fn(), u, self.n_items, k, exclude=exclude)]
        return np.concatenate(parts) if parts else np.zeros((0, k), dtype=np.int64)

    # -------------------------------------------------------- new (cold) items
    def item_embeddings_from_features(self, item_features: Features) -> torch.Tensor:
        """Final item vectors for items known only by their content features."""
        content = getattr(self, "content_map_", None)
        if content is None:
            raise ModelError(
                f"{type(self).__name__} was fitted without item features, so it cannot score new items: "
                "fit it with features={...}"
            )
        return content.transform(item_features)

    def score_items(self, users: np.ndarray | int, item_features: Features, calibrated: bool = True) -> np.ndarray:
        """Scores of ``users`` for new items given only their features: ``(n_users, n_new_items)``.

        Works for items without any interaction (AI-created or edited items).

        Parameters
        ----------
        users
            User indices.
        item_features
            ``{modality: (n_new, d)}`` features, as the model was trained with.
        calibrated
            ``True`` (default): scores are on the scale of :meth:`score` for the same user, so new
            and known items can be ranked together — a new item whose content beats a share ``q``
            of the corpus (for this user, through the model's content path) gets the user's warm
            score at quantile ``q`` (:mod:`generec.recommender.calibration`); the map is increasing,
            so the order of new items for a user is the same either way. ``False``: the raw
            content-path dot products ``user_vector · item_embeddings_from_features(...)``.
        """
        self._check_fitted()
        u = torch.as_tensor(self._users(users))
        with torch.no_grad():
            item_emb = self.item_embeddings_from_features(item_features)
            raw = self.user_emb_[u] @ item_emb.T
        corpus = getattr(self, "content_item_emb_", None)
        if not calibrated or corpus is None:
            return raw.numpy()
        return calibrate_new_scores(raw, self.user_emb_[u], corpus, self.item_emb_)

    def new_item_ranks(
        self, users: np.ndarray | int, item_features: Features, exclude_train: bool = True
    ) -> np.ndarray:
        """Where new items would land in each user's ranking of the corpus: ``(n_users, n_new)`` int64.

        ``0`` means above every known item; ``r`` means ``r`` known items (not counting the user's
        training items when ``exclude_train``) score higher than the new item's calibrated score.
        """
        scores = self.score_items(users, item_features)
        u = self._users(users)
        exclude = user_item_csr(self.train_, self.n_users, self.n_items) if exclude_train else None
        out = np.zeros(scores.shape, dtype=np.int64)
        for row, user in enumerate(u):
            corpus = self.score([user])[0]
            if exclude is not None:
                corpus[exclude[1][exclude[0][user] : exclude[0][user + 1]]] = -np.inf
            out[row] = (corpus[:, None] > scores[row][None, :]).sum(axis=0)
        return out

    # ----------------------------------------------------------- persistence
    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra_state(self, state: dict[str, Any], config: dict[str, Any]) -> None:
        return None

    def _extra_config(self) -> dict[str, Any]:
        return {}

    def save(self, directory: str | Path) -> Path:
        """Write ``config.json`` (class, hyper-parameters, sizes) and ``state.pt`` (tensors) to ``directory``."""
        self._check_fitted()
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        config = {
            "model": self.name,
            "params": self.get_params(),
            "n_users": self.n_users,
            "n_items": self.n_items,
            **self._extra_config(),
        }
        (d / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        state = {
            "user_emb": self.user_emb_,
            "item_emb": self.item_emb_,
            "train": torch.as_tensor(self.train_),
            **self._extra_state(),
        }
        content = getattr(self, "content_map_", None)
        if content is not None:
            state["content_map"] = content.state()
        corpus = getattr(self, "content_item_emb_", None)
        if corpus is not None:
            state["content_item_emb"] = corpus
        torch.save(state, d / STATE_FILE)
        return d

    @classmethod
    def load(cls, directory: str | Path) -> Recommender:
        """Load a model written by :meth:`save` (any recommender class when called on the base)."""
        from generec.recommender import MODELS
        from generec.recommender.content import ContentMap

        d = Path(directory)
        if not (d / CONFIG_FILE).is_file() or not (d / STATE_FILE).is_file():
            raise ModelError(f"{d} holds no saved recommender (needs {CONFIG_FILE} and {STATE_FILE})")
        config = json.loads((d / CONFIG_FILE).read_text(encoding="utf-8"))
        model_cls = MODELS.get(config.get("model", ""))
        if model_cls is None:
            raise ModelError(f"{d}: unknown model {config.get('model')!r} (known: {sorted(MODELS)})")
        if cls is not Recommender and not issubclass(model_cls, cls):
            raise ModelError(f"{d} holds a {model_cls.__name__}, not a {cls.__name__}")
        model = model_cls(**config["params"])
        state = torch.load(d / STATE_FILE, map_location="cpu", weights_only=True)
        model.user_emb_ = state["user_emb"]
        model.item_emb_ = state["item_emb"]
        model.train_ = state["train"].numpy()
        if "content_map" in state:
            model.content_map_ = ContentMap.from_state(state["content_map"])
        if "content_item_emb" in state:
            model.content_item_emb_ = state["content_item_emb"]
        model._load_extra_state(state, config)
        return model
