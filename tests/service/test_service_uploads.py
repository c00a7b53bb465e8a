"""Uploads by uploaders: validated with generec.media, size-limited, with an AI-edited version offered back."""

from __future__ import annotations

import time

import numpy as np

from generec.media import write_video
from generec.store import Job
from generec.types import JobStatus


def _video(path) -> bytes:
    rng = np.random.default_rng(0)
    frames = [np.clip(rng.normal(128, 60, (96, 96, 3)), 0, 255).astype(np.uint8) for _ in range(24)]
    write_video(frames, path, fps=12)
    return path.read_bytes()


def test_uploader_uploads_and_gets_an_edit_offered(client, tokens, auth, tmp_path) -> None:
    h = {**auth(tokens["carol"]), "Content-Type": "video/mp4"}
    r = client.post("/api/uploads?title=My%20first%20clip&caption=noise", headers=h, content=_video(tmp_path / "a.mp4"))
    assert r.status_code == 200, r.text
    body = r.json()
    item = body["item"]
    assert item["uploader_id"] == "carol" and not item["ai_generated"] and item["thumbnail_url"]
    assert body["offered_job"] and body["offered_job"]["item_id"] == item["id"]
    media = client.get(item["media_url"], headers=auth(tokens["bob"]))  # a public upload: anyone may watch
    assert media.status_code == 200 and media.content == (tmp_path / "a.mp4").read_bytes()
    deadline = time.monotonic() + 120
    while not (job := client.get(f"/api/jobs/{body['offered_job']['id']}", headers=h).json())["finished"]:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    uploads = client.get("/api/uploads", headers=h).json()["uploads"]
    mine = next(u for u in uploads if u["id"] == item["id"])
    if job["message"] == "ready":
        assert [v["id"] for v in mine["versions"]] == [job["result_item_id"]]
        why = client.get(f"/api/items/{job['result_item_id']}/why", headers=h).json()
        assert why["provenance"]["authorship"] == "uploader" and why["provenance"]["author_id"] == "carol"
    else:
        assert mine["versions"] == []  # held back by a check: never offered


def test_bad_uploads_are_refused_with_a_reason(client, tokens, auth) -> None:
    h = auth(tokens["carol"])
    r = client.post("/api/uploads?title=x", headers={**h, "Content-Type": "video/mp4"}, content=b"not a video" * 200)
    assert r.status_code == 422 and r.json()["error"]["message"]
    r = client.post("/api/uploads?title=x", headers={**h, "Content-Type": "text/plain"}, content=b"hello" * 300)
    assert r.status_code == 415 and "video/mp4" in r.json()["error"]["message"]
    r = client.post("/api/uploads?title=x", headers={**h, "Content-Type": "video/mp4"}, content=b"")
    assert r.status_code == 422 and "empty" in r.json()["error"]["message"]
    r = client.post("/api/uploads?title=%20", headers={**h, "Content-Type": "video/mp4"}, content=b"x" * 2000)
    assert r.status_code == 422


def test_startup_recovery_logs_what_it_found_and_what_it_did(system, caplog) -> None:
    from generec.service.workers import WorkerPool

    job: Job = system.store.create_job("edit_logged", {"task": "none"}, user_id="bob")
    assert system.store.claim_job("dead-worker", kinds=["edit_logged"]).id == job.id
    with caplog.at_level("WARNING", logger="generec.service.workers"):
        WorkerPool(system, workers=0).recover()
    line = next(r.getMessage() for r in caplog.records if job.id in r.getMessage())
    assert "left running" in line and "re-queued" in line and "left queued" not in line, line
    system.store.cancel_job(job.id)


def test_startup_recovery_fails_a_job_out_of_attempts_with_the_reason(system) -> None:
    from generec.service.workers import WorkerPool

    # a kind no worker of the shared app claims, so only this test moves the job
    job: Job = system.store.create_job("edit_never", {"task": "none"}, user_id="bob")
    for attempt in range(system.settings.service.max_job_attempts):
        claimed = system.store.claim_job(f"dead-{attempt}", kinds=["edit_never"])
        assert claimed is not None and claimed.id == job.id
        if attempt < system.settings.service.max_job_attempts - 1:
            WorkerPool(system, workers=0).recover()  # "restart": re-queued
            assert system.store.get_job(job.id).status is JobStatus.QUEUED
    recovered = WorkerPool(system, workers=0).recover()
    failed = next(j for j in recovered if j.id == job.id)
    assert failed.status is JobStatus.FAILED and "stopped during attempt" in failed.error
