"""Keeping the feed's recommender current while the service runs: retrain in the background, swap without a restart.

:class:`ModelKeeper` is one background thread. It

* swaps in a newly trained version as soon as ``models/recommender/CURRENT`` names one
  (loaded and its new items' content vectors computed in this thread; steps keep ranking with the
  old model meanwhile and see the new one from their next read of the ranker's one reference);
* runs queued retrainings (store jobs of kind ``train_recommender``: ``generec train model
  --from-store --queue``, or its own schedule) in a separate *process*, so training competes with
  the steps for CPU only, never for the interpreter lock;
* queues a retraining every ``settings.recommender.retrain_every_s`` seconds (0: on demand only).

Example
-------
>>> keeper = ModelKeeper(generec)   # doctest: +SKIP
>>> keeper.start(); ...; keeper.stop()   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
import uuid
from typing import Any

from generec.errors import GeneRecError
from generec.pipeline_recommender import load_served
from generec.pipeline_retrain import TRAIN_JOB, TRAIN_LEASE_S, queue_training, run_training_job
from generec.pipeline_versions import current_version

log = logging.getLogger(__name__)


def _train_in_child(settings_json: str, job_id: str, worker_id: str) -> None:
    """The training process: open the store itself and run the claimed job to the end."""
    from generec.config import Settings
    from generec.store import MediaStore, Store

    settings = Settings.model_validate_json(settings_json)
    store = Store.open(settings)
    try:
        run_training_job(settings, store, MediaStore(settings.media_dir, settings.media), store.get_job(job_id),
                         worker_id)  # fmt: skip
    finally:
        store.close()


class ModelKeeper:
    """Swaps in new recommender versions, runs queued retrainings in a child process, queues them on a schedule.

    Parameters
    ----------
    generec : GeneRec
        The served system; its ``ranker`` must have ``swap`` (a
        :class:`~generec.pipeline_recommender.RecommenderRanker`) for swaps to happen.
    poll_s : float
        How often the keeper looks for a new version and for queued retrainings.
    every_s : float, optional
        Retraining period (default ``settings.recommender.retrain_every_s``; 0: on demand only).
    """

    def __init__(self, generec: Any, poll_s: float = 2.0, every_s: float | None = None) -> None:
        self.generec, self.poll_s = generec, poll_s
        self.every_s = generec.settings.recommender.retrain_every_s if every_s is None else every_s
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:6]}-trainer"
        self.swaps = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._child: multiprocessing.process.BaseProcess | None = None
        self._started = time.time()
        self._queued_at = 0.0

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="generec-model-keeper", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        child = self._child
        if child is not None and child.is_alive():  # its job is re-queued when the service starts again
            child.terminate()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    # ------------------------------------------------------------------ the three duties
    def check(self) -> bool:
        """Swap in the version ``CURRENT`` names if it is not the one served; return whether it swapped."""
        ranker = self.generec.ranker
        if not callable(getattr(ranker, "swap", None)):
            return False
        version = current_version(self.generec.settings)
        served = getattr(ranker, "served", None)
        if version is None or (served is not None and served.version == version.name):
            return False
        fresh = load_served(self.generec.settings, self.generec.media, version)
        fresh.prepare(list(self.generec.catalog().values()))  # uploads since training: vectors before serving
        ranker.swap(fresh)
        self.swaps += 1
        log.info("the feed is now ranked by recommender version %s", version.name)
        return True

    def due(self) -> bool:
        """A scheduled retraining is due: the period passed since the current version was trained."""
        if self.every_s <= 0:
            return False
        served = getattr(self.generec.ranker, "served", None)
        trained = float(served.meta.get("trained_at") or 0.0) if served is not None else self._started
        return time.time() - max(trained, self._queued_at) >= self.every_s  # a failed try waits a period too

    def train_queued(self) -> Any:
        """Claim one queued retraining and run it in a child process until it ends; return the job (or None)."""
        store = self.generec.store
        job = store.claim_job(self.worker_id, kinds=[TRAIN_JOB], lease_s=TRAIN_LEASE_S)
        if job is None:
            return None
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no lock shared with the steps
        settings_json = self.generec.settings.model_dump_json()
        self._child = context.Process(target=_train_in_child, args=(settings_json, job.id, self.worker_id),
                                      name="generec-trainer", daemon=True)  # fmt: skip
        self._child.start()
        while self._child.is_alive() and not self._stop.is_set():
            self._child.join(self.poll_s)
        done = store.get_job(job.id)
        if not done.is_finished and not self._stop.is_set():  # the child died without a word
            done = store.fail_job(job.id, f"the training process exited with code {self._child.exitcode}",
                                  worker_id=self.worker_id)  # fmt: skip
        return done

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
                if self.due():
                    queue_training(self.generec.store, "schedule")
                    self._queued_at = time.time()
                if self.train_queued() is not None:
                    self.check()
            except (GeneRecError, OSError) as exc:  # the store or a file is busy or gone for a moment
                log.warning("keeping the recommender current failed: %s", exc)
            except Exception:
                log.exception("keeping the recommender current failed")
            self._stop.wait(self.poll_s)
