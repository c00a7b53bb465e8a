"""Bounded load test of the GeneRec service on loopback: N simulated users for T seconds.

Starts the real service (uvicorn, its own process) on 127.0.0.1 on a home that holds a world
(``generec demo`` makes one; ``--build-tiny`` builds a small world into a fresh temporary home),
creates ``bench-NNN`` users with tokens and lets each one behave as ``--behaviour`` says:

``viewer`` (default): a person on a micro-video feed. Loads a page (``GET /api/feed?k=12``); for each
  item: reports the impression, plays the video (``Range: bytes=0-``, as a browser's player asks),
  watches it for a dwell drawn per item from 2-8 s (micro-videos are seconds long), seeks in 30% of
  them (a second range request), then likes (20%), dislikes (10%), skips (30%) or just moves on
  (40%), reporting the dwell time with it; fetches the next page only after the last item.
  After an item, with chance ``--chat`` (default 3%), says something in the chat about it ("make
  this one shorter", "show me cats in the snow", ...): a generating request, which may queue a job
  that the service's worker runs meanwhile, in the same process.
``page``: what the web page (static/app.js) really sends. Loads the feed, posts all 12 impressions at
  once, fetches the thumbnails it has not cached, plays the first item; after each watch it either
  clicks another item in the list (40%) or presses like/dislike/skip, which posts the judgement with
  the dwell and reloads the feed (the page does that after every judgement). Chats as ``viewer``
  does and, like the page without server-sent events, polls a queued job every 1.5 s.
``hammer``: no person: health, feed, impression+judgement, a 64 KiB range read, then 0.2-0.8 s
  pause, in a loop (the old test; it finds the saturation point rather than a realistic latency).

Users start spread over ``--ramp`` seconds. ``--time-scale`` shrinks every pause (the numbers this
prints say which scale ran; report scale 1). The instructor is warmed before the run (the service
warms it at start-up). A separate prober reads ``/api/health`` twice a second as the baseline: the
service's floor under the same load, in the same run. Prints p50/p95/p99 per request kind, errors
(429s from the per-user job limit are expected), achieved requests/s, the p95 of all non-generating
requests (everything but chat), CPU used by the server and by this client, and the load average
(the client shares the machine's cores with the server).

    python bench/bench_service.py --home ~/.generec --users 50 --seconds 60
    python bench/bench_service.py --home ~/.generec --users 50 --seconds 60 --behaviour hammer
    python bench/bench_service.py --build-tiny --users 20 --seconds 20

Only ever targets 127.0.0.1. Bounded: at most ``--max-requests`` requests and ``--seconds`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

from service_client import Conn, Run

SERVER = """
import sys, uvicorn
from generec.config import Settings
from generec.pipeline import GeneRec
from generec.service.app import create_app
s = Settings(home=sys.argv[1], service={"workers": 1, "rate_per_s": 50, "rate_burst": 100})
gr = GeneRec.from_config(s)
getattr(gr.instructor, "warm", lambda: None)()  # steady state: the service warms it at start-up too
app = create_app(gr, warm_instructor=False)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""
KINDS = ("health", "feed", "events", "media", "media-seek", "thumbnail", "job", "chat")
GENERATING = {"chat"}  # may run the instructor and queue generation: not held to the latency bound
CHATS = ("make this one shorter", "show me cats in the snow", "something with dogs please", "no more fish",
         "why am I seeing this?", "I like this one", "make this one shorter please")  # fmt: skip


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


async def feed(run: Run, conn: Conn) -> list[dict]:
    data = await run.call(conn, "feed", "GET", "/api/feed?k=12")
    return json.loads(data)["items"] if data else []


def events(item: dict, *kinds: tuple[str, float]) -> dict:
    return {"events": [{"item_id": item["id"], "kind": k, "value": v} for k, v in kinds]}


async def watch(run: Run, conn: Conn, rng: random.Random, item: dict) -> float:
    """Play the item's video and watch it; return the dwell time (s)."""
    if item.get("media_url"):
        await run.call(conn, "media", "GET", item["media_url"], headers="Range: bytes=0-\r\n")
    dwell = rng.uniform(2.0, 8.0)
    if item.get("media_url") and rng.random() < 0.3:  # seek: the player asks for the bytes from there on
        await run.pause(dwell * rng.uniform(0.2, 0.8))
        await run.call(conn, "media-seek", "GET", item["media_url"], headers=f"Range: bytes={rng.randrange(4096)}-\r\n")
        await run.pause(dwell * 0.2)
    else:
        await run.pause(dwell)
    return round(dwell, 2)


async def chat(run: Run, conn: Conn, rng: random.Random, item: dict, poll: bool) -> None:
    """Sometimes (``--chat``) say something about the item on screen; the page then watches the job."""
    if rng.random() >= run.chat:
        return
    data = await run.call(conn, "chat", "POST", "/api/chat", {"text": rng.choice(CHATS), "focus_item_id": item["id"]})
    job = json.loads(data).get("job") if data else None
    if poll and job:  # the page's fallback to server-sent events: GET the job every 1.5 s until it finishes
        task = asyncio.get_running_loop().create_task(watch_job(run, Conn(run.port, conn.token), job["id"]))
        run.tasks.add(task)
        task.add_done_callback(run.tasks.discard)


async def watch_job(run: Run, conn: Conn, job_id: str) -> None:
    try:
        while run.live:
            await run.pause(1.5)
            data = await run.call(conn, "job", "GET", f"/api/jobs/{job_id}")
            if data is None or json.loads(data)["finished"]:
                return
    finally:
        conn.close()


async def viewer(run: Run, conn: Conn, rng: random.Random) -> None:
    while run.live:
        page = await feed(run, conn)
        if not page:
            await run.pause(2.0)
        for item in page:
            if not run.live:
                return
            await run.call(conn, "events", "POST", "/api/events", events(item, ("impression", 0.0)))
            dwell = await watch(run, conn, rng, item)
            await chat(run, conn, rng, item, poll=False)
            verdict = rng.choices(["like", "dislike", "skip", None], [0.2, 0.1, 0.3, 0.4])[0]
            said = [(verdict, 0.0)] if verdict else []
            await run.call(conn, "events", "POST", "/api/events", events(item, *said, ("dwell", dwell)))


async def page(run: Run, conn: Conn, rng: random.Random) -> None:
    cached: set[str] = set()  # the browser caches thumbnails (Cache-Control: private, max-age=3600)

    async def load() -> list[dict]:
        items = await feed(run, conn)
        if items:
            seen = {"events": [{"item_id": i["id"], "kind": "impression"} for i in items]}
            await run.call(conn, "events", "POST", "/api/events", seen)
        for i in items:
            if i.get("thumbnail_url") and i["thumbnail_url"] not in cached:
                cached.add(i["thumbnail_url"])
                await run.call(conn, "thumbnail", "GET", i["thumbnail_url"])
        return items

    items = await load()
    current = items[0] if items else None
    while run.live:
        if current is None:
            await run.pause(2.0)
            items = await load()
            current = items[0] if items else None
            continue
        dwell = await watch(run, conn, rng, current)
        await chat(run, conn, rng, current, poll=True)
        if rng.random() < 0.4 and len(items) > 1:  # clicks another item in the list
            current = rng.choice([i for i in items if i is not current])
            await run.call(conn, "events", "POST", "/api/events", events(current, ("click", 0.0)))
            continue
        verdict = rng.choices(["like", "dislike", "skip"], [0.35, 0.2, 0.45])[0]
        await run.call(conn, "events", "POST", "/api/events", events(current, (verdict, 0.0), ("dwell", dwell)))
        items = await load()
        current = items[0] if items else None


async def hammer(run: Run, conn: Conn, rng: random.Random) -> None:
    while run.live:
        await run.call(conn, "health", "GET", "/api/health")
        items = await feed(run, conn)
        if not items:
            await run.pause(0.5)
            continue
        pick = items[rng.randrange(min(4, len(items)))]
        kind = rng.choice(["like", "skip", "dislike", "click"])
        await run.call(conn, "events", "POST", "/api/events", events(pick, ("impression", 0.0), (kind, 0.0)))
        if pick["media_url"]:
            start = rng.randrange(0, 4000)
            await run.call(conn, "media", "GET", pick["media_url"], headers=f"Range: bytes={start}-{start + 65535}\r\n")
        await run.pause(rng.uniform(0.2, 0.8))  # the old test's pause, scaled like every other


async def user(run: Run, token: str, behaviour: str, seed: int, delay: float) -> None:
    await asyncio.sleep(delay)
    conn = Conn(run.port, token)
    try:
        await {"viewer": viewer, "page": page, "hammer": hammer}[behaviour](run, conn, random.Random(seed))
    finally:
        conn.close()


async def prober(run: Run) -> None:
    conn = Conn(run.port, "none")
    while run.live:
        await run.call(conn, "health", "GET", "/api/health")
        await asyncio.sleep(0.5)
    conn.close()


async def drive(port: int, tokens: list[str], args: argparse.Namespace) -> tuple[Run, float]:
    run = Run(port, args.seconds, args.max_requests, args.time_scale, args.chat if args.behaviour != "hammer" else 0)
    rng = random.Random(args.seed)
    users = [
        user(run, t, args.behaviour, args.seed * 1000 + n, rng.uniform(0, args.ramp)) for n, t in enumerate(tokens)
    ]
    probe = [] if args.behaviour == "hammer" else [prober(run)]  # hammer users read /api/health themselves
    await asyncio.gather(*users, *probe)
    return run, time.monotonic() - run.started


async def cost(port: int, tokens: list[str], server: psutil.Process, n: int) -> None:
    """Server CPU per request, kind by kind: ``n`` requests one after another (no queueing, so this
    barely depends on what else the machine runs), spread over the users' tokens (rate limits)."""
    conns = [Conn(port, t) for t in tokens]
    status, body = await conns[0].request("GET", "/api/feed?k=12")
    item = json.loads(body)["items"][0]
    kinds = {"health": ("GET", "/api/health", None, ""), "me": ("GET", "/api/me", None, ""),
             "feed": ("GET", "/api/feed?k=12", None, ""),
             "events": ("POST", "/api/events", events(item, ("impression", 0.0)), ""),
             "media": ("GET", item["media_url"], None, "Range: bytes=0-\r\n"),
             "thumbnail": ("GET", item["thumbnail_url"], None, ""),
             "item": ("GET", f"/api/items/{item['id']}", None, "")}  # fmt: skip
    print(f"\n{'request':<10} {'n':>5} {'server CPU ms/request':>22} {'wall p50 ms':>12} {'wall p95 ms':>12}")
    for kind, (method, path, body, headers) in kinds.items():
        wall, errors = [], 0
        cpu0 = sum(server.cpu_times()[:2])
        for i in range(n):
            t = time.perf_counter()
            status, _ = await conns[i % len(conns)].request(method, path, body, headers)
            wall.append(time.perf_counter() - t)
            errors += status >= 400
        cpu = (sum(server.cpu_times()[:2]) - cpu0) / n * 1000
        q = np.percentile(np.asarray(wall) * 1000, [50, 95])
        print(
            f"{kind:<10} {n:>5} {cpu:>22.2f} {q[0]:>12.1f} {q[1]:>12.1f}" + (f"  ({errors} errors)" if errors else "")
        )
    for c in conns:
        c.close()


def report(run: Run, elapsed: float, args: argparse.Namespace, cpu: dict[str, float] | None, load: tuple) -> None:
    total = sum(len(v) for v in run.lat.values())
    print(f"\n{args.users} users ({args.behaviour}, chat {run.chat:.0%}, time scale {args.time_scale:g}, "
          f"ramp {args.ramp:g} s), "
          f"{elapsed:.1f} s, {total} requests ({total / elapsed:.1f}/s), loopback 127.0.0.1")  # fmt: skip
    print(f"{'request':<11} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'5xx':>5}  other errors")
    for kind in KINDS:
        v = np.asarray(run.lat.get(kind, [])) * 1000
        if not len(v):
            continue
        q = np.percentile(v, [50, 95, 99])
        five = sum(n for code, n in run.errors[kind].items() if code.startswith("5"))
        other = {code: n for code, n in run.errors[kind].items() if not code.startswith("5")}
        print(f"{kind:<11} {len(v):>6} {q[0]:>8.1f} {q[1]:>8.1f} {q[2]:>8.1f} {v.max():>8.1f} {five:>5}  "
              f"{dict(other) if other else '-'}")  # fmt: skip
    api = np.concatenate(
        [np.asarray(run.lat[k]) for k in KINDS if k != "health" and k not in GENERATING and run.lat.get(k)]
        or [[np.nan]]
    )
    floor = np.percentile(run.lat["health"], 95) * 1000 if run.lat.get("health") else float("nan")
    p95 = np.percentile(api, 95) * 1000
    print(f"all non-generating API requests: p95 {p95:.1f} ms = {p95 / floor:.1f} x the /api/health baseline "
          f"(p95 {floor:.1f} ms, same run)")  # fmt: skip
    print(f"5xx in total: {sum(n for e in run.errors.values() for c, n in e.items() if c.startswith('5'))}")
    machine = f"{os.cpu_count()} cores; load average {load[0]:.2f} at start, {os.getloadavg()[0]:.2f} at the end"
    if cpu is None:  # several server processes, one of them killed mid-run: no CPU total to give
        print(f"CPU: {machine}")
        return
    print(f"CPU: server {cpu['server']:.0%} of one core ({cpu['server'] * elapsed / max(total, 1) * 1000:.1f} ms per "
          f"request), this client {cpu['client']:.0%}; {machine}")  # fmt: skip


def start_server(home: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(home), str(port)])
    deadline = time.monotonic() + 120
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, port
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            sys.exit("the server did not start")
        time.sleep(0.3)


def parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--home", type=Path, help="a GeneRec home holding a world (default: a temporary tiny one)")
    ap.add_argument("--build-tiny", action="store_true", help="build a 100-user, 200-item world into --home first")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--behaviour", choices=["viewer", "page", "hammer"], default="viewer")
    ap.add_argument("--time-scale", type=float, default=1.0, help="multiply every pause by this (report 1)")
    ap.add_argument("--ramp", type=float, default=5.0, help="users start spread over this many seconds")
    ap.add_argument("--chat", type=float, default=0.03, help="chance a viewer says something after an item "
                    "(about half ask for an edit, which queues generation)")  # fmt: skip
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cost", type=int, default=0, help="first send this many requests of each kind in turn "
                    "and print the server's CPU time per request")  # fmt: skip
    ap.add_argument("--max-requests", type=int, default=100_000)
    args = ap.parse_args()
    if not 1 <= args.users <= 500 or not 1 <= args.seconds <= 600 or not 0 < args.time_scale <= 10:
        sys.exit("--users must be 1..500, --seconds 1..600 and --time-scale in (0, 10] (this is a bounded test)")
    return args


def main() -> None:
    args = parse()
    tmp = None
    if args.home is None:
        tmp = tempfile.TemporaryDirectory(prefix="generec-bench-")
        args.home, args.build_tiny = Path(tmp.name), True
    tokens = prepare(args.home, args.users, args.build_tiny)
    proc, port = start_server(args.home)
    try:
        import httpx  # only to wait for the app (the port opens before the lifespan finished)

        while httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code != 200:
            time.sleep(0.3)
        server, client = psutil.Process(proc.pid), psutil.Process()
        if args.cost:
            asyncio.run(cost(port, tokens, server, args.cost))
        before = {"server": sum(server.cpu_times()[:2]), "client": sum(client.cpu_times()[:2])}
        load = os.getloadavg()
        run, elapsed = asyncio.run(drive(port, tokens, args))
        cpu = {"server": (sum(server.cpu_times()[:2]) - before["server"]) / elapsed,
               "client": (sum(client.cpu_times()[:2]) - before["client"]) / elapsed}  # fmt: skip
        report(run, elapsed, args, cpu, load)
    finally:
        proc.terminate()
        try:
            proc.wait(30)  # it finishes the job in hand and stores queued events first
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
