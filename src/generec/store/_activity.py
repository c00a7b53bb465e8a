"""Events, conversation turns and auth tokens (part of :class:`generec.store.Store`)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, select, update

from generec.errors import NotFoundError
from generec.store import convert
from generec.store._base import StoreBase, as_enum
from generec.store.models import EventRow, ItemRow, TokenRow, TurnRow, UserRow
from generec.store.records import Turn, TurnRole
from generec.text import clean_text
from generec.types import Event, EventKind, Facet, Instruction, User

DEFAULT_SESSION = "default"
_EVENT_CHUNK = 20_000


def token_hash(token: str) -> str:
    """SHA-256 of an API token; tokens are 256-bit random, so a fast hash is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ActivityMixin(StoreBase):
    # ----------------------------------------------------------------- events
    def add_event(self, event: Event) -> Event:
        """Store one event; unknown user or item raises :class:`NotFoundError`."""
        self.add_events([event])
        return event

    def add_events(self, events: Iterable[Event]) -> int:
        """Store many events in one transaction (bulk insert); return how many.

        All user and item ids are checked first: one unknown id stores nothing and
        raises :class:`NotFoundError` naming it.
        """
        rows = [
            {
                "user_id": e.user_id,
                "item_id": e.item_id,
                "kind": as_enum(EventKind, e.kind, "event kind").value,
                "ts": float(e.ts),
                "value": float(e.value),
                "session_id": e.session_id,
                "facet": as_enum(Facet, e.facet, "facet").value if e.facet is not None else None,
            }
            for e in events
        ]
        with self._tx("adding events") as s:
            for column, what in ((UserRow.id, "user"), (ItemRow.id, "item")):
                key = "user_id" if what == "user" else "item_id"
                missing = self._missing(s, column, {r[key] for r in rows})
                if missing:
                    raise NotFoundError(
                        f"{len(missing)} unknown {what} id(s) in events, e.g. {missing[0]!r}; "
                        f"add the {what}s first (no events were stored)"
                    )
            for start in range(0, len(rows), _EVENT_CHUNK):
                s.execute(insert(EventRow.__table__), rows[start : start + _EVENT_CHUNK])
        return len(rows)

    def events_for_user(
        self,
        user_id: str,
        *,
        limit: int | None = None,
        since: float | None = None,
        until: float | None = None,
        kinds: Sequence[EventKind | str] | None = None,
        facets: bool | None = False,
    ) -> list[Event]:
        """A user's events in time order (oldest first); with ``limit``, the latest ``limit`` of them.

        ``since``/``until`` bound the time (``since <= ts < until``); ``kinds`` keeps
        only those kinds. ``facets``: ``False`` (default) keeps feedback on whole items,
        ``True`` only facet ratings (style, length, thumbnail), ``None`` both.
        An unknown user raises :class:`NotFoundError`.
        """
        stmt = select(EventRow).where(EventRow.user_id == user_id)
        if facets is not None:
            stmt = stmt.where(EventRow.facet.is_not(None) if facets else EventRow.facet.is_(None))
        if since is not None:
            stmt = stmt.where(EventRow.ts >= since)
        if until is not None:
            stmt = stmt.where(EventRow.ts < until)
        if kinds is not None:
            stmt = stmt.where(EventRow.kind.in_([as_enum(EventKind, k, "event kind").value for k in kinds]))
        # Newest first so LIMIT keeps the latest; reversed below into time order.
        stmt = stmt.order_by(EventRow.ts.desc(), EventRow.id.desc()).limit(limit)
        with self._tx("reading events") as s:
            self._require(s, UserRow, user_id, "user")
            events = [convert.event_record(r) for r in s.scalars(stmt)]
        events.reverse()
        return events

    def item_counts(self, kinds: Sequence[EventKind | str] = (EventKind.CLICK, EventKind.LIKE)) -> dict[str, int]:
        """How many events of ``kinds`` each item received (items with none are absent): popularity.

        Facet ratings do not count: they judge one aspect of an item, not the item.
        """
        wanted = [as_enum(EventKind, k, "event kind").value for k in kinds]
        stmt = (
            select(EventRow.item_id, func.count())
            .where(EventRow.kind.in_(wanted), EventRow.facet.is_(None))
            .group_by(EventRow.item_id)
        )
        with self._tx("counting events per item") as s:
            return {item_id: int(n) for item_id, n in s.execute(stmt)}

    # ------------------------------------------------------------------ turns
    def interactions(
        self, kinds: Sequence[EventKind | str] = (EventKind.CLICK, EventKind.LIKE)
    ) -> list[tuple[str, str, float]]:
        """Every ``(user_id, item_id, ts)`` event of ``kinds``, oldest first: what a recommender trains on."""
        wanted = [as_enum(EventKind, k, "event kind").value for k in kinds]
        stmt = select(EventRow.user_id, EventRow.item_id, EventRow.ts).where(EventRow.kind.in_(wanted))
        with self._tx("reading interactions") as s:
            return [(u, i, float(t)) for u, i, t in s.execute(stmt.order_by(EventRow.ts, EventRow.id))]

    def add_turn(
        self,
        user_id: str,
        role: TurnRole | str,
        text: str,
        *,
        session_id: str | None = None,
        ts: float | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Turn:
        """Append a conversation turn (``role``: ``"user"`` or ``"assistant"``); ``ts`` defaults to now."""
        role = as_enum(TurnRole, role, "turn role")
        values = {
            "user_id": user_id,
            "session_id": session_id or DEFAULT_SESSION,
            "role": role.value,
            "text": clean_text(text, multiline=True),
            "ts": self._now() if ts is None else float(ts),
            "payload": payload,
        }
        with self._tx("adding a conversation turn") as s:
            self._require(s, UserRow, user_id, "user")
            row = TurnRow(**values)
            s.add(row)
            self._flush(s, "adding a conversation turn")
            return convert.turn_record(row)

    def add_instruction(self, instruction: Instruction, payload: dict[str, Any] | None = None) -> Turn:
        """Store what a user said as a ``user`` turn of their conversation."""
        return self.add_turn(
            instruction.user_id,
            TurnRole.USER,
            instruction.text,
            session_id=instruction.session_id,
            ts=instruction.ts or None,
            payload=payload,
        )

    def turns(self, user_id: str, session_id: str | None = None, *, limit: int | None = None) -> list[Turn]:
        """A user's turns in time order (one session, or all); with ``limit``, the latest ``limit``."""
        stmt = select(TurnRow).where(TurnRow.user_id == user_id)
        if session_id is not None:
            stmt = stmt.where(TurnRow.session_id == session_id)
        stmt = stmt.order_by(TurnRow.ts.desc(), TurnRow.id.desc()).limit(limit)
        with self._tx("reading conversation turns") as s:
            self._require(s, UserRow, user_id, "user")
            turns = [convert.turn_record(r) for r in s.scalars(stmt)]
        turns.reverse()
        return turns

    # ----------------------------------------------------------------- tokens
    def create_token(self, user_id: str, *, label: str = "", ttl_s: float | None = None) -> str:
        """Issue an API token for a user and return it; only its hash is stored, so show it once."""
        token = secrets.token_urlsafe(32)
        now = self._now()
        with self._tx("creating a token") as s:
            self._require(s, UserRow, user_id, "user")
            s.add(
                TokenRow(
                    token_hash=token_hash(token),
                    user_id=user_id,
                    label=label,
                    created_at=now,
                    expires_at=None if ttl_s is None else now + ttl_s,
                )
            )
            self._flush(s, "creating a token")
        return token

    def user_for_token(self, token: str) -> User:
        """The user a valid token belongs to; unknown, revoked or expired tokens raise :class:`NotFoundError`."""
        now = self._now()
        with self._tx("checking a token") as s:
            row = s.get(TokenRow, token_hash(token)) if token else None
            if row is None or row.revoked_at is not None or (row.expires_at is not None and now >= row.expires_at):
                raise NotFoundError("the token is unknown, revoked or expired; sign in again to get a new one")
            row.last_used_at = now
            return convert.user_record(self._require(s, UserRow, row.user_id, "user"))

    def revoke_token(self, token: str) -> None:
        """Revoke one token; an unknown token raises :class:`NotFoundError`."""
        with self._tx("revoking a token") as s:
            row = s.get(TokenRow, token_hash(token))
            if row is None:
                raise NotFoundError("the token is unknown; nothing to revoke")
            row.revoked_at = row.revoked_at or self._now()

    def revoke_user_tokens(self, user_id: str) -> int:
        """Revoke every live token of a user; return how many."""
        with self._tx("revoking tokens") as s:
            self._require(s, UserRow, user_id, "user")
            result = s.execute(
                update(TokenRow)
                .where(TokenRow.user_id == user_id, TokenRow.revoked_at.is_(None))
                .values(revoked_at=self._now())
            )
            return int(result.rowcount or 0)
