"""Latency of ``Session.step`` on a filled home (issue: a step that does not wait for generation, p95 < 200 ms).

Runs in one process on a home that ``generec demo --no-serve`` filled: warms the instructor, then times
steps for many users with a mix of what people do (feedback only, a recommend request, an edit request
that queues a job, a constraint), next to a baseline measured in the same run: the same steps with no
instruction (feedback + ranking only). Generation jobs are queued, never run here.

    python bench/bench_step.py --home ~/.generec --steps 300
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from generec.config import load_settings
from generec.pipeline import GeneRec
from generec.types import Event, EventKind

REQUESTS = (
    None,
    "show me cats in the snow",
    "something with dogs please",
    "no more fish",
    "make this one shorter",
    "why am I seeing this?",
    None,
    "I like this one",
)


def _percentiles(ms: list[float]) -> str:
    q = np.percentile(ms, [50, 95])
    return f"p50 {q[0]:7.1f} ms   p95 {q[1]:7.1f} ms   mean {statistics.fmean(ms):7.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    gr = GeneRec.from_config(load_settings(home=args.home))
    t0 = time.perf_counter()
    warm = getattr(gr.instructor, "warm", None)  # the default instructor fits on first use
    if warm is not None:
        warm()
    print(f"instructor ready in {time.perf_counter() - t0:.1f} s")
    describe = getattr(gr.ranker, "describe", None)
    print(f"ranker: {describe() if callable(describe) else type(gr.ranker).__name__}")
    users = [u.id for u in gr.store.list_users(limit=400)]
    rng = np.random.default_rng(args.seed)
    timed: dict[str, list[float]] = {"baseline (events + ranking)": [], "step with instruction": []}
    for n in range(args.steps):
        user = users[int(rng.integers(len(users)))]
        session = gr.session(user)
        shown = session.step(k=12).items  # what the user is looking at
        focus = shown[0].item.id if shown else None
        events = [Event(user, focus, EventKind.SKIP, ts=time.time())] if focus else []
        t = time.perf_counter()
        session.step(events=events, k=12, focus=focus)
        timed["baseline (events + ranking)"].append((time.perf_counter() - t) * 1000)
        text = REQUESTS[n % len(REQUESTS)] or "show me something new"
        t = time.perf_counter()
        session.step(instruction=text, k=12, focus=focus)
        timed["step with instruction"].append((time.perf_counter() - t) * 1000)
    for name, ms in timed.items():
        print(f"{name:<30} n={len(ms):4d}   {_percentiles(ms)}")
    base = np.percentile(timed["baseline (events + ranking)"], 95)
    full = np.percentile(timed["step with instruction"], 95)
    print(f"ratio of p95 (with instruction / baseline): {full / base:.2f}")
    gr.close()


if __name__ == "__main__":
    main()
