"""Records only the store deals in: conversation turns, generation jobs, load reports.

Like :mod:`generec.types`, these are plain dataclasses that callers receive
from :class:`~generec.store.Store`; they never expose database rows.

Example
-------
>>> report = LoadReport(dataset="demo", users=2, items=3, events=10)
>>> report.summary()
'demo: 2 users, 3 items, 10 events, 0 media files loaded'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from generec.types import JobStatus


class TurnRole(enum.StrEnum):
    """Who spoke in a conversation turn."""

    USER = "user"
    ASSISTANT = "assistant"


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of a user's conversation with GeneRec; ``payload`` holds structured extras (intent, item ids)."""

    id: int
    user_id: str
    session_id: str
    role: TurnRole
    text: str
    ts: float
    payload: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """A background generation job and where it stands.

    ``worker_id`` and ``lease_expires_at`` say which worker holds a running job
    and until when; a job whose lease ran out was abandoned by a dead worker and
    is re-queued or failed by :meth:`~generec.store.Store.recover_jobs`.
    """

    id: str
    kind: str
    user_id: str | None
    params: dict[str, Any]
    status: JobStatus
    progress: float
    message: str
    error: str | None
    result_item_id: str | None
    created_at: float
    updated_at: float
    started_at: float | None
    finished_at: float | None
    attempts: int
    worker_id: str | None
    lease_expires_at: float | None

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass
class LoadReport:
    """What :meth:`~generec.store.Store.load_dataset` stored, and what it skipped and why.

    ``skipped`` maps a reason to the ids skipped for it (users, items or media paths).
    """

    dataset: str
    users: int = 0
    items: int = 0
    events: int = 0
    media: int = 0
    media_reused: int = 0
    uploaders_created: int = 0
    seconds: float = 0.0
    skipped: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, ident: str) -> None:
        self.skipped.setdefault(reason, []).append(ident)

    @property
    def n_skipped(self) -> int:
        return sum(len(v) for v in self.skipped.values())

    def summary(self) -> str:
        """One line for a person: counts, then each skip reason with how many and an example."""
        text = (
            f"{self.dataset}: {self.users} users, {self.items} items, {self.events} events, "
            f"{self.media} media files loaded"
        )
        if self.uploaders_created:
            text += f" ({self.uploaders_created} uploader accounts created)"
        for reason, ids in sorted(self.skipped.items()):
            text += f"; skipped {len(ids)} ({reason}, e.g. {ids[0]!r})"
        return text
