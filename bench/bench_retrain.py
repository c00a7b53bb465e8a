"""Steps while the recommender retrains: latency of ``Session.step`` during a background retraining and swap.

On a home that ``generec demo --no-serve`` filled (with a trained recommender), times feed steps (a skip
of the first shown item, then the ranking) for random users: first with nothing else running (the
baseline, same process), then while the service's :class:`generec.service.retrain.ModelKeeper` runs a
queued retraining in its child process and swaps the new version in. Every step must answer; the
table gives p50 / p95 / max of both phases and the ratio of the p95s.

    python bench/bench_retrain.py --home H --baseline-s 60
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np


def _steps(gr, users: list[str], rng: np.random.Generator, until, out: list[float], errors: list[str]) -> None:  # noqa: ANN001
    from generec.types import Event, EventKind

    while not until():
        user = users[int(rng.integers(len(users)))]
        session = gr.session(user)
        try:
            shown = session.step(k=12).items
            events = [Event(user, shown[0].item.id, EventKind.SKIP, ts=time.time())] if shown else []
            t = time.perf_counter()
            session.step(events=events, k=12)
            out.append((time.perf_counter() - t) * 1000)
        except Exception as exc:  # noqa: BLE001 - a lost step is what this bench looks for
            errors.append(f"{type(exc).__name__}: {exc}")


def _line(name: str, ms: list[float], errors: list[str]) -> str:
    q = np.percentile(ms, [50, 95]) if ms else [float("nan")] * 2
    return (f"| {name} | {len(ms)} | {len(errors)} | {q[0]:.1f} | {q[1]:.1f} | "
            f"{max(ms) if ms else float('nan'):.1f} |")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True)
    ap.add_argument("--baseline-s", type=float, default=60.0, help="Seconds of steps with no retraining.")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from generec.config import load_settings
    from generec.pipeline import GeneRec
    from generec.pipeline_retrain import queue_training
    from generec.service.retrain import ModelKeeper

    gr = GeneRec.from_config(load_settings(home=args.home))
    before = gr.ranker.describe()
    if before.get("ranker") != "recommender":
        raise SystemExit(f"no trained recommender in {args.home}: run `generec train model --from-store` first")
    users = [u.id for u in gr.store.list_users(limit=400)]
    rng = np.random.default_rng(args.seed)
    base, base_err = [], []
    stop_at = time.monotonic() + args.baseline_s
    _steps(gr, users, rng, lambda: time.monotonic() > stop_at, base, base_err)

    keeper = ModelKeeper(gr, poll_s=0.5)
    job = queue_training(gr.store, "bench")
    done: dict = {}

    def retrain() -> None:
        t = time.perf_counter()
        done["job"] = keeper.train_queued()
        done["train_s"] = time.perf_counter() - t
        done["swapped"] = keeper.check()

    trainer = threading.Thread(target=retrain, name="bench-retrain")
    during, during_err = [], []
    trainer.start()
    _steps(gr, users, rng, lambda: not trainer.is_alive(), during, during_err)
    trainer.join()
    after = gr.ranker.describe()
    print(f"retraining job {job.id}: {done['job'].status.value} ({done['job'].message or done['job'].error}) in "
          f"{done['train_s']:.0f} s; swapped {before['version']} -> {after['version']}: {done['swapped']}")  # fmt: skip
    print("| phase | steps | lost | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|---:|---:|")
    print(_line("baseline (no retraining)", base, base_err))
    print(_line("during retraining + swap", during, during_err))
    if base and during:
        print(f"ratio of p95 (during / baseline): {np.percentile(during, 95) / np.percentile(base, 95):.2f}")
    for e in (base_err + during_err)[:5]:
        print("error:", e)
    gr.close()


if __name__ == "__main__":
    main()
