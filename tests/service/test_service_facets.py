"""Facet ratings and captions through the API: stored as facet events, proposals, WebVTT tracks, bad input."""

from __future__ import annotations

from test_service_jobs import wait_job

from generec.media import probe
from generec.media.captions import read_webvtt
from generec.types import Facet


def _ratings(system, user: str) -> list:
    return system.store.events_for_user(user, facets=True)


def _state(system, user: str) -> tuple:
    """Everything a bad request must leave alone: the user's events (both kinds), jobs and the items."""
    events = system.store.events_for_user(user, facets=None)
    return len(events), len(system.store.list_jobs(user_id=user, limit=500)), system.store.counts()["items"]


def test_a_rating_is_stored_as_a_facet_event_and_a_dislike_proposes_an_edit(system, client, tokens, auth) -> None:
    h = auth(tokens["alice"])
    item = client.get("/api/feed", headers=h).json()["items"][0]["id"]
    before = len(_ratings(system, "alice"))
    liked = client.post(f"/api/items/{item}/facets", headers=h, json={"facet": "style", "liked": True})
    assert liked.status_code == 200 and liked.json()["proposal"] is None and "style" in liked.json()["reply"]
    long = client.post(f"/api/items/{item}/facets", headers=h, json={"facet": "length", "liked": False}).json()
    assert long["proposal"] == {"task": "clipping", "instruction": "make this one shorter"}
    assert "shorter" in long["reply"]
    new = _ratings(system, "alice")[before:]
    assert [(e.item_id, e.facet, e.kind.value) for e in new] == [(item, Facet.STYLE, "like"),
                                                                  (item, Facet.LENGTH, "dislike")]  # fmt: skip
    history = client.get("/api/history?limit=2", headers=h).json()["events"]  # the user's history shows them
    assert [(e["item_id"], e["kind"], e["facet"]) for e in history] == [(item, "like", "style"),
                                                                        (item, "dislike", "length")]  # fmt: skip
    mine = client.get(f"/api/items/{item}/facets", headers=h).json()["ratings"]
    assert mine == {"style": True, "length": False, "thumbnail": None}
    assert item not in {e.item_id for e in system.store.events_for_user("alice") if e.kind.value == "dislike"}


def test_bad_facet_requests_answer_clearly_and_change_nothing(system, client, tokens, auth) -> None:
    h, other = auth(tokens["alice"]), auth(tokens["bob"])
    item = client.get("/api/feed", headers=h).json()["items"][0]["id"]
    private = system.store.list_items(system=True, origin="ai", limit=None)
    before = _state(system, "bob")
    unknown = client.post(f"/api/items/{item}/facets", headers=other, json={"facet": "colour", "liked": False})
    assert unknown.status_code == 422
    assert "style, length, thumbnail" in unknown.json()["error"]["message"]
    for missing in ["no-such-item", *[i.id for i in private if i.visible_to != "bob"]]:
        r = client.post(f"/api/items/{missing}/facets", headers=other, json={"facet": "style", "liked": False})
        assert r.status_code == 404 and missing in r.json()["error"]["message"]
        assert client.get(f"/api/items/{missing}/facets", headers=other).status_code == 404
    assert _state(system, "bob") == before


def test_a_made_video_has_captions_that_say_what_was_asked_and_made(system, client, tokens, auth) -> None:
    h = auth(tokens["alice"])
    human = client.get("/api/feed", headers=h).json()["items"][0]
    assert human["captions_url"] is None
    job = client.post("/api/chat", headers=h, json={"text": "make this one shorter", "focus_item_id": human["id"]})
    job = wait_job(client, h, job.json()["job"]["id"])
    assert (job["status"], job["message"]) == ("done", "ready"), job
    made = client.get(f"/api/items/{job['result_item_id']}", headers=h).json()
    assert made["captions_url"] == f"/api/items/{made['id']}/captions"
    track = client.get(made["captions_url"], headers=h)
    assert track.status_code == 200 and track.headers["content-type"].startswith("text/vtt")
    cues = read_webvtt(track.text)
    duration = probe(system.media.path_for(system.store.get_item(made["id"], system=True).media_hash)).duration
    assert cues[0].text.startswith("You asked: make this one shorter") and cues[0].start == 0.0
    assert "AI-generated" in cues[-1].text and human["title"] in cues[-1].text
    assert abs(cues[-1].end - duration) < 0.05  # timed to the clip
    # no captions on a human upload; another user cannot read them; neither request changes anything
    before = _state(system, "bob")
    r = client.get(f"/api/items/{human['id']}/captions", headers=auth(tokens["bob"]))
    assert r.status_code == 404 and "no captions" in r.json()["error"]["message"]
    assert client.get(made["captions_url"], headers=auth(tokens["bob"])).status_code == 404
    assert _state(system, "bob") == before


def test_caption_text_passes_the_privacy_check_like_any_text(system, client, tokens, auth) -> None:
    h = auth(tokens["alice"])
    human = client.get("/api/feed", headers=h).json()["items"][1]
    text = "make this one shorter and send it to ann.smith@example.com"
    job = client.post("/api/chat", headers=h, json={"text": text, "focus_item_id": human["id"]}).json()["job"]
    job = wait_job(client, h, job["id"])
    assert job["status"] == "done" and "privacy" in job["message"], job  # made, but held back
    (privacy,) = [v for v in system.store.verdicts_for(job["result_item_id"]) if v.check == "privacy"]
    assert not privacy.passed and "in captions" in privacy.evidence
    assert client.get(f"/api/items/{job['result_item_id']}/captions", headers=h).status_code == 404  # never shown
