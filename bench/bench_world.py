"""Benchmark GeneRec-Sim builds against the issue's limits: time of the demo world, peak memory at scale.

Runs ``generec world build`` in a child process (so its peak RSS is measured alone) and prints a
table: measured value, the limit from the issue, and their ratio.

    python bench/bench_world.py                       # demo world (2000 x 1500, media) + 1M x 100k --no-media
    python bench/bench_world.py --skip-big            # demo world only
    python bench/bench_world.py --big-users 100000 --big-items 10000

The limits are promises about a 2-core machine: demo < 180 s, 1M x 100k --no-media < 8 GiB peak RSS.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_build(out: Path, users: int, items: int, media: bool, workers: int) -> tuple[float, float]:
    """Build a world in a child process; return (wall seconds, peak RSS of the largest process in GiB)."""
    cmd = [sys.executable, "-m", "generec", "world", "build", "--users", str(users), "--items", str(items)]
    cmd += ["--seed", "0", "--out", str(out), "--workers", str(workers), "-q"]
    if not media:
        cmd.append("--no-media")
    # A fresh parent per build, so RUSAGE_CHILDREN (largest child's peak, KiB on Linux) covers this build only.
    probe = (
        "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)"
    )
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"build failed ({proc.returncode}): {proc.stderr.strip()}")
    return wall, int(proc.stdout.split()[-1]) / 1024**2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--demo-users", type=int, default=2000)
    ap.add_argument("--demo-items", type=int, default=1500)
    ap.add_argument("--big-users", type=int, default=1_000_000)
    ap.add_argument("--big-items", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--keep", type=Path, help="Build under this folder and keep the worlds.")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-world-"))
    rows = []
    try:
        wall, rss = run_build(base / "demo", args.demo_users, args.demo_items, True, args.workers)
        name = f"demo {args.demo_users} users x {args.demo_items} items, media"
        rows.append((name, "wall s", wall, 180.0))
        rows.append((name, "peak RSS GiB", rss, 8.0))
        if not args.skip_big:
            wall, rss = run_build(base / "big", args.big_users, args.big_items, False, args.workers)
            name = f"{args.big_users} users x {args.big_items} items, --no-media"
            rows.append((name, "wall s", wall, float("nan")))
            rows.append((name, "peak RSS GiB", rss, 8.0))
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print(f"{'build':<48} {'measure':<14} {'value':>10} {'limit':>8} {'ratio':>7}")
    for name, measure, value, limit in rows:
        ratio = value / limit if limit == limit else float("nan")
        print(f"{name:<48} {measure:<14} {value:>10.2f} {limit:>8.1f} {ratio:>7.2f}")


if __name__ == "__main__":
    main()
