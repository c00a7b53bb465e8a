"""The trained recommender ranks the feed (paper §3: "the recommender retrieves" human and AI items).

:class:`RecommenderRanker` ranks the items a user may see with a fitted recommender (MMGCN /
LightGCN, :mod:`generec.recommender`). An item the model was trained with is scored by its learned
vector; an item it never saw (an AI item, an upload since training) by the content path the model
was trained with (``cold_scoring``), calibrated to the scale of known items
(:mod:`generec.recommender.calibration`), so human and AI items share one scale. A user the model
never saw is folded in from their positive events: the weighted mean of the vectors of the items
they clicked or liked (what LightGCN's first layer gives a user). The user's taste over items'
attributes joins the model's score with ``taste_weight``: a logistic model of clicking a shown item
from its attribute values, its weights learned for the population at training time and fitted to
the user's own impressions and clicks at ranking time, shrunk towards the population's
(:class:`~generec.recommender.taste.AttributeTaste`, saved with the version as ``taste.json``). It
is what places a made item, described by the values it was asked for, among the human items: on
the demo world an item made of a user's favourite values lands in their top 20 for most users,
where the content path alone places it near rank 100 (``bench/bench_feed.py``). What the user just
asked for (the decision's attribute wishes) ranks first, ordered by that score among themselves.

The model in use is one reference, :attr:`RecommenderRanker.served`, replaced whole by
:meth:`RecommenderRanker.swap`; a step reads it once, so a swap never mixes two models in one
ranking and never makes a step wait. With no trained model the tag ranker
(:class:`~generec.pipeline_parts.ContentRanker`) ranks, and :meth:`RecommenderRanker.describe` says so.

Trained versions and the pointer to the one in use: :mod:`generec.pipeline_versions`; the content
features of stored items: :mod:`generec.pipeline_item_content`.

Example
-------
>>> ranker = RecommenderRanker.from_settings(Settings(home=home))            # doctest: +SKIP
>>> ranker.describe()["ranker"]                                               # doctest: +SKIP
'recommender'
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping, Sequence, Set
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generec.errors import GeneRecError, ModelError
from generec.pipeline_item_content import ItemContent
from generec.pipeline_parts import EVENT_WEIGHTS, ContentRanker, item_features
from generec.pipeline_versions import SERVING_FILE, current_version
from generec.recommender.taste import TASTE_FILE, AttributeTaste, outcomes
from generec.types import Candidate, Event, EventKind, Item

log = logging.getLogger(__name__)


class ServedModel:
    """A fitted recommender with its id maps, and vectors of the items it never saw (filled as they appear)."""

    def __init__(self, model: Any, version: str, user_ids: Sequence[str], item_ids: Sequence[str],
                 meta: Mapping[str, Any], content: ItemContent | None = None,
                 taste: AttributeTaste | None = None) -> None:  # fmt: skip
        self.model, self.version, self.meta, self.content = model, version, dict(meta), content
        self.taste = taste
        self.user_index = {u: k for k, u in enumerate(user_ids)}
        self.item_index = {i: k for k, i in enumerate(item_ids)}
        self.user_vectors = model.user_emb_.numpy()
        self.item_vectors = model.item_emb_.numpy()
        self.cold: dict[str, np.ndarray] = {}  # item id -> vector through the content path (raw, uncalibrated)
        self._taste_rows: dict[str, np.ndarray] = {}  # item id -> its encoded attributes (they never change)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, version: Path, content: ItemContent | None = None) -> ServedModel:
        """Load a version written by :func:`generec.pipeline_retrain.train_from_store`."""
        from generec.recommender import load_model

        try:
            meta = json.loads((version / SERVING_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"{version} holds no readable {SERVING_FILE}: retrain with `generec train model "
                             f"--from-store` ({exc})") from exc  # fmt: skip
        model = load_model(str(version))
        if len(meta["user_ids"]) != model.n_users or len(meta["item_ids"]) != model.n_items:
            raise ModelError(f"{version}: {SERVING_FILE} does not match the model's size; retrain it")
        taste = None
        if (version / TASTE_FILE).is_file():
            taste = AttributeTaste.load(version)
        else:
            log.warning("%s has no %s (trained before tastes were learned): the model ranks alone; retrain it",
                        version, TASTE_FILE)  # fmt: skip
        return cls(model, version.name, meta["user_ids"], meta["item_ids"], meta, content, taste)

    def describe(self) -> dict[str, Any]:
        m = self.model
        name = f"{m.name} ({getattr(m, 'layers', '')} layers)" if getattr(m, "layers", None) else m.name
        return {"model": name, "version": self.version, "trained_at": self.meta.get("trained_at"),
                "users": m.n_users, "items": m.n_items, "new_items_scored": len(self.cold),
                "valid_ndcg@20": self.meta.get("valid_ndcg@20"),
                "taste": "learned" if self.taste is not None else "none (retrain to learn it)"}  # fmt: skip

    # ------------------------------------------------------------------ vectors
    def prepare(self, items: Sequence[Item], limit: int | None = None) -> int:
        """Content-path vectors of those ``items`` the model never saw (at most ``limit``); return how many."""
        if self.content is None:
            return 0
        todo = [i for i in items if i.id not in self.item_index and i.id not in self.cold and i.media_hash]
        todo = todo[:limit] if limit is not None else todo
        if not todo:
            return 0
        with self._lock:  # two steps meeting the same new item compute it once
            todo = [i for i in todo if i.id not in self.cold]
            if not todo:
                return 0
            try:
                feats = self.content.features(todo)
                with torch.no_grad():
                    vectors = self.model.item_embeddings_from_features(feats).numpy()
            except (GeneRecError, OSError, ValueError, RuntimeError) as exc:  # a broken file: rank these last
                log.warning("content features failed for %d new item(s): %s", len(todo), exc)
                return 0
            for item, vec in zip(todo, vectors, strict=True):
                self.cold[item.id] = vec
        return len(todo)

    def user_vector(self, user_id: str, events: Sequence[Event]) -> np.ndarray | None:
        """The user's learned vector, or one folded in from their positive events; ``None`` with neither."""
        row = self.user_index.get(user_id)
        if row is not None:
            return self.user_vectors[row]
        total, weight = None, 0.0
        for e in events:
            w = EVENT_WEIGHTS.get(EventKind(e.kind), 0.0)
            vec = self._item_vector(e.item_id)
            if w <= 0 or vec is None:
                continue
            total = w * vec if total is None else total + w * vec
            weight += w
        return None if total is None else (total / weight).astype(np.float32)

    def _item_vector(self, item_id: str) -> np.ndarray | None:
        row = self.item_index.get(item_id)
        return self.item_vectors[row] if row is not None else self.cold.get(item_id)

    def scores(self, user: np.ndarray, items: Sequence[Item]) -> np.ndarray:
        """Scores of ``items`` for the user vector ``user``: learned for known items, calibrated content
        scores for new ones, ``-inf`` for new items whose content could not be read yet."""
        from generec.recommender.calibration import calibrate_new_scores

        out = np.full(len(items), -np.inf, dtype=np.float32)
        warm = [(k, self.item_index[i.id]) for k, i in enumerate(items) if i.id in self.item_index]
        if warm:
            pos, rows = map(np.asarray, zip(*warm, strict=True))
            out[pos] = self.item_vectors[rows] @ user
        new = [(k, self.cold[i.id]) for k, i in enumerate(items) if i.id not in self.item_index and i.id in self.cold]
        corpus = getattr(self.model, "content_item_emb_", None)
        if new:
            pos = np.asarray([k for k, _ in new])
            vecs = np.stack([v for _, v in new])
            raw = torch.as_tensor(vecs @ user)[None, :]
            if corpus is None:
                out[pos] = raw[0].numpy()
            else:
                u = torch.as_tensor(user)[None, :]
                out[pos] = calibrate_new_scores(raw, u, corpus, self.model.item_emb_)[0]
        return out

    def user_taste(self, events: Sequence[Event], known: Sequence[Item]) -> np.ndarray | None:
        """The user's attribute-taste weights (``None`` when this version learned no taste).

        Fitted on their events about ``known`` (the items their events are about, judged ones
        included): each item they were shown (an impression, or any reaction) is one observation of
        what it gave, 0 passed over, 0.5 clicked, 1 liked, shrunk towards the population's weights
        (:class:`~generec.recommender.taste.AttributeTaste`).
        """
        taste = self.taste
        if taste is None:
            return None
        by_id = {i.id: i for i in known}
        gave = outcomes((e.item_id, e.kind) for e in events if e.item_id in by_id)
        return taste.user_weights(self._rows(taste, [by_id[i] for i in gave]), list(gave.values()))

    def taste_scores(self, events: Sequence[Event], items: Sequence[Item],
                     known: Sequence[Item] = ()) -> np.ndarray | None:  # fmt: skip
        """The user's attribute taste for each of ``items`` (``None`` when this version learned none;
        ``NaN`` for an item with no attribute value the taste knows); the user's weights are
        :meth:`user_taste`'s on their events about ``items`` and ``known``."""
        weights = self.user_taste(events, [*known, *items])
        if weights is None or self.taste is None:
            return None
        rows = self._rows(self.taste, items)
        out = (rows @ weights).astype(np.float32)
        out[~rows.any(axis=1)] = np.nan  # no value the taste knows: it cannot say
        return out

    def _rows(self, taste: AttributeTaste, items: Sequence[Item]) -> np.ndarray:
        todo = [i for i in items if i.id not in self._taste_rows]
        if todo:
            for item, row in zip(todo, taste.encode([item_features(i) for i in todo]), strict=True):
                self._taste_rows[item.id] = row
        return np.stack([self._taste_rows[i.id] for i in items]) if items else np.zeros((0, len(taste.vocabulary_)))


class RecommenderRanker:
    """Ranks a user's visible items with the served recommender; the tag ranker when none is trained.

    Parameters
    ----------
    served : ServedModel or None
        The model in use (``None``: the tag ranker ranks).
    fallback : ContentRanker
        The tag ranker, also used for a user the model cannot place (no learned vector, no positive events).
    new_per_step : int
        Most new items whose content features one step computes (the rest wait for a later step;
        made items are prepared by the worker that made them, so steps rarely pay for any).
    taste_weight : float
        Weight of the user's attribute taste (:meth:`ServedModel.taste_scores`) next to the model's
        score, both standardised over the items ranked; 0, or a version without a taste: the model alone.
    """

    def __init__(self, served: ServedModel | None = None, fallback: ContentRanker | None = None,
                 new_per_step: int = 4, reason: str = "", taste_weight: float = 0.0) -> None:  # fmt: skip
        self.served = served
        self.fallback = fallback or ContentRanker()
        self.new_per_step = new_per_step
        self.reason = reason
        self.taste_weight = taste_weight
        self._features: dict[str, set[tuple[str, str]]] = {}  # item id -> attribute pairs (they never change)

    @classmethod
    def from_settings(cls, settings: Any, media: Any) -> RecommenderRanker:
        """The current trained version under ``settings.models_dir``, or the tag ranker saying why not."""
        version = current_version(settings)
        weight = settings.recommender.taste_weight
        if version is None:
            return cls(reason="no trained recommender yet: run `generec train model --from-store`", taste_weight=weight)
        try:
            return cls(load_served(settings, media, version), taste_weight=weight)
        except Exception as exc:  # any broken file: the service must still start, ranking by tags
            log.warning("the recommender in %s cannot be used, ranking by tags: %s", version, exc)
            return cls(reason=f"the recommender in {version} could not be loaded: {exc}", taste_weight=weight)

    def swap(self, served: ServedModel) -> None:
        """Serve ``served`` from the next step on (one reference replaced; steps in flight finish with the old)."""
        self.served = served
        self.reason = ""

    def set_popularity(self, counts: Mapping[str, int]) -> None:
        self.fallback.set_popularity(counts)

    def describe(self) -> dict[str, Any]:
        served = self.served
        if served is None:
            return {"ranker": "tags", "fallback": True, "why": self.reason}
        return {"ranker": "recommender", "fallback": False, **served.describe()}

    def prepare(self, items: Sequence[Item]) -> int:
        """Compute the content vectors of new ``items`` now (a worker does it for what it made)."""
        served = self.served
        return 0 if served is None else served.prepare(items)

    def rank(self, profile: Mapping[tuple[str, str], float], items: Sequence[Item], k: int,
             exclude: Set[str] = frozenset()) -> list[Candidate]:  # fmt: skip
        """The :class:`~generec.pipeline_parts.Ranker` protocol without a user: the tag ranker."""
        return self.fallback.rank(profile, items, k, exclude=exclude)

    def rank_user(
        self,
        user_id: str,
        events: Sequence[Event],
        wants: Mapping[str, Sequence[str]],
        profile: Mapping[tuple[str, str], float],
        items: Sequence[Item],
        k: int,
        exclude: Set[str] = frozenset(),
    ) -> list[Candidate]:
        """Top ``k`` of ``items`` for ``user_id``: what they just asked for first, each group by the model."""
        served = self.served  # read once: a concurrent swap does not mix two models in this ranking
        if served is None:
            return self.fallback.rank(profile, items, k, exclude=exclude)
        pool = [i for i in items if i.id not in exclude]
        served.prepare(pool, limit=self.new_per_step)
        user = served.user_vector(user_id, events)
        if user is None or not pool:  # nothing to place them by: the tag ranker's popularity and wishes
            return self.fallback.rank(profile, items, k, exclude=exclude)
        scores = served.scores(user, pool)
        finite = scores[np.isfinite(scores)]
        floor = float(finite.min()) - 1.0 if len(finite) else 0.0
        scores[~np.isfinite(scores)] = floor  # new items whose content is not read yet: last, not lost
        taste = served.taste_scores(events, pool, known=items) if self.taste_weight else None
        if taste is not None:
            scores = _standardise(scores)
            scores = scores + self.taste_weight * _impute_undescribed(taste, scores)
        wanted = {(a, str(v)) for a, vs in wants.items() for v in vs}
        if wanted:  # asked-for items first: lift them above every other score, keep the model's order inside
            lift = float(scores.max() - scores.min()) + 1.0
            matches = np.asarray([len(wanted & self._pairs(i)) for i in pool], dtype=np.float32)
            scores = scores + lift * matches
        top = np.argsort(-scores, kind="stable")[:k]
        return [Candidate(pool[j].id, float(scores[j]), "retrieval") for j in top]

    def leanings(self, events: Sequence[Event], known: Sequence[Item], choices: Mapping[str, Sequence[str]],
                 avoid: Set[tuple[str, str]] = frozenset()) -> dict[str, dict[str, float]]:  # fmt: skip
        """Per attribute of ``choices``, how much the user's attribute taste weighs each value (their history read
        in the attribute space; :meth:`AttributeTaste.leanings`); empty without a learned taste."""
        served = self.served
        weights = None if served is None else served.user_taste(events, known)
        if weights is None or served is None or served.taste is None:
            return {}
        return served.taste.leanings(weights, choices, avoid)

    def _pairs(self, item: Item) -> set[tuple[str, str]]:
        pairs = self._features.get(item.id)
        if pairs is None:
            pairs = self._features[item.id] = item_features(item)
        return pairs


def _impute_undescribed(taste: np.ndarray, model: np.ndarray) -> np.ndarray:
    """The standardised taste, with items it cannot describe (``NaN``) given its best linear guess from the
    standardised ``model`` scores: ``corr(model, taste) x model`` over the described items. So an item
    made without attributes is placed by its content among the human items instead of at the average taste.
    """
    described = np.isfinite(taste)
    out = np.zeros_like(model)
    if described.sum() < 2:
        return out
    out[described] = _standardise(taste[described])
    if not described.all():
        m = _standardise(model[described])
        rho = float(np.mean(m * out[described])) if m.std() > 0 and out[described].std() > 0 else 0.0
        out[~described] = rho * model[~described]
    return out


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 0 else x - x.mean()


def load_served(settings: Any, media: Any, version: Path) -> ServedModel:
    """Load ``version`` with the content features it was trained with (``None`` if the encoder is gone)."""
    try:
        content: ItemContent | None = ItemContent.from_settings(settings, media)
    except (GeneRecError, ImportError, OSError) as exc:
        log.warning("no encoder for new items' content (%s): items the recommender never saw rank last", exc)
        content = None
    served = ServedModel.load(version, content)
    wanted = served.meta.get("content", {})
    if content is not None and wanted and wanted.get("encoder") != content.describe()["encoder"]:
        log.warning("the recommender was trained with encoder %s, this install has %s: new items rank last",
                    wanted.get("encoder"), content.describe()["encoder"])  # fmt: skip
        served.content = None
    return served
