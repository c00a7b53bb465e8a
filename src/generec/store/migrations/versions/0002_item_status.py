"""Items get a review status (pending, active, blocked), separate from their expiry.

Before 0002 the fidelity policy hid an AI item that was pending its checks or had
failed them by setting ``expires_at = 0``. This revision adds ``items.status``
(existing rows become ``active``) and turns such hidden AI items into ``pending`` /
``blocked`` ones with no expiry, so ``expires_at`` again only means expiry after viewing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

HIDDEN_AT = 0.0
"""The ``expires_at`` the pre-0002 fidelity policy wrote on pending and blocked items."""

_items = sa.table(
    "items",
    sa.column("id", sa.String),
    sa.column("origin", sa.String),
    sa.column("expires_at", sa.Double),
    sa.column("attributes", sa.JSON),
    sa.column("status", sa.String),
)


def _old_verdict(attributes: Any) -> str | None:
    fidelity = attributes.get("fidelity") if isinstance(attributes, dict) else None
    return fidelity.get("status") if isinstance(fidelity, dict) else None


def upgrade() -> None:
    # A constant server default fills every existing row, so NOT NULL holds at once.
    op.add_column("items", sa.Column("status", sa.String(length=16), nullable=False, server_default="active"))
    op.create_index("ix_items_status", "items", ["status"])
    conn = op.get_bind()
    hidden = conn.execute(
        sa.select(_items.c.id, _items.c.attributes).where(_items.c.origin == "ai", _items.c.expires_at == HIDDEN_AT)
    ).all()
    for item_id, attributes in hidden:
        old = _old_verdict(attributes)
        if old == "passed":  # cleared by the policy; an expiry of 0 was then really meant
            continue
        # Anything else hidden this way never passed its checks: it must stay unseen, now by status.
        status = "blocked" if old == "blocked" else "pending"
        conn.execute(sa.update(_items).where(_items.c.id == item_id).values(status=status, expires_at=None))


def downgrade() -> None:
    # Back to the old trick, so that no pending or blocked item becomes visible.
    conn = op.get_bind()
    conn.execute(sa.update(_items).where(_items.c.status != "active").values(expires_at=HIDDEN_AT))
    op.drop_index("ix_items_status", table_name="items")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("status")
