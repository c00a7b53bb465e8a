"""Schema versions: Alembic scripts shipped in the package, run in code (no ``alembic.ini``).

:func:`upgrade` brings a new or older database to the newest revision this
GeneRec knows (``head``) and refuses a database written by a newer GeneRec or
one that holds tables but no GeneRec version stamp.

Example
-------
>>> from generec.store.engine import create_store_engine
>>> engine = create_store_engine("sqlite://")
>>> upgrade(engine) == head_revision()
True
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from generec.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
SCHEMA_HEAD = "0003"
"""The newest revision in ``migrations/versions`` (a test keeps it in step), so that opening an
up-to-date store needs no Alembic import; bump it with every new migration script."""


MIGRATION_LOCK_KEY = 0x67656E726563  # "genrec": the PostgreSQL advisory lock migrations hold


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` pointing at the packaged scripts, optionally bound to ``connection``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_table", VERSION_TABLE)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of GeneRec can use (read from the scripts)."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:  # pragma: no cover - a packaging mistake, caught by the tests
        raise StoreError(f"GeneRec's migration scripts have {len(heads)} heads; expected exactly one")
    return heads[0]


def current_revision(connection: Connection) -> str | None:
    """The revision stamped in the database, or ``None`` for a database never migrated."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def _check_known(connection: Connection, current: str | None) -> None:
    if current is None:
        tables = set(inspect(connection).get_table_names()) - {VERSION_TABLE}
        if tables:
            raise StoreError(
                f"the database holds tables ({', '.join(sorted(tables)[:5])}) but no GeneRec schema version: "
                "it is not a GeneRec store; point GeneRec at an empty database or a new SQLite file"
            )
        return
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(current)
    except CommandError as exc:
        raise StoreError(
            f"the database's schema revision {current!r} is newer than this GeneRec knows "
            f"(newest known: {head_revision()!r}); upgrade GeneRec (`pip install -U generec`) "
            "or use another database"
        ) from exc


def upgrade(engine: Engine) -> str:
    """Migrate ``engine``'s database to :func:`head_revision`; return the revision it is at.

    Idempotent and safe when several processes open a new database at once: the check is
    repeated under SQLite's write lock (``BEGIN IMMEDIATE``) or a PostgreSQL advisory lock,
    and the whole migration runs in that one transaction (both run DDL transactionally),
    so a crash leaves no half schema.
    """
    with engine.connect() as conn:
        current = current_revision(conn)
        conn.rollback()
        if current == SCHEMA_HEAD:  # the common case: no Alembic import at all
            return current
        _check_known(conn, current)
        head = head_revision()
        if engine.dialect.name in ("sqlite", "postgresql"):
            if engine.dialect.name == "sqlite":
                # pysqlite would otherwise run each CREATE TABLE in autocommit mode.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:  # one migrating process at a time; the lock ends with the transaction
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            current = current_revision(conn)
            _check_known(conn, current)
            if current == head:
                conn.commit()
                return head
        from alembic import command

        command.upgrade(alembic_config(conn), "head")
        conn.commit()
    return head
