"""Background generation: a pool of worker threads over the store's job queue.

Jobs live in the database, so they survive a restart: on start the pool calls
:meth:`Store.recover_jobs` with ``all_running=True`` (this process runs every worker,
so a job still marked running was abandoned by the previous process) and the job is
re-queued, or failed with the reason after ``max_job_attempts``. A heartbeat thread keeps
the leases of the jobs in hand alive while a runner works between progress reports.

With ``shared=True`` the pool is one of several worker processes on one database
(``generec worker``): a running job may belong to a live sibling, so only jobs whose lease
ran out are recovered, at start and then on every heartbeat.

Example
-------
>>> pool = WorkerPool(generec, workers=2)   # doctest: +SKIP
>>> pool.start(); ...; pool.stop()          # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import uuid
from typing import TYPE_CHECKING

from generec.errors import GeneRecError
from generec.types import JobStatus

if TYPE_CHECKING:
    from generec.pipeline import GeneRec
    from generec.store import Job

log = logging.getLogger(__name__)


class WorkerPool:
    """``workers`` threads that claim jobs, run them through :meth:`GeneRec.run_job` and report."""

    def __init__(self, generec: GeneRec, workers: int = 2, *, poll_s: float = 0.5, shared: bool = False) -> None:
        self.generec = generec
        self.n_workers = workers
        self.shared = shared
        self.poll_s = poll_s
        self.lease_s = generec.settings.service.job_lease_s
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._held: dict[str, str] = {}  # job id -> worker id, for heartbeats
        self._lock = threading.Lock()
        self.prefix = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.recovered: list[Job] = []

    def recover(self) -> list[Job]:
        """Re-queue (or fail, with the reason) jobs a stopped process left running.

        Alone (``shared=False``) every running job is abandoned; shared, only those whose lease ran out.
        """
        attempts = self.generec.settings.service.max_job_attempts
        recovered = self.generec.store.recover_jobs(max_attempts=attempts, all_running=not self.shared)
        for job in recovered:  # each was running when its process stopped; recovery re-queued or failed it
            outcome = f"failed: {job.error}" if job.status is JobStatus.FAILED else job.message  # "re-queued: why"
            log.warning("job %s was left running by a stopped process; %s", job.id, outcome)
        self.recovered.extend(recovered)
        return recovered

    def start(self) -> None:
        if self._threads:
            return
        self.recover()
        self._stop.clear()
        for n in range(self.n_workers):
            t = threading.Thread(target=self._work, args=(f"{self.prefix}-w{n}",), name=f"generec-worker-{n}",
                                 daemon=True)  # fmt: skip
            t.start()
            self._threads.append(t)
        if self.n_workers:
            hb = threading.Thread(target=self._heartbeat, name="generec-heartbeat", daemon=True)
            hb.start()
            self._threads.append(hb)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()

    def _work(self, worker_id: str) -> None:
        store = self.generec.store
        while not self._stop.is_set():
            try:
                job = store.claim_job(worker_id, kinds=self.generec.job_kinds, lease_s=self.lease_s)
            except GeneRecError as exc:  # the database is busy or gone for a moment: try again later
                log.warning("worker %s could not claim a job: %s", worker_id, exc)
                job = None
            if job is None:
                self._stop.wait(self.poll_s)
                continue
            with self._lock:
                self._held[job.id] = worker_id
            try:
                self.generec.run_job(job, worker_id)
            finally:
                with self._lock:
                    self._held.pop(job.id, None)

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.lease_s / 3):
            with self._lock:
                held = list(self._held.items())
            for job_id, worker_id in held:
                with contextlib.suppress(GeneRecError):  # finished or cancelled meanwhile
                    self.generec.store.heartbeat(job_id, worker_id=worker_id)
            if self.shared:  # a sibling process may have died holding jobs
                try:
                    self.recover()
                except GeneRecError as exc:
                    log.warning("recovering abandoned jobs failed: %s", exc)
