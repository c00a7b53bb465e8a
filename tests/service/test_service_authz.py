"""One user can never read another user's private items, history, conversation or jobs — endpoint by endpoint."""

from __future__ import annotations

import time

import pytest

from generec.types import Event, EventKind, Item, Origin, Visibility


@pytest.fixture(scope="module")
def alice_private(system, tokens, client) -> dict[str, str]:
    """Alice's private AI item, an event, a chat turn and a job — all things Bob must not see."""
    store = system.store
    public = store.list_items(viewer=None, limit=1)[0]
    item = Item(id="alice-secret", title="alice secret edit", origin=Origin.AI, parent_id=public.id,
                visibility=Visibility.PRIVATE, visible_to="alice", media_hash=public.media_hash,
                thumbnail_hash=public.thumbnail_hash, attributes={"fidelity": {"status": "passed"}})  # fmt: skip
    store.add_item(item)
    store.add_event(Event("alice", public.id, EventKind.LIKE, time.time()))
    store.add_turn("alice", "user", "alice's private wish: purple cats", session_id="web")
    job = store.create_job("edit_clipping", {"task": "clipping", "item_id": "nonexistent"}, user_id="alice")
    store.cancel_job(job.id)  # keep the worker away from it
    return {"item": item.id, "job": job.id, "public": public.id}


ITEM_ROUTES = ["/api/items/{i}", "/api/items/{i}/media", "/api/items/{i}/thumbnail", "/api/items/{i}/why"]
JOB_ROUTES = [("GET", "/api/jobs/{j}"), ("GET", "/api/jobs/{j}/events"), ("POST", "/api/jobs/{j}/cancel")]


def test_owner_can_read_her_private_item(client, tokens, alice_private, auth) -> None:
    for route in ITEM_ROUTES:
        r = client.get(route.format(i=alice_private["item"]), headers=auth(tokens["alice"]))
        assert r.status_code == 200, (route, r.text)


@pytest.mark.parametrize("route", ITEM_ROUTES)
def test_other_user_gets_404_on_private_item(client, tokens, alice_private, route, auth) -> None:
    for who in ("bob", "carol"):
        r = client.get(route.format(i=alice_private["item"]), headers=auth(tokens[who]))
        assert r.status_code == 404
        assert "alice-secret" in r.json()["error"]["message"]  # same words as for an id that never existed
        missing = client.get(route.format(i="no-such-item"), headers=auth(tokens[who]))
        assert missing.status_code == 404


@pytest.mark.parametrize("method,route", JOB_ROUTES)
def test_other_user_gets_404_on_job(client, tokens, alice_private, method, route, auth) -> None:
    r = client.request(method, route.format(j=alice_private["job"]), headers=auth(tokens["bob"]))
    assert r.status_code == 404 and r.json()["error"]["message"]
    own = client.get(f"/api/jobs/{alice_private['job']}", headers=auth(tokens["alice"]))
    assert own.status_code == 200 and own.json()["status"] == "cancelled"


def test_lists_hold_only_the_callers_records(client, tokens, alice_private, auth) -> None:
    bob = auth(tokens["bob"])
    assert all(e["item_id"] for e in client.get("/api/history", headers=bob).json()["events"])
    assert not any(e["kind"] == "like" for e in client.get("/api/history", headers=bob).json()["events"])
    assert "purple cats" not in client.get("/api/chat", headers=bob).text
    assert alice_private["job"] not in client.get("/api/jobs", headers=bob).text
    assert "alice-secret" not in client.get("/api/uploads", headers=auth(tokens["carol"])).text
    for _ in range(3):
        assert "alice-secret" not in client.get("/api/feed?k=50", headers=bob).text
    alice = auth(tokens["alice"])
    assert "purple cats" in client.get("/api/chat", headers=alice).text
    assert any(e["kind"] == "like" for e in client.get("/api/history", headers=alice).json()["events"])


def test_events_and_chat_cannot_touch_a_private_item(client, tokens, alice_private, auth) -> None:
    bob = auth(tokens["bob"])
    r = client.post("/api/events", headers=bob, json={"events": [{"item_id": alice_private["item"], "kind": "like"}]})
    assert r.status_code == 404
    r = client.post("/api/chat", headers=bob,
                    json={"text": "hi", "events": [{"item_id": alice_private["item"], "kind": "click"}]})  # fmt: skip
    assert r.status_code == 404
    r = client.post(
        "/api/chat", headers=bob, json={"text": "make this shorter", "focus_item_id": alice_private["item"]}
    )
    assert r.status_code == 404 and not client.get("/api/jobs", headers=bob).json()["jobs"]
    assert "alice-secret" not in client.get("/api/history", headers=bob).text


def test_roles_guard_uploads_and_admin(client, tokens, auth) -> None:
    body = b"\x00" * 2000
    r = client.post("/api/uploads?title=x", headers={**auth(tokens["bob"]), "Content-Type": "video/mp4"}, content=body)
    assert r.status_code == 403 and "uploader" in r.json()["error"]["message"]
    for who in ("bob", "carol"):
        assert client.get("/api/admin/blocked", headers=auth(tokens[who])).status_code == 403
        assert client.post("/api/admin/users/bob/tokens", headers=auth(tokens[who])).status_code == 403
    assert client.get("/api/admin/blocked", headers=auth(tokens["root"])).status_code == 200


@pytest.mark.parametrize("method,route", [("GET", "/api/me"), ("GET", "/api/feed"), ("POST", "/api/events"),
                                          ("POST", "/api/chat"), ("GET", "/api/chat"), ("GET", "/api/history"),
                                          ("GET", "/api/jobs"), ("GET", "/api/items/x"), ("GET", "/api/items/x/media"),
                                          ("GET", "/api/uploads"), ("GET", "/api/admin/blocked")])  # fmt: skip
def test_anonymous_and_bad_tokens_get_401(client, method, route, auth) -> None:
    for headers in ({}, auth("not-a-real-token-at-all")):
        r = client.request(method, route, headers=headers, json={"text": "x"} if method == "POST" else None)
        assert r.status_code == 401, (route, r.text)
        assert r.headers["content-type"].startswith("application/json") and r.json()["error"]["message"]


def test_admin_audits_blocked_items_with_their_verdicts(system, client, tokens, auth) -> None:
    from generec.fidelity.base import Subject
    from generec.fidelity.policy import FidelityPolicy

    item = Item(id="blocked-1", title="All women are bad at maths", origin=Origin.AI,
                visibility=Visibility.PRIVATE, visible_to="alice")  # fmt: skip
    assert not FidelityPolicy.build(checks=["wording"]).check_and_record(Subject(item), system.store).passed
    blocked = client.get("/api/admin/blocked", headers=auth(tokens["root"])).json()["items"]
    entry = next(b for b in blocked if b["id"] == "blocked-1")
    assert entry["failed"] == ["wording"] and entry["verdicts"][0]["evidence"] and entry["requested_by"] == "alice"
    for route in ITEM_ROUTES:  # never shown, not even to the user it was made for
        assert client.get(route.format(i="blocked-1"), headers=auth(tokens["alice"])).status_code == 404
    assert "blocked-1" not in client.get("/api/feed?k=50", headers=auth(tokens["alice"])).text
