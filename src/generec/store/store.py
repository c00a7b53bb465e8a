"""The repository: GeneRec's one way to read and write persistent state.

Methods take and return the dataclasses of :mod:`generec.types` (and
:mod:`generec.store.records`), never ORM rows. Each call is its own
transaction unless made inside :meth:`Store.transaction`, which groups calls
all-or-nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from generec.config import Settings, StoreSettings
from generec.store import schema
from generec.store._activity import ActivityMixin
from generec.store._base import translate_error
from generec.store._catalog import CatalogMixin
from generec.store._jobs import JobsMixin
from generec.store.engine import create_store_engine, display_url
from generec.store.models import (
    EventRow,
    ItemRow,
    JobRow,
    MediaRow,
    ProvenanceRow,
    TokenRow,
    TurnRow,
    UserRow,
    VerdictRow,
)
from generec.store.records import LoadReport
from generec.types import JobStatus, Origin

if TYPE_CHECKING:
    from generec.data.dataset import Dataset
    from generec.store.loader import OnBadMedia, OnExisting
    from generec.store.media_store import MediaStore

Target = str | os.PathLike[str] | URL | Settings | StoreSettings | None


def resolve_url(target: Target) -> tuple[str | URL, bool]:
    """The SQLAlchemy URL (and ``echo`` flag) that ``target`` names; see :meth:`Store.open`."""
    if target is None:
        target = Settings()
    if isinstance(target, Settings):
        return target.store.resolved_url(target.home), target.store.echo
    if isinstance(target, StoreSettings):
        from generec.config import default_home

        return target.resolved_url(default_home()), target.echo
    if isinstance(target, URL):
        return target, False
    text = os.fspath(target)
    if "://" in text:
        return text, False
    return f"sqlite:///{Path(text).expanduser().resolve()}", False


class Store(CatalogMixin, ActivityMixin, JobsMixin):
    """GeneRec's persistent state: users, items, media records, events, conversations, jobs, verdicts.

    Open with :meth:`open`; a SQLite file by default (WAL mode, foreign keys on),
    any SQLAlchemy URL otherwise. The schema is migrated to the newest version on
    open; a database from a newer GeneRec is refused.

    Example
    -------
    >>> from generec.types import User, Item
    >>> store = Store.open("sqlite://")  # in memory; use a file path to keep it
    >>> store.add_user(User(id="u1")).id
    'u1'
    >>> _ = store.add_item(Item(id="v1", title="a red car", uploader_id="u1"))
    >>> [i.id for i in store.list_items(viewer="u1")]
    ['v1']
    >>> store.close()
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(engine, clock=clock)
        self.url = display_url(engine.url)

    @classmethod
    def open(cls, target: Target = None, *, echo: bool | None = None, clock: Callable[[], float] = time.time) -> Store:
        """Open (creating and migrating if needed) the store ``target`` names.

        ``target`` is a SQLAlchemy URL (``"sqlite:///x.db"``, ``"postgresql+psycopg://..."``),
        a file path (a SQLite file), :class:`~generec.config.Settings` (its
        ``store.url``, default ``<home>/generec.db``) or ``None`` (settings from the environment).
        ``clock`` gives "now" in POSIX seconds (tests pass a fake one).
        """
        url, settings_echo = resolve_url(target)
        engine = create_store_engine(url, echo=settings_echo if echo is None else echo)
        try:
            schema.upgrade(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise translate_error(exc, f"opening the store at {display_url(url)}") from exc
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock=clock)

    def close(self) -> None:
        """Release the database connections (the store may not be used afterwards)."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    @property
    def revision(self) -> str | None:
        """The schema revision the database is at."""
        with self.engine.connect() as conn:
            return schema.current_revision(conn)

    def counts(self) -> dict[str, int]:
        """How many records of each kind the store holds (for ``generec info``)."""
        tables = {
            "users": UserRow,
            "items": ItemRow,
            "events": EventRow,
            "media": MediaRow,
            "turns": TurnRow,
            "jobs": JobRow,
            "verdicts": VerdictRow,
            "provenance": ProvenanceRow,
            "tokens": TokenRow,
        }
        with self._tx("counting records") as s:
            out = {name: int(s.scalar(select(func.count()).select_from(model)) or 0) for name, model in tables.items()}
            by_origin = dict(s.execute(select(ItemRow.origin, func.count()).group_by(ItemRow.origin)).all())
            by_status = dict(s.execute(select(JobRow.status, func.count()).group_by(JobRow.status)).all())
        for origin in Origin:
            out[f"items_{origin.value}"] = int(by_origin.get(origin.value, 0))
        for status in JobStatus:
            out[f"jobs_{status.value}"] = int(by_status.get(status.value, 0))
        return out

    def info(self) -> dict[str, Any]:
        """URL (password hidden), schema revision and :meth:`counts`."""
        return {"url": self.url, "revision": self.revision, "counts": self.counts()}

    def load_dataset(
        self,
        ds: Dataset,
        media_store: MediaStore | None = None,
        *,
        on_existing: OnExisting = "error",
        on_bad_media: OnBadMedia = "error",
        progress: bool = True,
    ) -> LoadReport:
        """Load a :class:`~generec.data.dataset.Dataset` all-or-nothing; return what was stored and skipped.

        Validates the dataset (:class:`~generec.errors.DataError` on unknown ids,
        bad kinds, bad JSON, media paths leaving the dataset folder), copies media
        into ``media_store``, then inserts users, items and events in one
        transaction: on any error nothing is committed. Uploaders that are not
        users get an ``uploader`` account. ``on_existing="skip"`` keeps users/items
        already stored (else their presence is an error); ``on_bad_media="skip"``
        keeps an item whose media file is missing or corrupt, without the file.
        Events are always appended, so loading one dataset twice doubles them.
        """
        from generec.store import loader  # pandas and tqdm load only when a dataset does

        return loader.load_dataset(
            self, ds, media_store, on_existing=on_existing, on_bad_media=on_bad_media, progress=progress
        )


Repository = Store
"""Alias: the repository API is the :class:`Store`."""
