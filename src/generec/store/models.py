"""SQLAlchemy ORM models: one table per record of :mod:`generec.types`, plus turns, jobs and tokens.

The schema is owned by the Alembic scripts in ``migrations/``; these models must
match them (a test compares the two). Enumerations are stored as their string
values in short ``VARCHAR`` columns rather than database ENUM types, so adding a
value never needs an ``ALTER TYPE`` on PostgreSQL. Times are POSIX seconds.
Nothing outside :mod:`generec.store` should import this module: the repository
speaks in dataclasses.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Double, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so later migrations (incl. SQLite batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(255)
HASH = String(64)
ENUM = String(16)
# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
AUTO_ID = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(ENUM)
    created_at: Mapped[float] = mapped_column(Double)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)


class MediaRow(Base):
    __tablename__ = "media"

    hash: Mapped[str] = mapped_column(HASH, primary_key=True)
    mime: Mapped[str] = mapped_column(String(127))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    frames: Mapped[int | None] = mapped_column(Integer)
    fps: Mapped[float | None] = mapped_column(Double)
    duration: Mapped[float | None] = mapped_column(Double)
    has_audio: Mapped[bool] = mapped_column(Boolean)


class ItemRow(Base):
    __tablename__ = "items"
    __table_args__ = (
        # "what may this viewer see": public items, or private ones for this user
        Index("ix_items_visibility_visible_to", "visibility", "visible_to"),
        Index("ix_items_uploader_id", "uploader_id"),
        Index("ix_items_origin_created_at", "origin", "created_at"),
        Index("ix_items_parent_id", "parent_id"),
        # "what did the fidelity policy block" (admin audit) and the viewer rule "active only"
        Index("ix_items_status", "status"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    caption: Mapped[str] = mapped_column(Text)
    modality: Mapped[str] = mapped_column(ENUM)
    origin: Mapped[str] = mapped_column(ENUM)
    uploader_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("items.id"))
    visibility: Mapped[str] = mapped_column(ENUM)
    visible_to: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[float | None] = mapped_column(Double)
    created_at: Mapped[float] = mapped_column(Double)
    media_hash: Mapped[str | None] = mapped_column(ForeignKey("media.hash"))
    thumbnail_hash: Mapped[str | None] = mapped_column(ForeignKey("media.hash"))
    allow_ai_edits: Mapped[bool] = mapped_column(Boolean)
    license: Mapped[str] = mapped_column(String(255))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Review status (types.ItemStatus); added by migration 0002, which fills old rows with "active".
    status: Mapped[str] = mapped_column(ENUM, server_default="active")


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_user_id_ts", "user_id", "ts"),
        Index("ix_events_item_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"))
    kind: Mapped[str] = mapped_column(ENUM)
    ts: Mapped[float] = mapped_column(Double)
    value: Mapped[float] = mapped_column(Double)
    session_id: Mapped[str | None] = mapped_column(ID)
    facet: Mapped[str | None] = mapped_column(ENUM, nullable=True)  # set on a rating of one aspect only


class TurnRow(Base):
    """One conversation turn (a user's instruction or the assistant's reply)."""

    __tablename__ = "turns"
    __table_args__ = (Index("ix_turns_user_id_session_id_ts", "user_id", "session_id", "ts"),)

    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    session_id: Mapped[str] = mapped_column(ID)
    role: Mapped[str] = mapped_column(ENUM)
    text: Mapped[str] = mapped_column(Text)
    ts: Mapped[float] = mapped_column(Double)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ProvenanceRow(Base):
    __tablename__ = "provenance"

    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), primary_key=True)
    made_by: Mapped[str] = mapped_column(String(255))
    task: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(255))
    seed: Mapped[int | None] = mapped_column(BigInteger)
    parents: Mapped[list[str]] = mapped_column(JSON)
    authorship: Mapped[str] = mapped_column(ENUM)
    author_id: Mapped[str] = mapped_column(ID)
    requested_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[float] = mapped_column(Double)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)


class VerdictRow(Base):
    __tablename__ = "verdicts"
    __table_args__ = (Index("ix_verdicts_item_id", "item_id"),)

    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"))
    check: Mapped[str] = mapped_column(String(64))
    passed: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float] = mapped_column(Double)
    evidence: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Double)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class JobRow(Base):
    """A background generation job; the lease lets a restarted service resume or fail it."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_created_at", "status", "created_at"),
        Index("ix_jobs_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(ENUM)
    progress: Mapped[float] = mapped_column(Double)
    message: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    result_item_id: Mapped[str | None] = mapped_column(ForeignKey("items.id"))
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
    started_at: Mapped[float | None] = mapped_column(Double)
    finished_at: Mapped[float | None] = mapped_column(Double)
    attempts: Mapped[int] = mapped_column(Integer)
    worker_id: Mapped[str | None] = mapped_column(String(255))
    lease_s: Mapped[float] = mapped_column(Double)
    lease_expires_at: Mapped[float | None] = mapped_column(Double)


class TokenRow(Base):
    """An API token; only its SHA-256 is stored, never the token itself."""

    __tablename__ = "auth_tokens"
    __table_args__ = (Index("ix_auth_tokens_user_id", "user_id"),)

    token_hash: Mapped[str] = mapped_column(HASH, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    label: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float | None] = mapped_column(Double)
    last_used_at: Mapped[float | None] = mapped_column(Double)
    revoked_at: Mapped[float | None] = mapped_column(Double)


TABLES = tuple(Base.metadata.sorted_tables)
