"""Events, conversation turns and auth tokens."""

from __future__ import annotations

import pytest

from generec.errors import NotFoundError, StoreError
from generec.store import Store, TurnRole
from generec.types import Event, EventKind, Instruction


def _events(n: int, user: str = "u1") -> list[Event]:
    kinds = [EventKind.IMPRESSION, EventKind.CLICK, EventKind.DWELL, EventKind.LIKE]
    return [Event(user, "v1" if i % 2 else "v2", kinds[i % 4], ts=float(n - i), value=i * 0.5) for i in range(n)]


def test_bulk_events_come_back_in_time_order(populated: Store) -> None:
    events = _events(500) + [Event("u2", "v1", EventKind.SKIP, ts=3.0, session_id="s1")]
    assert populated.add_events(events) == 501
    mine = populated.events_for_user("u1")
    assert [e.ts for e in mine] == sorted(e.ts for e in events if e.user_id == "u1")
    assert set(mine) == {e for e in events if e.user_id == "u1"}
    assert populated.events_for_user("u2") == [events[-1]]
    assert populated.counts()["events"] == 501


def test_item_counts_are_observed_popularity(populated: Store) -> None:
    populated.add_events(_events(8))  # per 4 events: impression, click, dwell, like; v1 and v2 alternate
    populated.add_events([Event("u2", "v1", EventKind.CLICK, ts=9.0), Event("u2", "v2", EventKind.DISLIKE, ts=9.5)])
    assert populated.item_counts() == {"v1": 5}  # v2 got impressions, dwell and a dislike only
    assert populated.item_counts(kinds=["dislike"]) == {"v2": 1}
    with pytest.raises(StoreError):
        populated.item_counts(kinds=["purchase"])


def test_events_limit_window_and_kinds(populated: Store) -> None:
    populated.add_events(_events(100))
    latest = populated.events_for_user("u1", limit=5)
    assert [e.ts for e in latest] == [96.0, 97.0, 98.0, 99.0, 100.0]  # the latest 5, oldest first
    window = populated.events_for_user("u1", since=10.0, until=20.0)
    assert [e.ts for e in window] == [float(t) for t in range(10, 20)]
    likes = populated.events_for_user("u1", kinds=["like"])
    assert likes and all(e.kind is EventKind.LIKE for e in likes)
    assert populated.events_for_user("u2") == []
    with pytest.raises(NotFoundError, match="user 'ghost'"):
        populated.events_for_user("ghost")
    with pytest.raises(StoreError, match="event kind 'poke'"):
        populated.events_for_user("u1", kinds=["poke"])


def test_events_with_unknown_ids_store_nothing(populated: Store) -> None:
    good = _events(10)
    with pytest.raises(NotFoundError, match="unknown user id.*'ghost'"):
        populated.add_events([*good, Event("ghost", "v1", EventKind.CLICK, 1.0)])
    with pytest.raises(NotFoundError, match="unknown item id.*'nope'"):
        populated.add_events([*good, Event("u1", "nope", EventKind.CLICK, 1.0)])
    with pytest.raises(StoreError, match="event kind"):
        populated.add_events([Event("u1", "v1", "poke", 1.0)])  # type: ignore[arg-type]
    assert populated.counts()["events"] == 0
    populated.add_event(good[0])
    assert populated.events_for_user("u1") == [good[0]]


def test_conversation_turns(populated: Store, clock) -> None:
    first = populated.add_instruction(Instruction("u1", "make it shorter", ts=5.0, session_id="s1"), {"intent": "edit"})
    reply = populated.add_turn("u1", "assistant", "Here is a cut.", session_id="s1", payload={"items": ["ai1"]})
    other = populated.add_turn("u1", TurnRole.USER, "no more cats")
    assert reply.ts == clock.now and other.session_id == "default"
    assert populated.turns("u1", "s1") == [first, reply]
    assert first.role is TurnRole.USER and first.payload == {"intent": "edit"}
    assert populated.turns("u1") == [first, reply, other]
    assert populated.turns("u1", limit=1) == [other]
    assert populated.turns("u2") == []
    with pytest.raises(NotFoundError):
        populated.add_turn("ghost", "user", "hi")
    with pytest.raises(StoreError, match="turn role 'system'"):
        populated.add_turn("u1", "system", "hi")


def test_tokens_are_stored_hashed_and_expire(populated: Store, clock) -> None:
    token = populated.create_token("u1", label="laptop", ttl_s=60)
    with populated.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT token_hash FROM auth_tokens").scalars().all()
    assert token not in stored and len(stored[0]) == 64
    assert populated.user_for_token(token).id == "u1"
    clock.advance(61)
    with pytest.raises(NotFoundError, match="expired"):
        populated.user_for_token(token)
    with pytest.raises(NotFoundError):
        populated.user_for_token("")
    with pytest.raises(NotFoundError):
        populated.create_token("ghost")


def test_tokens_can_be_revoked(populated: Store) -> None:
    one, two = populated.create_token("u2"), populated.create_token("u2")
    populated.revoke_token(one)
    with pytest.raises(NotFoundError, match="revoked"):
        populated.user_for_token(one)
    assert populated.user_for_token(two).id == "u2"
    assert populated.revoke_user_tokens("u2") == 1
    with pytest.raises(NotFoundError):
        populated.user_for_token(two)
    with pytest.raises(NotFoundError):
        populated.revoke_token("never-issued")
