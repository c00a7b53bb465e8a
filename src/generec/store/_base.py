"""Transaction machinery shared by the repository's parts (see :class:`generec.store.Store`)."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError, StatementError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from generec.errors import NotFoundError, StoreError

# Keeps `IN (...)` lists well under every backend's bound-parameter limit.
IN_CHUNK = 500


def as_enum(cls: type[enum.Enum], value: Any, what: str) -> Any:
    """``cls(value)``, or a :class:`StoreError` listing the accepted values."""
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in cls)
        raise StoreError(f"{what} {value!r} is not valid; use one of {allowed}") from None


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


def translate_error(exc: SQLAlchemyError, what: str) -> StoreError:
    """A :class:`StoreError` saying what failed and what to do, for a database error."""
    if isinstance(exc, IntegrityError):
        return StoreError(f"{what} failed: it conflicts with records in the store ({_first_line(exc)})")
    if isinstance(exc, OperationalError):
        return StoreError(
            f"{what} failed: the database said '{_first_line(exc)}'; if it is locked or busy another process "
            "holds a long write (retry later); otherwise check the store's file/URL and disk space"
        )
    if isinstance(exc, StatementError):
        return StoreError(f"{what} failed: a value could not be stored ({_first_line(exc)}); use JSON-friendly values")
    return StoreError(f"{what} failed: {_first_line(exc)}")


class StoreBase:
    """Engine, sessions and the transaction scope the repository methods share."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self._clock = clock
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
        # Per store *and* per thread/async task: the session of the transaction() block we are inside.
        self._current: ContextVar[Session | None] = ContextVar(f"generec_store_{id(self)}", default=None)

    def _now(self) -> float:
        return float(self._clock())

    @contextmanager
    def transaction(self, what: str = "store transaction") -> Iterator[Session]:
        """Group several repository calls into one all-or-nothing transaction.

        Calls made inside the ``with`` block join it; an exception rolls all of
        them back. Nested blocks join the outer one.

        Example
        -------
        >>> with store.transaction():  # doctest: +SKIP
        ...     store.add_item(item)
        ...     store.put_provenance(prov)
        """
        outer = self._current.get()
        if outer is not None:
            yield outer
            return
        session = self._sessions()
        token = self._current.set(session)
        try:
            with session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise translate_error(exc, what) from exc
        finally:
            self._current.reset(token)
            session.close()

    # Repository methods call `_tx` so that they join an open transaction() or run in their own.
    _tx = transaction

    def _flush(self, session: Session, what: str) -> None:
        # Surface constraint errors at the call that caused them, even inside a longer transaction.
        try:
            session.flush()
        except SQLAlchemyError as exc:
            raise translate_error(exc, what) from exc

    @staticmethod
    def _require(session: Session, model: type, key: Any, what: str, hint: str = "") -> Any:
        row = session.get(model, key)
        if row is None:
            raise NotFoundError(f"{what} {key!r} not found" + (f"; {hint}" if hint else ""))
        return row

    @staticmethod
    def _missing(session: Session, column: InstrumentedAttribute, ids: Iterable[str]) -> list[str]:
        """The ids among ``ids`` that have no row (checked in chunks)."""
        wanted = sorted(set(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            found.update(session.scalars(select(column).where(column.in_(chunk))))
        return [i for i in wanted if i not in found]
