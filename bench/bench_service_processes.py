"""The service as several processes on one PostgreSQL store: 2 API processes, 2 workers, kill -9 mid-run.

    python bench/bench_service_processes.py --users 50 --seconds 60
    python bench/bench_service_processes.py --store-url postgresql://user@host/db --home H   # a real server

Builds a small world (100 users, 200 items) into a temporary home and loads it into PostgreSQL (a
throw-away cluster from ``tests/pg_cluster.py`` with fsync off unless ``--store-url`` is given),
starts two API processes (``create_app(start_workers=False)``, as ``generec serve --api-only``
runs, with the instructor warmed first, as ``bench_service.py`` does) and two ``generec worker``
processes, then lets ``--users`` simulated viewers (``bench_service.py``'s ``viewer``) use them,
half on each API process. Halfway, one API process and one worker get SIGKILL; the viewers of the
dead API process move to the other one, as a load balancer would move them (each move is counted).

Prints latencies as ``bench_service.py`` does, then what was lost: events acknowledged by the
service (``{"stored": n}`` answers) against events found in the store, and the jobs by status and
attempt (a job the killed worker held runs again, once) before the kill and at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_service as bs
from service_client import Conn, Run

API = """
import sys, uvicorn
from generec.config import Settings
from generec.pipeline import GeneRec
from generec.service.app import create_app
s = Settings(home=sys.argv[1], store={"url": sys.argv[3]}, service={"rate_per_s": 50, "rate_burst": 100})
gr = GeneRec.from_config(s)
getattr(gr.instructor, "warm", lambda: None)()
uvicorn.run(create_app(gr, start_workers=False, warm_instructor=False), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning")
"""
LEASE_S = "10"  # a killed worker's job is taken over within this


class Moving(Conn):
    """A viewer's connection that moves to the next API process when its own is gone (a load balancer's job)."""

    def __init__(self, ports: list[int], first: int, token: str, tally: dict) -> None:
        super().__init__(ports[first], token)
        self.ports, self.tally = ports, tally

    async def request(self, method: str, path: str, body: object = None, headers: str = ""):
        try:
            status, data = await super().request(method, path, body, headers)
        except (OSError, asyncio.IncompleteReadError):
            self.tally["moved"] += 1
            self.port = self.ports[(self.ports.index(self.port) + 1) % len(self.ports)]
            status, data = await super().request(method, path, body, headers)
        if path == "/api/events" and status == 200:
            self.tally["acknowledged"] += json.loads(data)["stored"]
        return status, data


async def viewer(run: Run, ports: list[int], n: int, token: str, seed: int, delay: float, tally: dict) -> None:
    await asyncio.sleep(delay)
    conn = Moving(ports, n % len(ports), token, tally)
    try:
        await bs.viewer(run, conn, random.Random(seed))
    finally:
        conn.close()


async def prober(run: Run, ports: list[int], tally: dict) -> None:
    conn = Moving(ports, 1, "none", tally)  # the API process that stays up: the baseline
    while run.live:
        await run.call(conn, "health", "GET", "/api/health")
        await asyncio.sleep(0.5)
    conn.close()


async def killer(run: Run, victims: list[subprocess.Popen], at: float, snapshot) -> None:  # noqa: ANN001
    await asyncio.sleep(at)
    snapshot("before the kill")
    for proc in victims:
        os.kill(proc.pid, signal.SIGKILL)
    print(f"killed (SIGKILL) API process {victims[0].pid} and worker {victims[1].pid} at t={at:.0f} s", flush=True)


def jobs_summary(store) -> str:  # noqa: ANN001
    jobs = store.list_jobs(limit=None)
    by = {}
    for j in jobs:
        key = f"{j.status.value}" + (f" (attempt {j.attempts})" if j.attempts > 1 else "")
        by[key] = by.get(key, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(by.items())) or "none"


def start(cmd: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)


def run_bench(args: argparse.Namespace, url: str, home: Path) -> None:
    from generec.config import Settings
    from generec.store import Store

    os.environ["GENEREC_STORE__URL"] = url  # bench_service.prepare opens the store from the settings
    tokens = bs.prepare(home, args.users, build_tiny=False)
    env = {**os.environ, "GENEREC_SERVICE__JOB_LEASE_S": LEASE_S}
    ports = [bs.free_port(), bs.free_port()]
    apis = [start([sys.executable, "-c", API, str(home), str(p), url], env) for p in ports]
    workers = [start([sys.executable, "-m", "generec", "worker", "--home", str(home), "--store-url", url,
                      "--workers", "1"], env) for _ in range(2)]  # fmt: skip
    procs = apis + workers
    store = Store.open(Settings(home=home, store={"url": url}))
    try:
        import httpx

        for p in ports:
            deadline = time.monotonic() + 600
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{p}/api/health", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("an API process did not start")
                time.sleep(0.5)
        events_at_start = store.counts()["events"]

        def snapshot(when: str) -> None:
            c = store.counts()
            print(f"{when}: events stored {c['events'] - events_at_start} (acknowledged {tally['acknowledged']}); "
                  f"jobs {jobs_summary(store)}", flush=True)  # fmt: skip

        tally = {"moved": 0, "acknowledged": 0}
        load = os.getloadavg()
        run = Run(ports[1], args.seconds, args.max_requests, 1.0, args.chat)
        rng = random.Random(args.seed)

        async def drive() -> float:
            users = [viewer(run, ports, n, t, args.seed * 1000 + n, rng.uniform(0, args.ramp), tally)
                     for n, t in enumerate(tokens)]  # fmt: skip
            await asyncio.gather(*users, prober(run, ports, tally),
                                 killer(run, [apis[0], workers[0]], args.seconds / 2, snapshot))  # fmt: skip
            return time.monotonic() - run.started

        elapsed = asyncio.run(drive())
        bs.report(run, elapsed, args, None, load)
        print(f"viewers moved to the other API process after the kill: {tally['moved']} reconnects")
        deadline = time.monotonic() + float(LEASE_S) * 3 + 60
        while any(not j.is_finished for j in store.list_jobs(limit=None)) and time.monotonic() < deadline:
            time.sleep(1)  # the killed worker's job comes back after its lease
        snapshot("at the end")
        stored = store.counts()["events"] - events_at_start
        lost = max(0, tally["acknowledged"] - stored)
        print(f"acknowledged events lost: {lost}; jobs still unfinished: "
              f"{sum(not j.is_finished for j in store.list_jobs(limit=None))}")  # fmt: skip
    finally:
        store.close()
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store-url", help="a PostgreSQL store to use (default: a throw-away test cluster)")
    ap.add_argument("--home", type=Path, help="a home holding the world's media (with --store-url)")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--ramp", type=float, default=5.0)
    ap.add_argument("--chat", type=float, default=0.03)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-requests", type=int, default=100_000)
    args = ap.parse_args()
    args.behaviour, args.time_scale = "viewer", 1.0  # for bench_service.report
    print(f"load average at start: {os.getloadavg()}", flush=True)
    if args.store_url:
        if args.home is None:
            raise SystemExit("--store-url needs --home (the media directory the processes share)")
        run_bench(args, args.store_url, args.home)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from generec.data.sim import World
    from generec.store import MediaStore, Store
    from pg_cluster import PostgresCluster

    cluster = PostgresCluster.start()
    try:
        url = cluster.create_database("bench")
        with tempfile.TemporaryDirectory(prefix="generec-procs-") as tmp:
            home = Path(tmp)
            world = World.build(home / "world", users=100, items=200, seed=0, progress=False, overwrite=True)
            with Store.open(url) as store:
                store.load_dataset(world.dataset(), MediaStore(home / "media"), progress=False)
            run_bench(args, url, home)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
