"""Initial schema: users, media, items, events, turns, provenance, verdicts, jobs, auth tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

ID = sa.String(length=255)
HASH = sa.String(length=64)
ENUM = sa.String(length=16)
AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.Double()


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    ref_table = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{ref_table}"))


def _pk(table: str, column: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(column, name=op.f(f"pk_{table}"))


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("hash", HASH, nullable=False),
        sa.Column("mime", sa.String(length=127), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("frames", sa.Integer(), nullable=True),
        sa.Column("fps", sa.Double(), nullable=True),
        sa.Column("duration", sa.Double(), nullable=True),
        sa.Column("has_audio", sa.Boolean(), nullable=False),
        _pk("media", "hash"),
    )
    op.create_table(
        "users",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("role", ENUM, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        _pk("users", "id"),
    )
    op.create_table(
        "auth_tokens",
        sa.Column("token_hash", HASH, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=True),
        sa.Column("last_used_at", TIME, nullable=True),
        sa.Column("revoked_at", TIME, nullable=True),
        _fk("auth_tokens", "user_id", "users.id"),
        _pk("auth_tokens", "token_hash"),
    )
    op.create_index("ix_auth_tokens_user_id", "auth_tokens", ["user_id"])
    op.create_table(
        "items",
        sa.Column("id", ID, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("modality", ENUM, nullable=False),
        sa.Column("origin", ENUM, nullable=False),
        sa.Column("uploader_id", ID, nullable=True),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("visibility", ENUM, nullable=False),
        sa.Column("visible_to", ID, nullable=True),
        sa.Column("expires_at", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("media_hash", HASH, nullable=True),
        sa.Column("thumbnail_hash", HASH, nullable=True),
        sa.Column("allow_ai_edits", sa.Boolean(), nullable=False),
        sa.Column("license", sa.String(length=255), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        _fk("items", "media_hash", "media.hash"),
        _fk("items", "parent_id", "items.id"),
        _fk("items", "thumbnail_hash", "media.hash"),
        _fk("items", "uploader_id", "users.id"),
        _fk("items", "visible_to", "users.id"),
        _pk("items", "id"),
    )
    op.create_index("ix_items_origin_created_at", "items", ["origin", "created_at"])
    op.create_index("ix_items_parent_id", "items", ["parent_id"])
    op.create_index("ix_items_uploader_id", "items", ["uploader_id"])
    op.create_index("ix_items_visibility_visible_to", "items", ["visibility", "visible_to"])
    op.create_table(
        "turns",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("role", ENUM, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("ts", TIME, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        _fk("turns", "user_id", "users.id"),
        _pk("turns", "id"),
    )
    op.create_index("ix_turns_user_id_session_id_ts", "turns", ["user_id", "session_id", "ts"])
    op.create_table(
        "events",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("item_id", ID, nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("ts", TIME, nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("session_id", ID, nullable=True),
        _fk("events", "item_id", "items.id"),
        _fk("events", "user_id", "users.id"),
        _pk("events", "id"),
    )
    op.create_index("ix_events_item_id", "events", ["item_id"])
    op.create_index("ix_events_user_id_ts", "events", ["user_id", "ts"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("progress", sa.Double(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result_item_id", ID, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("started_at", TIME, nullable=True),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=255), nullable=True),
        sa.Column("lease_s", sa.Double(), nullable=False),
        sa.Column("lease_expires_at", TIME, nullable=True),
        _fk("jobs", "result_item_id", "items.id"),
        _fk("jobs", "user_id", "users.id"),
        _pk("jobs", "id"),
    )
    op.create_index("ix_jobs_status_created_at", "jobs", ["status", "created_at"])
    op.create_index("ix_jobs_user_id_created_at", "jobs", ["user_id", "created_at"])
    op.create_table(
        "provenance",
        sa.Column("item_id", ID, nullable=False),
        sa.Column("made_by", sa.String(length=255), nullable=False),
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.String(length=255), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("parents", sa.JSON(), nullable=False),
        sa.Column("authorship", ENUM, nullable=False),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("requested_by", ID, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        _fk("provenance", "item_id", "items.id"),
        _pk("provenance", "item_id"),
    )
    op.create_table(
        "verdicts",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("item_id", ID, nullable=False),
        sa.Column("check", sa.String(length=64), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        _fk("verdicts", "item_id", "items.id"),
        _pk("verdicts", "id"),
    )
    op.create_index("ix_verdicts_item_id", "verdicts", ["item_id"])


def downgrade() -> None:
    # Children before parents; dropping a table drops its indexes.
    for table in ("verdicts", "provenance", "jobs", "events", "turns", "items", "auth_tokens", "users", "media"):
        op.drop_table(table)
