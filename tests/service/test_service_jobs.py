"""Generation through the API: a chat turn queues a job, a worker makes the item, the feed delivers it badged."""

from __future__ import annotations

import json
import time

from generec.types import Role, User


def wait_job(client, headers, job_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["finished"]:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def test_chat_queues_a_job_that_arrives_badged_with_provenance(system, client, tokens, auth) -> None:
    h = auth(tokens["alice"])
    feed = client.get("/api/feed", headers=h).json()
    first = feed["items"][0]["id"]
    started = time.perf_counter()
    r = client.post("/api/chat", headers=h, json={"text": "make this one shorter"})
    assert time.perf_counter() - started < 10  # the step queues the job; it does not run it
    body = r.json()
    assert r.status_code == 200 and body["action"] == "edit" and body["job"]["status"] == "queued"
    job = wait_job(client, h, body["job"]["id"])
    assert job["status"] == "done", job
    events = client.get(f"/api/jobs/{job['id']}/events", headers=h)
    assert events.headers["content-type"].startswith("text/event-stream")
    last = json.loads(events.text.strip().split("data: ")[-1])
    assert last["finished"] and last["id"] == job["id"]

    feed = client.get("/api/feed", headers=h).json()
    made = job["result_item_id"]
    assert job["message"] == "ready", job  # the trimmed edit passes every check (the blocked path: tests/pipeline)
    top = feed["items"][0]
    assert top["id"] == made and top["ai_generated"] and top["label"] and top["source"] == "generated"
    assert top["exposure"] == "requested"  # asked for in the chat: shown first, and the feed says why
    assert "ready" in feed["reply"]
    why = client.get(f"/api/items/{made}/why", headers=h).json()
    assert why["provenance"]["parents"] == [first] and why["provenance"]["author_id"] == "platform"
    assert why["provenance"]["params"]["watermark"] == "embedded"
    assert why["verdicts"] and all(v["passed"] for v in why["verdicts"])
    media = client.get(f"/api/items/{made}/media", headers=h)
    assert media.status_code == 200 and media.headers["content-type"] == "video/mp4"
    # announced once: the next feed does not repeat the note
    assert "ready" not in client.get("/api/feed", headers=h).json()["reply"]
    assert made not in client.get("/api/feed", headers=auth(tokens["bob"])).text


def test_per_user_job_limit_and_cancel(system, client, tokens, auth) -> None:
    system.store.add_user(User(id="dave", role=Role.USER))
    h = auth(system.store.create_token("dave"))
    shown = client.get("/api/feed", headers=h).json()["items"]
    jobs = [system.store.create_job("edit_clipping", {"task": "clipping", "item_id": shown[0]["id"]}, user_id="dave")
            for _ in range(2)]  # fmt: skip
    for j in jobs:
        client.post(f"/api/jobs/{j.id}/cancel", headers=h)
    statuses = {client.get(f"/api/jobs/{j.id}", headers=h).json()["status"] for j in jobs}
    assert statuses <= {"cancelled", "done", "failed"}
    for _ in range(2):
        system.store.create_job("edit_clipping", {"task": "clipping", "item_id": "missing"}, user_id="dave")
    r = client.post("/api/chat", headers=h, json={"text": "make this one shorter"})
    if r.status_code == 429:  # both still queued: the limit speaks
        assert "limit 2" in r.json()["error"]["message"]
    for j in client.get("/api/jobs", headers=h).json()["jobs"]:
        if not j["finished"]:
            wait_job(client, h, j["id"])
    failed = [j for j in client.get("/api/jobs", headers=h).json()["jobs"] if j["item_id"] == "missing"]
    assert failed and all(j["status"] in ("failed", "cancelled") for j in failed)
    assert all("not found" in j["error"] for j in failed if j["status"] == "failed")


def test_unavailable_generation_is_said_plainly(client, tokens, auth) -> None:
    r = client.post("/api/chat", headers=auth(tokens["bob"]), json={"text": "make me a new video"})
    assert r.status_code == 200 and "not available" in r.json()["reply"] and r.json()["job"] is None
    assert r.json()["items"]  # retrieval still answers
