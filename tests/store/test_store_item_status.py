"""Item review status: stored, filtered, enforced for viewers, and migrated from schema 0001."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from generec.errors import NotFoundError, StoreError
from generec.store import Store, head_revision
from generec.store.engine import create_store_engine
from generec.store.schema import SCHEMA_HEAD, alembic_config
from generec.types import Item, ItemStatus, Origin, User, Visibility


def test_status_round_trips_and_defaults_to_active(populated: Store) -> None:
    assert populated.get_item("v1").status is ItemStatus.ACTIVE
    populated.add_item(Item(id="g1", origin=Origin.AI, status=ItemStatus.PENDING))
    assert populated.get_item("g1", system=True).status is ItemStatus.PENDING
    with pytest.raises(StoreError, match="status of item 'bad'.*'pending', 'active', 'blocked'"):
        populated.add_item(Item(id="bad", status="hidden"))  # type: ignore[arg-type]
    assert populated.counts()["items"] == 4


@pytest.mark.parametrize("status", [ItemStatus.PENDING, ItemStatus.BLOCKED])
def test_items_that_are_not_active_are_hidden_from_every_viewer(populated: Store, status: ItemStatus) -> None:
    populated.set_item_status("v2", status)
    populated.set_item_status("ai1", status)
    for viewer in (None, "u1", "u2"):
        for item_id in ("v2", "ai1"):
            with pytest.raises(NotFoundError, match="not found"):
                populated.get_item(item_id, viewer=viewer)
        assert [i.id for i in populated.list_items(viewer=viewer)] == ["v1"]
        assert [i.id for i in populated.get_items(["v1", "v2", "ai1"], viewer=viewer)] == ["v1"]
    assert populated.search_items("cats", viewer="u1") == []
    # The system (audit, background jobs) still sees everything.
    assert populated.get_item("ai1", system=True).status is status
    assert [i.id for i in populated.get_items(["v2", "ai1"], system=True)] == ["v2", "ai1"]


def test_set_item_status_changes_only_the_status(populated: Store) -> None:
    before = populated.get_item("ai1", viewer="u1")
    populated.set_item_status("ai1", "blocked")
    after = populated.get_item("ai1", system=True)
    assert after.status is ItemStatus.BLOCKED
    assert (after.title, after.attributes, after.expires_at) == (before.title, before.attributes, before.expires_at)
    populated.set_item_status("ai1", ItemStatus.ACTIVE)  # e.g. an admin clears it after review
    assert populated.get_item("ai1", viewer="u1").status is ItemStatus.ACTIVE
    with pytest.raises(NotFoundError, match="item 'nope' not found"):
        populated.set_item_status("nope", ItemStatus.ACTIVE)
    with pytest.raises(StoreError, match="item status 'gone' is not valid"):
        populated.set_item_status("ai1", "gone")


def test_set_item_status_joins_an_open_transaction(populated: Store) -> None:
    with pytest.raises(RuntimeError), populated.transaction():
        populated.set_item_status("v1", ItemStatus.BLOCKED)
        raise RuntimeError("crash after the update")
    assert populated.get_item("v1").status is ItemStatus.ACTIVE  # rolled back with the caller


def test_list_items_filters_by_status(populated: Store) -> None:
    populated.add_items(
        [
            Item(id="g-pend", origin=Origin.AI, status=ItemStatus.PENDING, created_at=4.0),
            Item(id="g-bad", origin=Origin.AI, status=ItemStatus.BLOCKED, created_at=5.0),
            Item(id="g-bad2", origin=Origin.AI, status=ItemStatus.BLOCKED, created_at=6.0),
        ]
    )
    blocked = populated.list_items(system=True, status=ItemStatus.BLOCKED)
    assert [i.id for i in blocked] == ["g-bad", "g-bad2"]
    assert [i.id for i in populated.list_items(system=True, status="pending")] == ["g-pend"]
    assert [i.id for i in populated.list_items(system=True, status="active")] == ["v1", "v2", "ai1"]
    assert [i.id for i in populated.list_items(system=True, status="active", origin="ai")] == ["ai1"]
    # A viewer listing never holds anything but ACTIVE items, whatever the filter says.
    assert populated.list_items(viewer="u1", status=ItemStatus.BLOCKED) == []
    assert [i.id for i in populated.list_items(viewer="u1", status=ItemStatus.ACTIVE)] == ["v1", "v2", "ai1"]
    with pytest.raises(StoreError, match="item status 'hidden' is not valid"):
        populated.list_items(system=True, status="hidden")


def test_update_item_writes_the_status_too(populated: Store) -> None:
    item = populated.get_item("v1")
    item.status = ItemStatus.BLOCKED
    populated.update_item(item)
    assert populated.get_item("v1", system=True).status is ItemStatus.BLOCKED


# ------------------------------------------------------------------ migration 0001 -> 0002
def _make_0001_db(path: Path) -> None:
    """A real store at schema 0001 (before items had a status), with rows in it."""
    from alembic import command

    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_store_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.commit()
    engine.dispose()
    blocked = {"fidelity": {"status": "blocked", "failed": ["safety"]}}
    rows = [  # id, origin, visibility, visible_to, expires_at, attributes
        ("h1", "human", "public", None, None, {}),
        ("h-exp", "human", "public", None, 0.0, {}),
        ("ai-ok", "ai", "private", "u1", None, {"fidelity": {"status": "passed"}}),
        ("ai-view", "ai", "public", None, 5000.0, {"fidelity": {"status": "passed"}}),
        ("ai-blocked", "ai", "private", "u1", 0.0, blocked),
        ("ai-pending", "ai", "private", "u1", 0.0, {"fidelity": {"status": "pending"}}),
        ("ai-crashed", "ai", "private", "u1", 0.0, {}),
    ]
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO users (id, name, role, created_at, attributes) VALUES ('u1', '', 'user', 0, '{}')")
        for n, (item_id, origin, vis, to, exp, attrs) in enumerate(rows):
            conn.execute(
                "INSERT INTO items (id, title, caption, modality, origin, visibility, visible_to, expires_at,"
                " created_at, allow_ai_edits, license, attributes) VALUES (?, ?, '', 'video', ?, ?, ?, ?, ?, 1, '', ?)",
                (item_id, f"title {item_id}", origin, vis, to, exp, float(n), json.dumps(attrs)),
            )


def test_migrating_a_0001_store_keeps_rows_and_makes_them_active(db_path: Path, clock) -> None:
    _make_0001_db(db_path)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    with Store.open(db_path, clock=clock) as store:
        assert store.revision == head_revision() == SCHEMA_HEAD
        assert store.counts()["items"] == 7 and store.counts()["users"] == 1
        items = {i.id: i for i in store.list_items(system=True)}
        assert {i: items[i].status for i in ("h1", "h-exp", "ai-ok", "ai-view")} == dict.fromkeys(
            ("h1", "h-exp", "ai-ok", "ai-view"), ItemStatus.ACTIVE
        )
        assert items["h1"].title == "title h1" and items["ai-ok"].visibility is Visibility.PRIVATE
        assert items["ai-view"].expires_at == 5000.0 and items["h-exp"].expires_at == 0.0  # real expiries stay
        # The old "expires_at = 0" trick becomes a status; the failed checks stay named.
        assert items["ai-blocked"].status is ItemStatus.BLOCKED and items["ai-blocked"].expires_at is None
        assert items["ai-blocked"].attributes["fidelity"]["failed"] == ["safety"]
        assert items["ai-pending"].status is ItemStatus.PENDING and items["ai-pending"].expires_at is None
        assert items["ai-crashed"].status is ItemStatus.PENDING  # stored hidden, never checked
        assert [i.id for i in store.list_items(viewer="u1")] == ["h1", "ai-ok", "ai-view"]
        assert [i.id for i in store.list_items(system=True, status="blocked")] == ["ai-blocked"]
        # New rows work as usual after the upgrade.
        store.add_user(User(id="u2"))
        store.add_item(Item(id="h2", uploader_id="u2"))
        assert store.get_item("h2", viewer="u2").status is ItemStatus.ACTIVE
        columns = {c["name"]: c for c in inspect(store.engine).get_columns("items")}
        assert columns["status"]["nullable"] is False
        assert "ix_items_status" in {ix["name"] for ix in inspect(store.engine).get_indexes("items")}


def test_rows_written_without_a_status_get_the_server_default(store: Store) -> None:
    # Another program (or an older GeneRec) inserts a row without naming the status column.
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO items (id, title, caption, modality, origin, visibility, created_at, allow_ai_edits,"
                " license, attributes) VALUES ('raw', '', '', 'video', 'human', 'public', 0, :yes, '', '{}')"
            ),
            {"yes": True},
        )
    assert store.get_item("raw").status is ItemStatus.ACTIVE


def test_downgrade_to_0001_keeps_pending_and_blocked_items_hidden(store_url: str) -> None:
    from alembic import command

    with Store.open(store_url) as store:
        failed = {"fidelity": {"status": "blocked", "failed": ["safety"]}}
        store.add_items([Item(id="h1"), Item(id="g1", origin=Origin.AI, status=ItemStatus.BLOCKED, attributes=failed)])
        engine = store.engine
        with engine.connect() as conn:
            command.downgrade(alembic_config(conn), "0001")
            conn.commit()
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT id, expires_at FROM items")).all())
            assert rows == {"h1": None, "g1": 0.0}
            assert "status" not in {c["name"] for c in inspect(conn).get_columns("items")}
    with Store.open(store_url) as store:  # and upgrading again restores the status
        again = store.get_item("g1", system=True)
        assert (again.status, again.expires_at) == (ItemStatus.BLOCKED, None)
