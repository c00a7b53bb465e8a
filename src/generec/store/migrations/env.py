"""Alembic environment for the GeneRec store.

There is no ``alembic.ini``: :func:`generec.store.schema.upgrade` builds the
Alembic ``Config`` in code and passes an open connection in
``config.attributes["connection"]``, so migrations run inside the caller's
transaction (and, on SQLite, under the caller's write lock).
"""

from __future__ import annotations

from alembic import context

from generec.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running the alembic CLI by hand
    raise RuntimeError("run GeneRec migrations through generec.store.schema.upgrade(), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things in place
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
