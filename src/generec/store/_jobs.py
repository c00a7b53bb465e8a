"""Background generation jobs with worker leases (part of :class:`generec.store.Store`).

A worker claims a queued job (atomically: two workers never get the same one),
reports progress, and finishes or fails it. Claiming takes a *lease*; every
progress report or heartbeat extends it. If the worker dies, the lease runs out
and :meth:`JobsMixin.recover_jobs` re-queues the job (or fails it after
``max_attempts``), so a restarted service resumes instead of hanging forever.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from generec.errors import StoreError
from generec.store import convert
from generec.store._base import StoreBase, as_enum
from generec.store.models import ItemRow, JobRow, UserRow
from generec.store.records import Job
from generec.types import JobStatus

DEFAULT_LEASE_S = 60.0
_RUNNING = JobStatus.RUNNING.value
_QUEUED = JobStatus.QUEUED.value


class JobsMixin(StoreBase):
    def create_job(self, kind: str, params: dict[str, Any] | None = None, *, user_id: str | None = None) -> Job:
        """Queue a job of ``kind`` (e.g. ``"create_video"``) with JSON ``params``; return it."""
        if not kind:
            raise StoreError("a job needs a kind, e.g. 'create_video'")
        now = self._now()
        row = JobRow(
            id=uuid.uuid4().hex,
            kind=kind,
            user_id=user_id,
            params=dict(params or {}),
            status=_QUEUED,
            progress=0.0,
            message="queued",
            created_at=now,
            updated_at=now,
            attempts=0,
            lease_s=DEFAULT_LEASE_S,
        )
        with self._tx("creating a job") as s:
            if user_id is not None:
                self._require(s, UserRow, user_id, "user")
            s.add(row)
            self._flush(s, f"creating a {kind!r} job")
            return convert.job_record(row)

    def get_job(self, job_id: str) -> Job:
        with self._tx("reading a job") as s:
            return convert.job_record(self._require(s, JobRow, job_id, "job"))

    def list_jobs(
        self,
        *,
        user_id: str | None = None,
        status: JobStatus | str | None = None,
        kind: str | None = None,
        limit: int | None = 100,
    ) -> list[Job]:
        """Jobs, newest first, optionally of one user, status or kind."""
        stmt = select(JobRow)
        if user_id is not None:
            stmt = stmt.where(JobRow.user_id == user_id)
        if status is not None:
            stmt = stmt.where(JobRow.status == as_enum(JobStatus, status, "job status").value)
        if kind is not None:
            stmt = stmt.where(JobRow.kind == kind)
        stmt = stmt.order_by(JobRow.created_at.desc(), JobRow.id).limit(limit)
        with self._tx("listing jobs") as s:
            return [convert.job_record(r) for r in s.scalars(stmt)]

    def jobs_for_user(self, user_id: str, *, status: JobStatus | str | None = None, limit: int = 50) -> list[Job]:
        """A user's jobs, newest first; :class:`NotFoundError` for an unknown user."""
        with self._tx("listing a user's jobs") as s:
            self._require(s, UserRow, user_id, "user")
            return self.list_jobs(user_id=user_id, status=status, limit=limit)

    def claim_job(
        self, worker_id: str, *, kinds: Sequence[str] | None = None, lease_s: float = DEFAULT_LEASE_S
    ) -> Job | None:
        """Take the oldest queued job (of ``kinds``) for ``worker_id``, or ``None`` if there is none.

        Atomic across threads and processes: the row moves from queued to running
        with a compare-and-set ``UPDATE``, so a job is never handed out twice.
        """
        if lease_s <= 0:
            raise StoreError(f"lease_s must be positive, got {lease_s}")
        for _attempt in range(20):  # another worker may win the race for the same row; try the next
            now = self._now()
            with self._tx("claiming a job") as s:
                stmt = select(JobRow.id).where(JobRow.status == _QUEUED)
                if kinds:
                    stmt = stmt.where(JobRow.kind.in_(list(kinds)))
                stmt = stmt.order_by(JobRow.created_at, JobRow.id).limit(1).with_for_update(skip_locked=True)
                job_id = s.scalar(stmt)
                if job_id is None:
                    return None
                claimed = s.execute(
                    update(JobRow)
                    .where(JobRow.id == job_id, JobRow.status == _QUEUED)
                    .values(
                        status=_RUNNING,
                        worker_id=worker_id,
                        attempts=JobRow.attempts + 1,
                        started_at=now,
                        updated_at=now,
                        lease_s=lease_s,
                        lease_expires_at=now + lease_s,
                        message="running",
                    )
                    .execution_options(synchronize_session=False)
                )
                if claimed.rowcount == 1:
                    return convert.job_record(s.get(JobRow, job_id, populate_existing=True))
        return None

    def _running(self, s: Session, job_id: str, worker_id: str | None) -> JobRow:
        row = self._require(s, JobRow, job_id, "job")
        if row.status != _RUNNING:
            raise StoreError(f"job {job_id!r} is {row.status}, not running; a worker may only report on running jobs")
        if worker_id is not None and row.worker_id != worker_id:
            raise StoreError(
                f"job {job_id!r} now belongs to worker {row.worker_id!r} (this worker's lease ran out); "
                "stop working on it"
            )
        return row

    def _set_running(self, s: Session, job_id: str, worker_id: str | None, **values: Any) -> Job:
        # Compare-and-set: the row changes only if it is still running (for this worker), so a
        # concurrent cancel or take-over is never overwritten.
        stmt = update(JobRow).where(JobRow.id == job_id, JobRow.status == _RUNNING)
        if worker_id is not None:
            stmt = stmt.where(JobRow.worker_id == worker_id)
        result = s.execute(stmt.values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            self._running(s, job_id, worker_id)  # raises the precise reason
        return convert.job_record(s.get(JobRow, job_id, populate_existing=True))

    def heartbeat(self, job_id: str, *, worker_id: str | None = None) -> Job:
        """Extend a running job's lease by its ``lease_s``; call it more often than that."""
        return self.update_job(job_id, worker_id=worker_id)

    def update_job(
        self,
        job_id: str,
        *,
        progress: float | None = None,
        message: str | None = None,
        worker_id: str | None = None,
    ) -> Job:
        """Report progress (0..1) and/or a message on a running job; extends its lease."""
        if progress is not None and not 0.0 <= progress <= 1.0:
            raise StoreError(f"job progress must be between 0 and 1, got {progress}")
        now = self._now()
        values: dict[str, Any] = {"updated_at": now, "lease_expires_at": now + JobRow.lease_s}
        if progress is not None:
            values["progress"] = float(progress)
        if message is not None:
            values["message"] = message
        with self._tx("updating a job") as s:
            return self._set_running(s, job_id, worker_id, **values)

    def finish_job(
        self, job_id: str, *, result_item_id: str | None = None, message: str = "done", worker_id: str | None = None
    ) -> Job:
        """Mark a running job done, pointing at the item it produced (if any)."""
        now = self._now()
        with self._tx("finishing a job") as s:
            if result_item_id is not None:
                self._require(s, ItemRow, result_item_id, "result item", "store the item before finishing the job")
            return self._set_running(
                s,
                job_id,
                worker_id,
                status=JobStatus.DONE.value,
                progress=1.0,
                message=message,
                result_item_id=result_item_id,
                updated_at=now,
                finished_at=now,
                lease_expires_at=None,
            )

    def fail_job(self, job_id: str, error: str, *, worker_id: str | None = None) -> Job:
        """Mark a running job failed with an error a person can read."""
        now = self._now()
        with self._tx("failing a job") as s:
            return self._set_running(
                s,
                job_id,
                worker_id,
                status=JobStatus.FAILED.value,
                error=error,
                message="failed",
                updated_at=now,
                finished_at=now,
                lease_expires_at=None,
            )

    def cancel_job(self, job_id: str) -> Job:
        """Cancel a queued or running job (a running worker learns it on its next report)."""
        now = self._now()
        with self._tx("cancelling a job") as s:
            result = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status.in_([_QUEUED, _RUNNING]))
                .values(status=JobStatus.CANCELLED.value, message="cancelled", updated_at=now, finished_at=now,
                        lease_expires_at=None)
                .execution_options(synchronize_session=False)
            )  # fmt: skip
            row = self._require(s, JobRow, job_id, "job")
            s.refresh(row)
            if result.rowcount != 1:
                raise StoreError(
                    f"job {job_id!r} is already {row.status}; only queued or running jobs can be cancelled"
                )
            return convert.job_record(row)

    def recover_jobs(self, *, max_attempts: int = 3, all_running: bool = False) -> list[Job]:
        """Re-queue running jobs whose worker stopped (lease expired), or fail them after ``max_attempts``.

        Call at service start-up. ``all_running=True`` treats every running job as
        abandoned (right when one process runs all workers and has just restarted).
        Returns the jobs it changed.
        """
        now = self._now()
        stmt = select(JobRow).where(JobRow.status == _RUNNING)
        if not all_running:
            stmt = stmt.where(or_(JobRow.lease_expires_at.is_(None), JobRow.lease_expires_at <= now))
        changed = []
        with self._tx("recovering jobs") as s:
            for row in s.scalars(stmt.order_by(JobRow.created_at, JobRow.id)).all():
                if row.attempts >= max_attempts:
                    values = {
                        "status": JobStatus.FAILED.value,
                        "message": "failed",
                        "error": f"worker {row.worker_id!r} stopped during attempt {row.attempts}/{max_attempts}; "
                        "gave up",
                        "finished_at": now,
                    }
                else:
                    values = {"status": _QUEUED, "message": f"re-queued: worker {row.worker_id!r} stopped responding"}
                    values["progress"] = 0.0
                # Only if nothing changed since we looked (a late heartbeat keeps the job with its worker).
                done = s.execute(
                    update(JobRow)
                    .where(JobRow.id == row.id, JobRow.status == _RUNNING, JobRow.updated_at == row.updated_at)
                    .values(worker_id=None, lease_expires_at=None, updated_at=now, **values)
                    .execution_options(synchronize_session=False)
                )
                if done.rowcount == 1:
                    changed.append(row.id)
            return [convert.job_record(s.get(JobRow, i, populate_existing=True)) for i in changed]
