"""Generation jobs: lifecycle, atomic claiming, leases and recovery after a restart."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from generec.errors import NotFoundError, StoreError
from generec.store import Store
from generec.types import Item, JobStatus, Origin


def test_job_lifecycle(populated: Store, clock) -> None:
    job = populated.create_job("create_video", {"prompt": "a red car"}, user_id="u1")
    assert job.status is JobStatus.QUEUED and job.progress == 0.0 and job.attempts == 0
    claimed = populated.claim_job("w1", lease_s=30)
    assert claimed is not None and claimed.id == job.id
    assert claimed.status is JobStatus.RUNNING and claimed.worker_id == "w1" and claimed.attempts == 1
    assert claimed.lease_expires_at == clock.now + 30
    clock.advance(10)
    update = populated.update_job(job.id, progress=0.5, message="denoising", worker_id="w1")
    assert (update.progress, update.message, update.lease_expires_at) == (0.5, "denoising", clock.now + 30)
    populated.add_item(Item(id="gen1", origin=Origin.AI))
    done = populated.finish_job(job.id, result_item_id="gen1", worker_id="w1")
    assert done.status is JobStatus.DONE and done.progress == 1.0 and done.result_item_id == "gen1"
    assert done.is_finished and done.finished_at == clock.now
    assert populated.get_job(job.id) == done
    assert populated.claim_job("w1") is None


def test_job_failure_paths(populated: Store) -> None:
    with pytest.raises(NotFoundError):
        populated.create_job("create_video", user_id="ghost")
    with pytest.raises(StoreError, match="needs a kind"):
        populated.create_job("")
    with pytest.raises(NotFoundError):
        populated.get_job("nope")
    job = populated.create_job("edit")
    with pytest.raises(StoreError, match="not running"):
        populated.update_job(job.id, progress=0.1)
    populated.claim_job("w1")
    with pytest.raises(StoreError, match="between 0 and 1"):
        populated.update_job(job.id, progress=1.5)
    with pytest.raises(StoreError, match="belongs to worker 'w1'"):
        populated.update_job(job.id, progress=0.1, worker_id="w2")
    with pytest.raises(NotFoundError, match="result item"):
        populated.finish_job(job.id, result_item_id="missing")
    failed = populated.fail_job(job.id, "out of memory")
    assert failed.status is JobStatus.FAILED and failed.error == "out of memory"
    with pytest.raises(StoreError, match="already failed"):
        populated.cancel_job(job.id)


def test_cancel_and_list(populated: Store, clock) -> None:
    a = populated.create_job("edit", user_id="u1")
    clock.advance(1)
    b = populated.create_job("create_image", user_id="u1")
    clock.advance(1)
    populated.create_job("edit", user_id="u2")
    assert populated.cancel_job(a.id).status is JobStatus.CANCELLED
    assert [j.id for j in populated.jobs_for_user("u1")] == [b.id, a.id]  # newest first
    assert [j.id for j in populated.jobs_for_user("u1", status="queued")] == [b.id]
    assert len(populated.list_jobs(kind="edit")) == 2
    with pytest.raises(NotFoundError):
        populated.jobs_for_user("ghost")
    claimed = populated.claim_job("w", kinds=["create_image"])
    assert claimed is not None and claimed.id == b.id
    populated.cancel_job(b.id)
    with pytest.raises(StoreError, match="not running"):
        populated.finish_job(b.id, worker_id="w")  # the worker learns that its job was cancelled


def test_recover_requeues_expired_leases_then_gives_up(populated: Store, clock) -> None:
    job = populated.create_job("create_video")
    populated.claim_job("w1", lease_s=30)
    clock.advance(10)
    assert populated.recover_jobs() == []  # lease still live
    clock.advance(30)
    [requeued] = populated.recover_jobs(max_attempts=2)
    assert requeued.status is JobStatus.QUEUED and requeued.worker_id is None and "w1" in requeued.message
    again = populated.claim_job("w2", lease_s=30)
    assert again is not None and again.attempts == 2
    clock.advance(31)
    [gave_up] = populated.recover_jobs(max_attempts=2)
    assert gave_up.status is JobStatus.FAILED and "gave up" in (gave_up.error or "")
    assert populated.get_job(job.id).status is JobStatus.FAILED


def test_recover_all_running_after_restart(store_url: str, clock) -> None:
    with Store.open(store_url, clock=clock) as store:
        job = store.create_job("edit")
        store.claim_job("w1", lease_s=3600)
    with Store.open(store_url, clock=clock) as store:  # "restart": the one worker process is gone
        assert store.recover_jobs() == []
        [recovered] = store.recover_jobs(all_running=True)
        assert recovered.id == job.id and recovered.status is JobStatus.QUEUED


def test_concurrent_workers_never_share_a_job(store_url: str) -> None:
    with Store.open(store_url) as store:
        ids = {store.create_job("edit", {"n": i}).id for i in range(40)}
    claimed: list[tuple[str, str]] = []
    lock = threading.Lock()

    shared = Store.open(store_url)  # one store used by several threads, as the service does

    def work(store: Store, name: str) -> None:
        while (job := store.claim_job(name)) is not None:
            with lock:
                claimed.append((job.id, name))
            store.update_job(job.id, progress=0.5, worker_id=name)
            store.finish_job(job.id, worker_id=name)

    def worker(name: str) -> None:
        if name in ("w0", "w1"):
            work(shared, name)
        else:
            with Store.open(store_url) as mine:  # its own engine and connections, like another process
                work(mine, name)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    shared.close()
    got = [job_id for job_id, _ in claimed]
    assert sorted(got) == sorted(ids)  # every job once, none twice
    with Store.open(store_url) as store:
        assert store.counts()["jobs_done"] == 40


# A worker process: claims jobs until the queue is empty, finishes each, prints the ids it got.
_WORKER = """
import sys
from generec.store import Store
with Store.open(sys.argv[1]) as store:
    while (job := store.claim_job(sys.argv[2], lease_s=30)) is not None:
        store.finish_job(job.id, worker_id=sys.argv[2])
        print(job.id, flush=True)
"""

# Claims one job with a short lease, says so, then hangs (until killed) without heartbeats.
_STALLED = """
import sys, time
from generec.store import Store
store = Store.open(sys.argv[1])
job = store.claim_job("stalled", lease_s=float(sys.argv[2]))
print(job.id, flush=True)
time.sleep(600)
"""

# After a recovery pass, claims one job and prints its id and attempt number.
_RESCUER = """
import sys
from generec.store import Store
with Store.open(sys.argv[1]) as store:
    store.recover_jobs(max_attempts=3)
    job = store.claim_job("rescuer")
    print(job.id if job else "none", job.attempts if job else 0, flush=True)
"""


def test_worker_processes_each_get_every_job_exactly_once(store_url: str) -> None:
    with Store.open(store_url) as store:
        ids = {store.create_job("edit", {"n": i}).id for i in range(60)}
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, store_url, f"p{n}"], stdout=subprocess.PIPE, text=True)
        for n in range(3)
    ]
    outputs = [p.communicate(timeout=180)[0].split() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    got = [job_id for out in outputs for job_id in out]
    assert sorted(got) == sorted(ids)  # each job handed out once, across processes
    with Store.open(store_url) as store:
        assert store.counts()["jobs_done"] == 60


def test_a_killed_workers_lease_expires_and_another_process_takes_the_job(store_url: str) -> None:
    with Store.open(store_url) as store:
        job = store.create_job("edit")
    lease_s = 3.0
    stalled = subprocess.Popen([sys.executable, "-c", _STALLED, store_url, str(lease_s)], stdout=subprocess.PIPE,
                               text=True)  # fmt: skip
    try:
        assert stalled.stdout.readline().strip() == job.id
        claimed_at = time.time()
    finally:
        stalled.kill()  # SIGKILL: no clean-up, the job stays "running" with its lease
        stalled.wait(timeout=30)
    with Store.open(store_url) as store:  # still inside the lease: nobody else may take the job
        assert store.recover_jobs() == [] and store.claim_job("early") is None
    assert time.time() - claimed_at < lease_s  # (else the check above proved nothing)
    time.sleep(max(0.0, lease_s + 0.2 - (time.time() - claimed_at)))
    out = subprocess.run([sys.executable, "-c", _RESCUER, store_url], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [job.id, "2"]  # re-queued and claimed by another process, second attempt
    with Store.open(store_url) as store:
        assert store.get_job(job.id).worker_id == "rescuer"
