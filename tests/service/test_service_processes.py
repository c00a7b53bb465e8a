"""The service as several processes on one PostgreSQL store and one media directory.

``generec serve --api-only`` answers requests and runs no job; ``generec worker`` processes run the
jobs. Each job is run by exactly one worker, and a job whose worker is killed is finished by another.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from generec.config import Settings
from generec.data.sim import World
from generec.pipeline import GeneRec
from generec.pipeline_parts import Decision
from generec.store import MediaStore, Store
from generec.types import Guidance, JobStatus, User

GENEREC = [sys.executable, "-m", "generec"]
LEASE_S = 3.0  # short, so that the killed worker's job is taken over within seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _shared_home(template_home: Path, tmp_path: Path, url: str) -> Settings:
    home = tmp_path / "shared-home"
    with Store.open(url) as store:
        store.load_dataset(World.load(template_home / "world").dataset(), MediaStore(home / "media"), progress=False)
        store.add_users([User(id="alice"), User(id="bob")])
    return Settings(home=home, store={"url": url}, service={"max_jobs_per_user": 10})


def _wait_for(predicate, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


@pytest.mark.slow
def test_api_processes_and_worker_processes_share_one_postgresql_store(template_home, tmp_path, postgres_cluster):
    url = postgres_cluster.create_database("service_processes")
    settings = _shared_home(template_home, tmp_path, url)
    common = ["--home", str(settings.home), "--store-url", url]
    port = _free_port()
    env = {**os.environ, "GENEREC_SERVICE__JOB_LEASE_S": str(LEASE_S)}
    procs: list[subprocess.Popen] = []
    try:
        api = subprocess.Popen([*GENEREC, "serve", "--api-only", "--port", str(port), *common],
                               stdout=subprocess.DEVNULL, env=env)  # fmt: skip
        procs.append(api)
        generec = GeneRec.from_config(settings)
        items = [i.id for i in generec.store.list_items(viewer="alice", limit=4)]
        decisions = [Decision("edit_clip", "", "edit", "clipping", i, Guidance(length_s=1.0)) for i in items]
        jobs = [generec.enqueue(user, d) for user in ("alice", "bob") for d in decisions]
        token = generec.store.create_token("alice")
        base = f"http://127.0.0.1:{port}"
        _wait_for(lambda: _healthy(base), 120, "the API process")
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            time.sleep(1.0)  # the API process runs no worker: alice's jobs stay queued
            assert {c.get(f"/api/jobs/{j.id}").json()["status"] for j in jobs[:4]} == {"queued"}
            for _ in range(2):
                procs.append(subprocess.Popen([*GENEREC, "worker", "--workers", "1", *common],
                                              stdout=subprocess.DEVNULL, env=env))  # fmt: skip
            # Kill the worker process that holds the first running job; the other finishes everything.
            _wait_for(lambda: generec.store.list_jobs(status="running"), 180, "a worker to start a job")
            holder = int(generec.store.list_jobs(status="running")[0].worker_id.split("-")[0])  # "<pid>-..."
            victim = next(p for p in procs[1:] if p.pid == holder)
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait(10)
            _wait_for(lambda: all(generec.store.get_job(j.id).is_finished for j in jobs), 300, "every job to finish")
            statuses = {c.get(f"/api/jobs/{j.id}").json()["status"] for j in jobs[:4]}  # as the API sees them
        done = [generec.store.get_job(j.id) for j in jobs]
        assert statuses == {"done"} and {j.status for j in done} == {JobStatus.DONE}
        # Each job ran to the end once: one attempt, or two for a job the killed worker held.
        # Each job finished once; the one the killed worker held (unless it finished just before the kill)
        # was taken over by the surviving worker, on a second attempt.
        assert sum(j.attempts for j in done) in (len(jobs), len(jobs) + 1)
        survivor = next(str(p.pid) for p in procs[1:] if p is not victim)
        assert all(j.worker_id.split("-")[0] == survivor for j in done if j.attempts == 2)
        assert all(generec.store.get_item(j.result_item_id, system=True) for j in done)
        generec.close()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
