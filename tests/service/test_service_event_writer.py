"""Group commit of feed events: batched, durable before the answer, one bad post fails alone."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from generec.config import Settings
from generec.errors import NotFoundError
from generec.service.events import EventWriter
from generec.store import Store
from generec.types import Event, EventKind, Item, Origin, Visibility


@pytest.fixture
def store(template_home: Path, tmp_path: Path) -> Store:
    home = shutil.copytree(template_home, tmp_path / "home", ignore=shutil.ignore_patterns("world"))
    with Store.open(Settings(home=home)) as s:
        yield s


class GatedStore:
    """The real store, whose first ``add_events`` waits until ``gate`` opens (so posts pile up behind it)."""

    def __init__(self, store: Store) -> None:
        self.store, self.gate, self.calls = store, threading.Event(), []

    def add_events(self, events: list[Event]) -> int:
        self.calls.append(len(events))
        if len(self.calls) == 1:
            self.gate.wait(10)
        return self.store.add_events(events)

    def get_items(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return self.store.get_items(*args, **kwargs)


def _events(user: str, items: list[str], kind: EventKind = EventKind.IMPRESSION) -> list[Event]:
    return [Event(user, i, kind, time.time()) for i in items]


def _until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _post_behind_the_gate(writer: EventWriter, gated: GatedStore, posts: list[tuple[str, list[Event]]]):
    """Post the first alone (the writer holds it at the gate), then the rest, which queue behind it."""
    results: dict[int, object] = {}

    def post(n: int, user: str, events: list[Event]) -> None:
        try:
            results[n] = writer.write(user, events)
        except Exception as exc:  # noqa: BLE001 - the test looks at what each post got
            results[n] = exc

    threads = [threading.Thread(target=post, args=(n, u, e)) for n, (u, e) in enumerate(posts)]
    threads[0].start()
    _until(lambda: len(gated.calls) == 1)
    for t in threads[1:]:
        t.start()
    _until(lambda: writer._queue.qsize() == len(posts) - 1)
    return threads, results


def test_concurrent_posts_share_a_commit(store: Store) -> None:
    gated = GatedStore(store)
    writer = EventWriter(gated)
    writer.start()
    items = [i.id for i in store.list_items(viewer=None, limit=4)]
    users = ["alice", "bob", "carol"] * 4
    threads, results = _post_behind_the_gate(writer, gated, [(u, _events(u, items[:2])) for u in users])
    gated.gate.set()
    for t in threads:
        t.join(10)
    writer.stop()
    assert all(r == 2 for r in results.values()) and len(results) == len(users)
    assert gated.calls == [2, 2 * (len(users) - 1)]  # two transactions for twelve posts
    assert writer.batches == 2
    assert len(store.events_for_user("alice")) == 8


def test_a_bad_post_fails_alone(store: Store) -> None:
    class Unchecked(EventWriter):  # as if the item vanished between the check and the commit
        def check(self, user_id: str, events: list[Event]) -> None:
            pass

    gated = GatedStore(store)
    writer = Unchecked(gated)
    writer.start()
    good = store.list_items(viewer=None, limit=1)[0].id
    posts = [("alice", _events("alice", [good])), ("bob", _events("bob", ["no-such-item"])),
             ("carol", _events("carol", [good])), ("alice", _events("alice", [good]))]  # fmt: skip
    threads, results = _post_behind_the_gate(writer, gated, posts)
    gated.gate.set()
    for t in threads:
        t.join(10)
    writer.stop()
    assert results[0] == results[2] == results[3] == 1  # the batch behind the gate held the bad post
    assert isinstance(results[1], NotFoundError) and "no-such-item" in str(results[1])
    assert len(store.events_for_user("alice")) == 2 and len(store.events_for_user("carol")) == 1


def test_events_only_about_items_the_user_may_see(store: Store) -> None:
    public = store.list_items(viewer=None, limit=1)[0]
    store.add_item(Item(id="alice-own", title="private", origin=Origin.AI, visibility=Visibility.PRIVATE,
                        visible_to="alice", attributes={"fidelity": {"status": "passed"}}))  # fmt: skip
    writer = EventWriter(store)
    writer.start()
    try:
        before = len(store.events_for_user("bob"))
        with pytest.raises(NotFoundError, match="alice-own"):
            writer.write("bob", _events("bob", [public.id, "alice-own"]))
        assert len(store.events_for_user("bob")) == before  # nothing of that post was stored
        assert writer.write("alice", _events("alice", ["alice-own"])) == 1
        assert writer.write("bob", []) == 0
        with pytest.raises(Exception, match="own"):
            writer.write("bob", _events("alice", [public.id]))  # events must be the caller's own
    finally:
        writer.stop()


def test_stop_stores_what_is_queued_and_later_posts_go_straight_in(store: Store) -> None:
    gated = GatedStore(store)
    writer = EventWriter(gated)
    writer.start()
    item = store.list_items(viewer=None, limit=1)[0].id
    before = len(store.events_for_user("bob"))
    threads, results = _post_behind_the_gate(writer, gated, [("bob", _events("bob", [item])) for _ in range(3)])
    stopper = threading.Thread(target=writer.stop)
    stopper.start()
    gated.gate.set()
    stopper.join(10)
    for t in threads:
        t.join(10)
    assert sorted(results.values()) == [1, 1, 1] and writer.batches == 2
    assert writer.write("bob", _events("bob", [item], EventKind.LIKE)) == 1  # stopped: written directly
    assert writer.batches == 2 and len(store.events_for_user("bob")) == before + 4


def test_posted_events_are_readable_when_the_answer_arrives(client, tokens, auth) -> None:
    h = auth(tokens["carol"])
    item = client.get("/api/feed", headers=h).json()["items"][0]["id"]
    for n in range(3):
        body = {"events": [{"item_id": item, "kind": "dwell", "value": 1.5 + n}]}
        assert client.post("/api/events", headers=h, json=body).json() == {"stored": 1}
        history = client.get("/api/history?limit=5", headers=h).json()["events"]
        assert history[-1]["kind"] == "dwell" and history[-1]["value"] == 1.5 + n
