"""Dialogue state: per-user conversations, remembered constraints, pending clarifications.

Turns persist through any *turn log* with the store's small protocol
(``add_turn`` / ``turns``): :class:`generec.store.Store` in a deployment,
:class:`InMemoryTurnLog` for library use and tests. What the instructor must
remember between turns (the standing constraints, a question it asked) rides
in the assistant turns' ``payload``, so a new process rebuilds the same state
from the log alone.

Example
-------
>>> log = InMemoryTurnLog()
>>> dm = DialogueManager(log)
>>> state = dm.load("u1", instruction="no more cats")
>>> state.constraints.excluded
set()
>>> state.constraints.exclude("category", "cat")
>>> dm.commit(state, reply="Got it: no cat from now on.", payload={"intent": "dislike"})
>>> dm.load("u1").constraints.excluded
{('category', 'cat')}
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from generec.errors import StoreError
from generec.store.records import Turn, TurnRole
from generec.types import Event, Origin

DEFAULT_SESSION = "default"


class TurnLog(Protocol):
    """Where conversation turns live (the store's protocol)."""

    def add_turn(
        self,
        user_id: str,
        role: TurnRole | str,
        text: str,
        *,
        session_id: str | None = None,
        ts: float | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Turn: ...

    def turns(self, user_id: str, session_id: str | None = None, *, limit: int | None = None) -> list[Turn]: ...


class InMemoryTurnLog:
    """A :class:`TurnLog` in a dict: per-user lists of turns, in time order."""

    def __init__(self) -> None:
        self._turns: dict[str, list[Turn]] = {}
        self._next_id = 1

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
        try:
            role = TurnRole(role)
        except ValueError:
            raise StoreError(f"turn role {role!r} is not valid; use 'user' or 'assistant'") from None
        turn = Turn(
            id=self._next_id,
            user_id=user_id,
            session_id=session_id or DEFAULT_SESSION,
            role=role,
            text=text,
            ts=time.time() if ts is None else float(ts),
            payload=dict(payload) if payload else None,
        )
        self._next_id += 1
        self._turns.setdefault(user_id, []).append(turn)
        return turn

    def turns(self, user_id: str, session_id: str | None = None, *, limit: int | None = None) -> list[Turn]:
        found = [t for t in self._turns.get(user_id, []) if session_id is None or t.session_id == session_id]
        return found[-limit:] if limit else found


@dataclass(slots=True)
class ConstraintSet:
    """Standing wishes about content, kept across turns until cleared ("no cats", "only dogs", "≤ 10 s")."""

    excluded: set[tuple[str, str]] = field(default_factory=set)
    required: set[tuple[str, str]] = field(default_factory=set)
    max_duration_s: float | None = None

    def exclude(self, attribute: str, value: str) -> None:
        self.required.discard((attribute, value))
        self.excluded.add((attribute, value))

    def require(self, attribute: str, value: str) -> None:
        self.excluded.discard((attribute, value))
        self.required.add((attribute, value))

    def clear(self, pairs: Sequence[tuple[str, str]] = (), duration: bool = False) -> list[tuple[str, str]]:
        """Drop the named constraints (all of them when nothing is named); return what was dropped."""
        if not pairs and not duration:
            dropped = sorted(self.excluded | self.required)
            self.excluded.clear()
            self.required.clear()
            self.max_duration_s = None
            return dropped
        dropped = [p for p in pairs if p in self.excluded or p in self.required]
        self.excluded.difference_update(pairs)
        self.required.difference_update(pairs)
        if duration:
            self.max_duration_s = None
        return dropped

    def allows(self, attributes: Mapping[str, Any]) -> bool:
        """Whether an item with these attribute values meets every constraint."""
        have = {(a, v) for a, vs in attributes.items() for v in (vs if isinstance(vs, list | tuple | set) else [vs])}
        if have & self.excluded:
            return False
        by_attr: dict[str, set[str]] = {}
        for a, v in self.required:
            by_attr.setdefault(a, set()).add(v)
        return all(any((a, v) in have for v in vs) for a, vs in by_attr.items())

    def to_dict(self) -> dict[str, Any]:
        return {
            "excluded": sorted(map(list, self.excluded)),
            "required": sorted(map(list, self.required)),
            "max_duration_s": self.max_duration_s,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ConstraintSet:
        data = data or {}
        return cls(
            excluded={(str(a), str(v)) for a, v in data.get("excluded", [])},
            required={(str(a), str(v)) for a, v in data.get("required", [])},
            max_duration_s=data.get("max_duration_s"),
        )

    def __bool__(self) -> bool:
        return bool(self.excluded or self.required or self.max_duration_s is not None)


@dataclass(slots=True)
class DialogueState:
    """Everything the instructor may look at for one user's turn — and nothing about anyone else.

    ``events`` are the user's recent feedback (oldest first); ``shown`` the item ids shown last, in
    order (ordinal references resolve against it); ``focus_item`` the item the client says the user
    is looking at; ``item_origin`` tells human from AI items among them (unknown ids count as human);
    ``picture`` the picture attached to this turn (the id of the user's stored picture, paper §2).
    """

    user_id: str
    session_id: str = DEFAULT_SESSION
    instruction: str | None = None
    events: Sequence[Event] = ()
    shown: Sequence[str] = ()
    focus_item: str | None = None
    item_origin: Mapping[str, Origin] = field(default_factory=dict)
    history: list[Turn] = field(default_factory=list)
    constraints: ConstraintSet = field(default_factory=ConstraintSet)
    pending: dict[str, Any] | None = None
    picture: str | None = None

    def origin_of(self, item_id: str) -> Origin:
        return self.item_origin.get(item_id, Origin.HUMAN)


class DialogueManager:
    """Loads a user's :class:`DialogueState` from a turn log and writes each exchange back.

    Parameters
    ----------
    log : TurnLog, optional
        Where turns persist; default a fresh :class:`InMemoryTurnLog`.
    history_turns : int
        How many recent turns a state carries.
    """

    def __init__(self, log: TurnLog | None = None, history_turns: int = 20) -> None:
        self.log: TurnLog = log if log is not None else InMemoryTurnLog()
        self.history_turns = history_turns

    def load(
        self,
        user_id: str,
        session_id: str | None = None,
        *,
        instruction: str | None = None,
        events: Sequence[Event] = (),
        shown: Sequence[str] = (),
        focus_item: str | None = None,
        item_origin: Mapping[str, Origin] | None = None,
        picture: str | None = None,
    ) -> DialogueState:
        """The state of ``user_id``'s conversation, rebuilt from their turns only."""
        session = session_id or DEFAULT_SESSION
        history = self.log.turns(user_id, session, limit=self.history_turns)
        constraints, pending = ConstraintSet(), None
        # Constraints outlive sessions: read them from the user's latest assistant turn in any session.
        for turn in reversed(self.log.turns(user_id, None, limit=self.history_turns)):
            if turn.role is TurnRole.ASSISTANT and turn.payload and "constraints" in turn.payload:
                constraints = ConstraintSet.from_dict(turn.payload["constraints"])
                break
        last = history[-1] if history else None
        if last is not None and last.role is TurnRole.ASSISTANT and last.payload:
            pending = last.payload.get("clarify")
        foreign = [e for e in events if e.user_id != user_id]
        if foreign:
            # Another user's events must never steer this user's decisions.
            events = [e for e in events if e.user_id == user_id]
        return DialogueState(
            user_id=user_id,
            session_id=session,
            instruction=instruction,
            events=tuple(events),
            shown=tuple(shown),
            focus_item=focus_item,
            item_origin=dict(item_origin or {}),
            history=history,
            constraints=constraints,
            pending=pending,
            picture=picture,
        )

    def commit(
        self,
        state: DialogueState,
        reply: str,
        payload: dict[str, Any] | None = None,
        user_payload: dict[str, Any] | None = None,
    ) -> None:
        """Store this exchange: the user's words (if any), then the reply with the remembered state."""
        if state.instruction:
            self.log.add_turn(
                state.user_id, TurnRole.USER, state.instruction, session_id=state.session_id, payload=user_payload
            )
        body = dict(payload or {})
        body["constraints"] = state.constraints.to_dict()
        self.log.add_turn(state.user_id, TurnRole.ASSISTANT, reply, session_id=state.session_id, payload=body)
