"""Facet ratings (style, length, thumbnail) are events with a facet, kept apart from feedback on whole items."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from generec.errors import StoreError
from generec.store import Store, head_revision
from generec.store.engine import create_store_engine
from generec.store.schema import alembic_config
from generec.types import Event, EventKind, Facet


def test_facet_ratings_are_stored_and_read_apart(populated: Store) -> None:
    whole = [Event("u1", "v1", EventKind.LIKE, 1.0), Event("u1", "v2", EventKind.CLICK, 2.0)]
    rated = [Event("u1", "v1", EventKind.DISLIKE, 3.0, facet=Facet.LENGTH),
             Event("u1", "v2", EventKind.LIKE, 4.0, facet=Facet.STYLE)]  # fmt: skip
    populated.add_events(whole + rated)
    assert populated.events_for_user("u1") == whole  # what item-level readers (ranker, streaks) see
    assert populated.events_for_user("u1", facets=True) == rated
    assert populated.events_for_user("u1", facets=None) == whole + rated
    assert populated.item_counts() == {"v1": 1, "v2": 1}  # a liked style is no like of the item
    assert not rated[0].is_negative and not rated[1].is_positive


def test_an_unknown_facet_stores_nothing(populated: Store) -> None:
    bad = Event("u1", "v1", EventKind.LIKE, 1.0, facet="colour")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="'style', 'length', 'thumbnail'"):
        populated.add_events([Event("u1", "v2", EventKind.LIKE, 0.5), bad])
    assert populated.events_for_user("u1", facets=None) == []


def test_migrating_a_0002_store_keeps_its_events_as_whole_item_feedback(tmp_path: Path) -> None:
    from alembic import command

    path = tmp_path / "old.db"
    engine = create_store_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        command.upgrade(alembic_config(conn), "0002")
        conn.commit()
    engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO users (id, name, role, created_at, attributes) VALUES ('u1', '', 'user', 0, '{}')")
        conn.execute(
            "INSERT INTO items (id, title, caption, modality, origin, visibility, created_at, allow_ai_edits,"
            " license, attributes, status) VALUES ('v1', 't', '', 'video', 'human', 'public', 0, 1, '', '{}', 'active')"
        )
        conn.execute("INSERT INTO events (user_id, item_id, kind, ts, value) VALUES ('u1', 'v1', 'dislike', 5, 0)")
    with Store.open(path) as store:
        assert store.revision == head_revision()
        (event,) = store.events_for_user("u1")
        assert event.facet is None and event.is_negative
        assert store.events_for_user("u1", facets=True) == []
