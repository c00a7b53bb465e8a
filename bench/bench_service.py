"""Bounded load test of the GeneRec service on loopback: N simulated users for T seconds.

Starts the real service (uvicorn, its own process) on 127.0.0.1 on a home that holds a world
(``generec demo`` makes one; ``--build-tiny`` builds a small world into a fresh temporary home),
creates ``bench-NNN`` users with tokens, and lets each user loop: read the feed, report an
impression and a like/skip, seek into a video (HTTP range). Prints p50/p95 latency and error
counts per request kind, next to ``/api/health`` (the service's floor) as the baseline.

    python bench/bench_service.py --build-tiny --users 50 --seconds 60
    python bench/bench_service.py --home ~/.generec --users 50 --seconds 60

Only ever targets 127.0.0.1. Bounded: at most ``--max-requests`` requests and ``--seconds`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import numpy as np

SERVER = """
import sys, uvicorn
from generec.config import Settings
from generec.pipeline import GeneRec
from generec.service.app import create_app
s = Settings(home=sys.argv[1], service={"workers": 1, "rate_per_s": 50, "rate_burst": 100})
app = create_app(GeneRec.from_config(s), warm_instructor=False)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(home: Path, users: int, build_tiny: bool) -> list[str]:
    from generec.config import Settings
    from generec.store import MediaStore, Store
    from generec.types import User

    if build_tiny:
        from generec.data.sim import World

        world = World.build(home / "world", users=100, items=200, seed=0, progress=True, overwrite=True)
        with Store.open(Settings(home=home)) as store:
            store.load_dataset(world.dataset(), MediaStore(home / "media"), progress=True)
    with Store.open(Settings(home=home)) as store:
        if store.counts()["items"] == 0:
            sys.exit(f"{home} holds no items: run `generec demo --home {home}` or pass --build-tiny")
        tag = f"bench-{int(time.time())}"
        store.add_users([User(id=f"{tag}-{n:03d}", name="bench") for n in range(users)])
        return [store.create_token(f"{tag}-{n:03d}", label="bench", ttl_s=3600) for n in range(users)]


async def user_loop(base: str, token: str, stop_at: float, budget: list[int], lat: dict, errors: dict, seed: int):
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:

        async def call(kind: str, method: str, url: str, **kw) -> httpx.Response | None:
            if time.monotonic() > stop_at or budget[0] <= 0:
                return None
            budget[0] -= 1
            t = time.perf_counter()
            try:
                r = await c.request(method, url, **kw)
            except httpx.HTTPError as exc:
                errors[kind][type(exc).__name__] += 1
                return None
            lat[kind].append(time.perf_counter() - t)
            if r.status_code >= 400:
                errors[kind][str(r.status_code)] += 1
            return r

        while time.monotonic() < stop_at and budget[0] > 0:
            await call("health", "GET", "/api/health")
            r = await call("feed", "GET", "/api/feed?k=12")
            if r is None or r.status_code != 200 or not r.json()["items"]:
                await asyncio.sleep(0.5)
                continue
            items = r.json()["items"]
            pick = items[rng.randrange(min(4, len(items)))]
            kind = rng.choice(["like", "skip", "dislike", "click"])
            events = [{"item_id": pick["id"], "kind": "impression"}, {"item_id": pick["id"], "kind": kind}]
            await call("events", "POST", "/api/events", json={"events": events})
            if pick["media_url"]:
                start = rng.randrange(0, 4000)
                await call("media-range", "GET", pick["media_url"], headers={"Range": f"bytes={start}-{start + 65535}"})
            await asyncio.sleep(rng.uniform(0.2, 0.8))  # a person looks at the screen between actions


async def run(base: str, tokens: list[str], seconds: float, max_requests: int) -> tuple[dict, dict, float]:
    lat: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    budget = [max_requests]
    started = time.monotonic()
    stop_at = started + seconds
    await asyncio.gather(*(user_loop(base, t, stop_at, budget, lat, errors, n) for n, t in enumerate(tokens)))
    return lat, errors, time.monotonic() - started


def report(lat: dict, errors: dict, elapsed: float, users: int) -> None:
    total = sum(len(v) for v in lat.values())
    print(f"\n{users} users, {elapsed:.1f} s, {total} requests ({total / elapsed:.1f}/s), loopback 127.0.0.1")
    print(f"{'request':<12} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'5xx':>5} {'other errors':>14}")
    floor = np.percentile(lat["health"], 95) * 1000 if lat.get("health") else float("nan")
    for kind in ("health", "feed", "events", "media-range"):
        v = np.asarray(lat.get(kind, [])) * 1000
        if not len(v):
            continue
        five = sum(n for code, n in errors[kind].items() if code.startswith("5"))
        other = {code: n for code, n in errors[kind].items() if not code.startswith("5")}
        print(f"{kind:<12} {len(v):>6} {np.percentile(v, 50):>8.1f} {np.percentile(v, 95):>8.1f} {v.max():>8.1f} "
              f"{five:>5} {str(dict(other)) if other else '-':>14}")  # fmt: skip
    print(f"baseline: /api/health p95 {floor:.1f} ms (the service's floor under the same load)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--home", type=Path, help="a GeneRec home holding a world (default: a temporary tiny one)")
    ap.add_argument("--build-tiny", action="store_true", help="build a 100-user, 200-item world into --home first")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--max-requests", type=int, default=100_000)
    args = ap.parse_args()
    if not 1 <= args.users <= 500 or not 1 <= args.seconds <= 600:
        sys.exit("--users must be 1..500 and --seconds 1..600 (this is a bounded test)")
    tmp = None
    if args.home is None:
        tmp = tempfile.TemporaryDirectory(prefix="generec-bench-")
        args.home, args.build_tiny = Path(tmp.name), True
    tokens = prepare(args.home, args.users, args.build_tiny)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(args.home), str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                sys.exit("the server did not start")
            time.sleep(0.3)
        lat, errors, elapsed = asyncio.run(run(base, tokens, args.seconds, args.max_requests))
        report(lat, errors, elapsed, args.users)
    finally:
        proc.terminate()
        proc.wait(10)
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
