"""Full-ranking evaluation at scale in bounded memory (issue 3): peak RSS of Recall/NDCG/Precision@K.

At ``--users`` x ``--items`` (default 1M x 100k) with random 64-d embeddings, 10 masked and 5 held-out
items per user, the metrics are computed in ``chunk x n_items`` score blocks followed by top-k, never an
``n_users x n_items`` matrix. The work runs in a child process so that its peak RSS is its own; the
printed limit (4 GiB) is what the issue's machine allows, against RecBole's 511 GiB allocation on the same
kind of evaluation.

Run: ``python bench/bench_ranking_memory.py`` (``--users 100000`` for a quick look).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def memory_child(n_users: int, n_items: int, dim: int, budget_mib: int) -> dict[str, float]:
    import torch

    from generec.recommender.ranking import chunk_size_for, dot_scorer, ranking_metrics

    rng = np.random.default_rng(0)
    user_emb = rng.standard_normal((n_users, dim), dtype=np.float32)
    item_emb = rng.standard_normal((n_items, dim), dtype=np.float32)
    users = np.repeat(np.arange(n_users, dtype=np.int64), 15)
    items = rng.integers(0, n_items, size=len(users), dtype=np.int64)
    pairs = np.stack([users, items], axis=1)
    del users, items
    exclude, truth = pairs.reshape(n_users, 15, 2)[:, :10].reshape(-1, 2), pairs.reshape(n_users, 15, 2)[:, 10:]
    truth = np.ascontiguousarray(truth.reshape(-1, 2))
    exclude = np.ascontiguousarray(exclude)
    del pairs
    setup_rss = peak_rss_mib()
    started = time.perf_counter()
    chunk = chunk_size_for(n_items, budget_mib * 2**20)
    metrics = ranking_metrics(
        dot_scorer(torch.from_numpy(user_emb), torch.from_numpy(item_emb)),
        truth,
        n_users,
        n_items,
        exclude=exclude,
        ks=(10, 20, 50),
        chunk_size=chunk,
        progress=True,
    )
    return {
        "users": n_users,
        "items": n_items,
        "dim": dim,
        "chunk_users": chunk,
        "seconds": time.perf_counter() - started,
        "setup_rss_mib": setup_rss,
        "peak_rss_mib": peak_rss_mib(),
        "ndcg@20": metrics["ndcg@20"],
        "recall@50": metrics["recall@50"],
    }


def report(args: argparse.Namespace) -> None:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--users",
        str(args.users),
        "--items",
        str(args.items),
        "--dim",
        str(args.dim),
        "--budget-mib",
        str(args.budget_mib),
    ]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    print(
        f"\nfull ranking, {r['users']:,} users x {r['items']:,} items x {r['dim']}-d, random embeddings, "
        f"10 masked + 5 held-out items per user, K = 10/20/50"
    )
    print("| chunk (users) | time (s) | RSS after setup (MiB) | peak RSS (MiB) | limit (MiB) | ndcg@20 (random) |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {r['chunk_users']} | {r['seconds']:.1f} | {r['setup_rss_mib']:.0f} | {r['peak_rss_mib']:.0f} | 4096 "
        f"| {r['ndcg@20']:.5f} |"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=1_000_000)
    p.add_argument("--items", type=int, default=100_000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--budget-mib", type=int, default=256, help="Score block size per chunk.")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(memory_child(args.users, args.items, args.dim, args.budget_mib)))
    else:
        report(args)


if __name__ == "__main__":
    main()
