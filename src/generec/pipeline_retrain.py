"""Training the feed's recommender from what the store holds, as a job of the store's queue.

:func:`train_from_store` splits the store's clicks and likes on public items per user in time
(the last tenth of each user's items validate, for early stopping), makes the items' content
features (:class:`~generec.pipeline_item_content.ItemContent`), fits the recommender of
``settings.recommender`` (by default MMGCN with LightGCN's linear layers, chosen on validation),
saves it as a new version and makes it current (:func:`~generec.pipeline_versions.publish_version`);
a running service sees the new version and swaps it in without a restart.

A retraining is a store job of kind :data:`TRAIN_JOB` (queued on demand by ``generec train model
--from-store --queue``, or on a schedule by the service); :func:`run_training_job` runs one and
reports progress on it like any other job.

Example
-------
>>> version = train_from_store(settings, store, media)                        # doctest: +SKIP
>>> version.name                                                              # doctest: +SKIP
'20261207-071500-3f2a'
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from generec.errors import DataError, GeneRecError
from generec.pipeline_item_content import ItemContent
from generec.pipeline_versions import SERVING_FILE, publish_version, recommender_dir
from generec.recommender.taste import AttributeTaste
from generec.types import Item

log = logging.getLogger(__name__)

TRAIN_JOB = "train_recommender"
"""The job kind of a recommender retraining (never claimed by the generation workers)."""
TRAIN_LEASE_S = 3600.0
"""A training reports between its phases only, so its lease is long; a dead trainer's job is recovered after it."""


def store_split(store: Any, valid: float = 0.1, min_interactions: int = 3) -> tuple[Any, list[Any]]:
    """The per-user chronological split of the store's clicks and likes on public items, and those items.

    :class:`DataError` when there is nothing to learn from yet.
    """
    import pandas as pd

    from generec.data.dataset import Dataset

    items = [i for i in store.list_items(viewer=None, limit=None) if i.media_hash]
    if not items:
        raise DataError("the store holds no public items with media; load or upload some first")
    known = {i.id for i in items}
    rows = [(u, i, t) for u, i, t in store.interactions() if i in known]
    if not rows:
        raise DataError("the store holds no clicks or likes on public items yet: nothing to train a recommender on")
    events = pd.DataFrame(rows, columns=["user_id", "item_id", "ts"]).assign(kind="click")
    users = pd.DataFrame({"id": sorted({u for u, _, _ in rows})})
    dataset = Dataset(pd.DataFrame({"id": sorted(known)}), users, events, name="store")
    split = dataset.split(valid=valid, test=0.0, min_interactions=min_interactions)
    by_id = {i.id: i for i in items}
    return split, [by_id[str(i)] for i in split.item_ids]


def make_recommender(settings: Any, verbose: bool = False) -> Any:
    """The recommender ``settings.recommender`` names, with the setting chosen on validation."""
    from generec.recommender import MMGCN, LightGCN

    cfg = settings.recommender
    common = {"lr": cfg.lr, "epochs": cfg.epochs, "patience": cfg.patience, "seed": cfg.seed, "verbose": verbose,
              "batch_size": 8192, "embedding_dim": 64}  # fmt: skip
    if cfg.model == "lightgcn":
        return LightGCN(n_layers=3, **common)
    return MMGCN(layers=cfg.layers, cold_scoring=cfg.cold_scoring, aggregation="gcn", cold_dropout=0.0, n_layers=2,
                 **common)  # fmt: skip


def fit_taste(settings: Any, items: Sequence[Item], shown: Iterable[tuple[str, str]],
              clicked: Iterable[tuple[str, str]], liked: Iterable[tuple[str, str]]) -> AttributeTaste:  # fmt: skip
    """The attribute taste of ``items``' attributes (:class:`~generec.recommender.taste.AttributeTaste`),
    learned from ``(user, item)`` impressions ``shown``, clicks ``clicked`` and likes ``liked``."""
    from generec.pipeline_parts import item_features

    taste = AttributeTaste(shrinkage=settings.recommender.taste_shrinkage)
    return taste.fit({i.id: item_features(i) for i in items}, shown, clicked, liked)


def train_from_store(
    settings: Any, store: Any, media: Any, progress: Callable[[float, str], None] | None = None, job_id: str = ""
) -> Path:
    """Fit the recommender on the store's events, save it as a new version, make it current; return its directory."""
    from generec.evaluation.ranking import evaluate

    report = progress or (lambda fraction, message: None)
    started = time.time()
    report(0.05, "reading clicks and likes from the store")
    split, items = store_split(store)
    report(0.1, f"content features of {len(items)} items")
    content = ItemContent.from_settings(settings, media)
    features = content.features(items)
    report(0.4, f"training on {len(split.train)} clicks of {split.n_users} users")
    model = make_recommender(settings).fit(split, features=features)
    report(0.8, "learning the users' taste over attributes from impressions, clicks and likes")
    shown, clicked, liked = ([(u, i) for u, i, _ in store.interactions(kinds=(kind,))]
                             for kind in ("impression", "click", "like"))  # fmt: skip
    taste = fit_taste(settings, items, shown, clicked, liked)
    valid = evaluate(model, split, on="valid", ks=(20,))["ndcg@20"] if len(split.valid) else None
    version = recommender_dir(settings) / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"
    model.save(version)
    taste.save(version)
    meta = {"trained_at": time.time(), "seconds": round(time.time() - started, 1), "job": job_id,
            "user_ids": [str(u) for u in split.user_ids], "item_ids": [str(i) for i in split.item_ids],
            "clicks": int(len(split.train) + len(split.valid)), "content": content.describe(),
            "valid_ndcg@20": None if valid is None or np.isnan(valid) else round(float(valid), 4),
            "split": split.description}  # fmt: skip
    (version / SERVING_FILE).write_text(json.dumps(meta) + "\n", encoding="utf-8")
    publish_version(settings, version)
    report(0.95, f"version {version.name} is current")
    return version


def queue_training(store: Any, reason: str = "on demand") -> Any:
    """Queue a retraining unless one is already queued or running; return that job."""
    for status in ("queued", "running"):
        open_jobs = store.list_jobs(kind=TRAIN_JOB, status=status, limit=1)
        if open_jobs:
            return open_jobs[0]
    return store.create_job(TRAIN_JOB, {"reason": reason})


def run_training_job(settings: Any, store: Any, media: Any, job: Any, worker_id: str) -> Any:
    """Run a claimed :data:`TRAIN_JOB` to the end: done with the version it made, or failed with the reason."""

    def progress(fraction: float, message: str) -> None:
        store.update_job(job.id, progress=fraction, message=message, worker_id=worker_id)

    try:
        version = train_from_store(settings, store, media, progress, job_id=job.id)
    except GeneRecError as exc:
        return store.fail_job(job.id, str(exc), worker_id=worker_id)
    except Exception as exc:  # a bug must fail the job with a reason, not leave it running
        log.exception("training job %s crashed", job.id)
        return store.fail_job(job.id, f"internal error: {type(exc).__name__}: {exc}", worker_id=worker_id)
    return store.finish_job(job.id, message=f"trained version {version.name}", worker_id=worker_id)
