"""Database engines: any SQLAlchemy URL; SQLite files get WAL, foreign keys and a busy timeout.

Example
-------
>>> engine = create_store_engine("sqlite://")
>>> with engine.connect() as conn:
...     conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
1
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from generec.errors import MissingExtraError, StoreError

BUSY_TIMEOUT_S = 30.0
"""How long a SQLite writer waits for another process's write lock before failing."""

# Extras that provide the DBAPI driver for a URL's backend.
_DRIVER_EXTRAS = {"postgresql": ("psycopg", "postgres")}


# A URL that names no driver gets the one GeneRec's extra installs (SQLAlchemy would pick psycopg2).
_DEFAULT_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def parse_url(url: str | URL) -> URL:
    """Parse a SQLAlchemy URL, raising :class:`StoreError` with an example when it is malformed.

    ``postgresql://`` (and ``postgres://``) mean ``postgresql+psycopg://``: psycopg 3 is the
    driver the ``postgres`` extra installs.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"invalid store URL {str(url)!r}: expected a SQLAlchemy URL such as "
            "'sqlite:///path/to/generec.db' or 'postgresql://user@host/db'"
        ) from exc
    driver = _DEFAULT_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def is_sqlite_memory(url: URL) -> bool:
    return is_sqlite(url) and url.database in (None, "", ":memory:")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Runs on every new DBAPI connection, before SQLAlchemy begins any transaction.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; crash-safe commits
        cursor.execute("PRAGMA foreign_keys=ON")  # SQLite ignores FOREIGN KEY clauses unless told
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        # FULL: a commit that returned has reached the disk, even if the machine loses power next.
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def _psycopg_json(value: Any) -> str:
    # psycopg serializes JSON parameters itself, and a TypeError from it would escape SQLAlchemy's
    # error wrapping; as the driver's DataError it becomes the StoreError that SQLite's path gives.
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        import psycopg

        raise psycopg.DataError(str(exc)) from exc


def create_store_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """Create an engine for ``url``; a SQLite file's folder is created if missing.

    Raises :class:`StoreError` for a malformed URL or an unusable backend and
    :class:`~generec.errors.MissingExtraError` when the backend's driver is an
    extra that is not installed (e.g. ``postgres`` for PostgreSQL).
    """
    parsed = parse_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(parsed):
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_S}
        if is_sqlite_memory(parsed):
            # One shared connection, otherwise every pooled connection would see its own empty database.
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"]["check_same_thread"] = False
        elif not str(parsed.database).startswith("file:"):
            Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
    elif parsed.drivername == "postgresql+psycopg":
        kwargs["json_serializer"] = _psycopg_json
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        backend = parsed.get_backend_name()
        if backend in _DRIVER_EXTRAS:
            package, extra = _DRIVER_EXTRAS[backend]
            raise MissingExtraError(package, extra, f"A {backend} store") from exc
        raise StoreError(f"cannot use store URL {parsed.render_as_string()!r}: {exc}") from exc
    if is_sqlite(parsed):
        event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def display_url(url: str | URL) -> str:
    """The URL with any password masked, for messages and ``generec info``."""
    return parse_url(url).render_as_string(hide_password=True)
