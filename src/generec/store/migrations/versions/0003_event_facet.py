"""Events get a facet: a rating of one aspect of an item (style, length, thumbnail; paper §2).

``events.facet`` is ``NULL`` for every existing event (feedback on the whole item), so the
meaning of the stored history does not change.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("facet", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("facet")
