"""Latency of ``Session.step`` on a filled home (issue: a step that does not wait for generation, p95 < 200 ms).

Runs in one process on a home that ``generec demo --no-serve`` filled: warms the instructor, then times
steps for many users with a mix of what people do (feedback only, a recommend request, an edit request
that queues a job, a constraint), next to a baseline measured in the same run: the same steps with no
instruction (feedback + ranking only). Generation jobs are queued, never run here: each is cancelled after its
step, so no user reaches the limit on jobs in progress.

    python bench/bench_step.py --home ~/.generec --steps 300 [--compare-tags]

With a trained recommender the feed is ranked by it; ``--compare-tags`` interleaves the same steps ranked by
the tag ranker (its fallback). Wall time and each step's thread CPU time are printed: on a shared machine the
wall time mostly measures the wait for a CPU, the CPU time what the step itself costs.
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
    ap.add_argument("--compare-tags", action="store_true", help="Also time the same steps ranked by the tag ranker.")
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
    rankers = {"recommender": gr.ranker}
    fallback = getattr(gr.ranker, "fallback", None)
    if args.compare_tags and fallback is not None:  # the same steps, interleaved, ranked by the tag ranker
        rankers["tags"] = fallback
    timed: dict[str, list[tuple[float, float]]] = {}
    for n in range(args.steps):
        user = users[int(rng.integers(len(users)))]
        text = REQUESTS[n % len(REQUESTS)] or "show me something new"
        for name, ranker in rankers.items():
            gr.ranker = ranker
            session = gr.session(user)
            shown = session.step(k=12).items  # what the user is looking at
            focus = shown[0].item.id if shown else None
            events = [Event(user, focus, EventKind.SKIP, ts=time.time())] if focus else []
            calls = {"baseline (events + ranking)": {"events": events}, "step with instruction": {"instruction": text}}
            for kind, kwargs in calls.items():
                t, c = time.perf_counter(), time.thread_time()
                response = session.step(k=12, focus=focus, **kwargs)
                timed.setdefault(f"{kind}, {name}", []).append(
                    ((time.perf_counter() - t) * 1000, (time.thread_time() - c) * 1000)
                )
                if response.queued is not None:  # jobs are never run here: withdraw it, or the user's limit is hit
                    gr.store.cancel_job(response.queued.id)
    gr.ranker = rankers["recommender"]
    print("wall = elapsed (includes waiting for a CPU on a busy machine); cpu = this thread's CPU time")
    for name, pairs in timed.items():
        wall, cpu = [w for w, _ in pairs], [c for _, c in pairs]
        print(f"{name:<45} n={len(pairs):4d}   wall {_percentiles(wall)}   cpu p95 {np.percentile(cpu, 95):6.1f} ms")
    base = np.percentile([w for w, _ in timed["baseline (events + ranking), recommender"]], 95)
    full = np.percentile([w for w, _ in timed["step with instruction, recommender"]], 95)
    print(f"ratio of p95 (with instruction / baseline): {full / base:.2f}")
    if "tags" in rankers:
        for kind in ("baseline (events + ranking)", "step with instruction"):
            rec = np.percentile([c for _, c in timed[f"{kind}, recommender"]], 95)
            tag = np.percentile([c for _, c in timed[f"{kind}, tags"]], 95)
            print(f"{kind}: cpu p95 recommender / tags = {rec / tag:.2f}")
    gr.close()


if __name__ == "__main__":
    main()
