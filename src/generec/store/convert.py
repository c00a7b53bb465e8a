"""Conversions between database rows and the dataclasses callers see.

``*_values`` build column dicts (for ORM constructors and Core bulk inserts);
``*_record`` turn a row back into a dataclass, so no ORM object ever leaves the store.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from generec.store.models import (
    EventRow,
    ItemRow,
    JobRow,
    MediaRow,
    ProvenanceRow,
    TurnRow,
    UserRow,
    VerdictRow,
)
from generec.store.records import Job, Turn, TurnRole
from generec.text import clean_text
from generec.types import (
    Authorship,
    Event,
    EventKind,
    Facet,
    Item,
    ItemStatus,
    JobStatus,
    Media,
    Modality,
    Origin,
    Provenance,
    Role,
    User,
    Verdict,
    Visibility,
)


def _enum_value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def record_values(record: Any) -> dict[str, Any]:
    """A dataclass as a dict of column values (enums as their string values)."""
    return {k: _enum_value(v) for k, v in asdict(record).items()}


def item_values(item: Item) -> dict[str, Any]:
    """An item's column values, its title and caption without control characters (see :mod:`generec.text`)."""
    values = record_values(item)
    values["title"] = clean_text(values["title"] or "")
    values["caption"] = clean_text(values["caption"] or "", multiline=True)
    return values


def user_record(row: UserRow) -> User:
    return User(id=row.id, name=row.name, role=Role(row.role), created_at=row.created_at, attributes=row.attributes)


def media_record(row: MediaRow) -> Media:
    return Media(
        hash=row.hash,
        mime=row.mime,
        size_bytes=row.size_bytes,
        width=row.width,
        height=row.height,
        frames=row.frames,
        fps=row.fps,
        duration=row.duration,
        has_audio=row.has_audio,
    )


def item_record(row: ItemRow) -> Item:
    return Item(
        id=row.id,
        title=row.title,
        caption=row.caption,
        modality=Modality(row.modality),
        origin=Origin(row.origin),
        uploader_id=row.uploader_id,
        parent_id=row.parent_id,
        visibility=Visibility(row.visibility),
        visible_to=row.visible_to,
        expires_at=row.expires_at,
        created_at=row.created_at,
        media_hash=row.media_hash,
        thumbnail_hash=row.thumbnail_hash,
        allow_ai_edits=row.allow_ai_edits,
        license=row.license,
        attributes=row.attributes,
        status=ItemStatus(row.status),
    )


def event_record(row: EventRow) -> Event:
    return Event(
        user_id=row.user_id,
        item_id=row.item_id,
        kind=EventKind(row.kind),
        ts=row.ts,
        value=row.value,
        session_id=row.session_id,
        facet=Facet(row.facet) if row.facet else None,
    )


def turn_record(row: TurnRow) -> Turn:
    return Turn(
        id=row.id,
        user_id=row.user_id,
        session_id=row.session_id,
        role=TurnRole(row.role),
        text=row.text,
        ts=row.ts,
        payload=row.payload,
    )


def provenance_values(prov: Provenance) -> dict[str, Any]:
    values = record_values(prov)
    values["parents"] = list(prov.parents)
    return values


def provenance_record(row: ProvenanceRow) -> Provenance:
    return Provenance(
        item_id=row.item_id,
        made_by=row.made_by,
        task=row.task,
        model_id=row.model_id,
        seed=row.seed,
        parents=tuple(row.parents),
        authorship=Authorship(row.authorship),
        author_id=row.author_id,
        requested_by=row.requested_by,
        created_at=row.created_at,
        params=row.params,
    )


def verdict_record(row: VerdictRow) -> Verdict:
    return Verdict(
        check=row.check,
        passed=row.passed,
        score=row.score,
        evidence=row.evidence,
        item_id=row.item_id,
        created_at=row.created_at,
        details=row.details,
    )


def job_record(row: JobRow) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        user_id=row.user_id,
        params=row.params,
        status=JobStatus(row.status),
        progress=row.progress,
        message=row.message,
        error=row.error,
        result_item_id=row.result_item_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        attempts=row.attempts,
        worker_id=row.worker_id,
        lease_expires_at=row.lease_expires_at,
    )
