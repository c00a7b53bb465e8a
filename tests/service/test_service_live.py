"""The real service in its own process on 127.0.0.1: HTTP ranges, JSON errors, and a SIGKILL mid-job."""

from __future__ import annotations

import os
import shutil
import signal
import time

import httpx
import pytest

from generec.config import Settings
from generec.store import Store
from generec.types import JobStatus


def _home_with_token(template_home, tmp_path) -> tuple:
    home = tmp_path / "home"
    shutil.copytree(template_home, home, ignore=shutil.ignore_patterns("world"))
    with Store.open(Settings(home=home)) as store:
        token = store.create_token("alice")
    return home, {"Authorization": f"Bearer {token}"}


@pytest.mark.slow
def test_real_server_ranges_and_errors(template_home, tmp_path, live_server) -> None:
    home, h = _home_with_token(template_home, tmp_path)
    _, base = live_server(home)
    with httpx.Client(base_url=base, headers=h, timeout=30) as c:
        item = c.get("/api/feed").json()["items"][0]
        size = len(c.get(item["media_url"]).content)
        r = c.get(item["media_url"], headers={"Range": "bytes=10-29"})
        assert r.status_code == 206 and len(r.content) == 20 and r.headers["content-range"] == f"bytes 10-29/{size}"
        r = c.get(item["media_url"], headers={"Range": f"bytes={size + 5}-"})
        assert r.status_code == 416 and r.json()["error"]["message"]
        r = c.get("/api/nowhere")
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
        assert httpx.get(f"{base}/api/me", timeout=10).status_code == 401


@pytest.mark.slow
def test_sigkill_mid_job_loses_no_event_and_no_job(template_home, tmp_path, live_server) -> None:
    home, h = _home_with_token(template_home, tmp_path)
    proc, base = live_server(home, slow_s=30.0)
    with httpx.Client(base_url=base, headers=h, timeout=30) as c:
        item = c.get("/api/feed").json()["items"][0]
        assert c.post("/api/events", json={"events": [{"item_id": item["id"], "kind": "like"}]}).status_code == 200
        job = c.post("/api/chat", json={"text": "make this one shorter"}).json()["job"]
        deadline = time.monotonic() + 60
        while c.get(f"/api/jobs/{job['id']}").json()["status"] != "running":
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)

    with Store.open(Settings(home=home)) as store:  # what the dead server left behind
        assert store.get_job(job["id"]).status is JobStatus.RUNNING
        assert any(e.kind == "like" and e.item_id == item["id"] for e in store.events_for_user("alice"))

    _, base = live_server(home)  # restart: the job is re-queued and finished
    with httpx.Client(base_url=base, headers=h, timeout=30) as c:
        deadline = time.monotonic() + 300  # the checks load models: minutes on a 2-core machine others share
        while not (state := c.get(f"/api/jobs/{job['id']}").json())["finished"]:
            assert time.monotonic() < deadline, state
            time.sleep(0.3)
        assert state["status"] == "done" and state["attempts"] == 2, state
        history = c.get("/api/history").json()["events"]
        assert any(e["kind"] == "like" and e["item_id"] == item["id"] for e in history)
        assert c.get("/api/feed").json()["items"][0]["id"] == state["result_item_id"]
