"""Benchmark scale-out: batch selection against its matrix-product limit, Ray 1 vs 2 workers, per-core throughputs.

    python bench/bench_scale.py limit        # Eq. 1 / Eq. 2 batch vs torch.mm alone, same shapes; also per Ray worker
    python bench/bench_scale.py ray          # 1 vs 2 Ray workers: batch selection and encoding; peak RSS per worker
    python bench/bench_scale.py throughput   # per core: events stored/s (SQLite, PostgreSQL), frames encoded/s,
                                             # user x item selections/s, clips/s, users ranked/s

Shapes are the demo world's (2,000 users x 1,500 items, ~32 frames each, d=128) with unit
vectors from a seed: timing depends on shapes only. Every table prints `uptime` load before and
after: on a machine shared with other jobs the ratios are what that load allowed, not the
machine's best. Prints medians; never a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DEMO_USERS, DEMO_ITEMS, DIM = 2000, 1500, 128


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def shapes(users: int, items: int, dim: int, seed: int = 0):
    from generec.editor import PackedFrames
    from generec.encoders import l2_normalize

    rng = np.random.default_rng(seed)
    lengths = rng.integers(16, 49, size=items)  # mean ~32 frames, as the demo world's
    packed = PackedFrames.pack([l2_normalize(rng.normal(size=(int(n), dim))) for n in lengths])
    return l2_normalize(rng.normal(size=(users, dim))), packed


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def mm_limit(users: np.ndarray, packed, chunk_bytes: int) -> None:
    """The product Eq. 1 needs, alone: every user x every frame, in the same bucketed blocks, nothing else."""
    import torch

    from generec.editor.batch import _blocks, buckets

    with torch.no_grad():
        for _ in _blocks(torch.from_numpy(users), buckets(packed), chunk_bytes):
            pass


def limit_row(users: np.ndarray, packed, repeats: int) -> dict:
    """Seconds for Eq. 1, Eq. 2 and the bare product on these shapes, in this process's threads."""
    import torch

    from generec.editor import batch_clip, batch_select
    from generec.editor.batch import DEFAULT_CHUNK_BYTES

    with torch.no_grad():
        flat = torch.from_numpy(np.concatenate([f[:n] for f, n in zip(packed.features, packed.lengths, strict=True)]))
        u = torch.from_numpy(users)
        one_mm = median_time(lambda: u @ flat.T, repeats)  # one product, no blocks: the machine's limit
    return {
        "mm": one_mm,
        "mm_blocks": median_time(lambda: mm_limit(users, packed, DEFAULT_CHUNK_BYTES), repeats),
        "select": median_time(lambda: batch_select(users, packed), repeats),
        "clip": median_time(lambda: batch_clip(users, packed, 8, 1), repeats),
        "threads": torch.get_num_threads(),
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _limit_in_worker(shard, users, packed, repeats):  # noqa: ANN001, ANN201 - runs as a Ray task
    return limit_row(users, packed, repeats)


def print_limit(name: str, row: dict, pairs: int) -> None:
    # The limit is the faster way to compute the same product: one torch.mm of all users x all frames
    # (its [U, frames] output may not fit the caches), or the same product in the bucketed blocks.
    best = min(row["mm"], row["mm_blocks"])
    print(f"{name:<26} threads {row['threads']}  torch.mm {row['mm']:.3f} s, in blocks {row['mm_blocks']:.3f} s  "
          f"Eq.1 {row['select']:.3f} s = {best / row['select']:.0%} of the limit  "
          f"Eq.2 {row['clip']:.3f} s = {best / row['clip']:.0%}  "
          f"({pairs / row['select'] / 1e6:.1f} M selections/s, {pairs / row['clip'] / 1e6:.1f} M clips/s, "
          f"peak RSS {row['rss_mib']:.0f} MiB)")  # fmt: skip


def bench_limit(args: argparse.Namespace) -> None:
    import torch

    users, packed = shapes(args.users, args.items, args.dim)
    pairs = args.users * args.items
    print(f"{args.users} users x {args.items} items, {int(packed.lengths.sum())} frames, d={args.dim}; {load()}")
    torch.set_num_threads(1)
    print_limit("single process, 1 thread", limit_row(users, packed, args.repeats), pairs)
    torch.set_num_threads(os.cpu_count() or 1)
    print_limit(f"single process, {os.cpu_count()} threads", limit_row(users, packed, args.repeats), pairs)
    from generec.distributed import RayEngine

    engine = RayEngine(workers=1)
    try:
        [row] = engine.map(_limit_in_worker, [0], {"users": users, "packed": packed, "repeats": args.repeats})
        print_limit("one Ray worker", row, pairs)
    finally:
        engine.close()
    print(f"after: {load()}")


def _select_rss(shard, users, features, lengths, how):  # noqa: ANN001, ANN201 - runs as a Ray task
    from generec.distributed.batch import _pick_block

    block = _pick_block(shard, users, features, lengths, how)
    return block, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _encode_videos(n: int, frames: int, size: int, root: Path) -> list[tuple[str, int]]:
    import av

    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        path = root / f"v{i}.mp4"
        with av.open(str(path), "w") as c:
            s = c.add_stream("libx264", rate=8)
            s.width = s.height = size
            s.pix_fmt = "yuv420p"
            for _ in range(frames):
                img = rng.integers(0, 255, size=(size, size, 3), dtype=np.uint8)
                for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    c.mux(p)
            for p in s.encode():
                c.mux(p)
        out.append((str(path), size))
    return out


def bench_ray(args: argparse.Namespace) -> None:
    from generec.distributed import RayEngine, encode_all, grid
    from generec.distributed.batch import DEFAULT_CHUNK_BYTES

    users, packed = shapes(args.users, args.items, args.dim)
    shards = grid(len(users), packed.n_items, args.user_shard, args.item_shard)
    how = {"eq": 1, "chunk_bytes": DEFAULT_CHUNK_BYTES}
    shared = {"users": users, "features": packed.features, "lengths": packed.lengths, "how": how}
    shard_mib = (
        (args.user_shard * args.dim + args.item_shard * packed.t_max * args.dim + args.user_shard * args.item_shard)
        * 4
        / 2**20
    )
    print(f"{args.users} users x {args.items} items (d={args.dim}), {len(shards)} shards of {args.user_shard} users x "
          f"{args.item_shard} items (inputs + picks {shard_mib:.0f} MiB + a {DEFAULT_CHUNK_BYTES // 2**20} MiB score "
          f"block); {load()}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        videos = _encode_videos(args.videos, 16, 128, Path(tmp))
        times: dict[int, dict[str, float]] = {}
        for workers in (1, 2):
            engine = RayEngine(workers=workers)
            try:
                engine.map(_select_rss, shards[:workers], shared)  # warm the workers up
                rss = []
                t_sel = median_time(lambda e=engine, r=rss: r.extend(x[1] for x in e.map(_select_rss, shards, shared)),
                                    args.repeats)  # fmt: skip
                encode_all(videos[:workers], "efficientnet", engine, item_shard=1)  # load the model in each worker
                per = max(1, len(videos) // (2 * workers))  # two shards per worker
                t_enc = median_time(lambda e=engine, n=per: encode_all(videos, "efficientnet", e, item_shard=n), 1)
            finally:
                engine.close()
            times[workers] = {"select": t_sel, "encode": t_enc}
            print(f"{workers} worker(s): selection {t_sel:.2f} s ({args.users * args.items / t_sel / 1e6:.1f} M/s), "
                  f"encoding {t_enc:.2f} s ({args.videos * 16 / t_enc:.1f} frames/s, EfficientNet-Lite0 at 224 px), "
                  f"peak RSS per worker {max(rss):.0f} MiB")  # fmt: skip
    print(
        f"2 workers vs 1: selection {times[1]['select'] / times[2]['select']:.2f}x, "
        f"encoding {times[1]['encode'] / times[2]['encode']:.2f}x faster (target >= 1.6x); after: {load()}"
    )


def bench_throughput(args: argparse.Namespace) -> None:
    """Per-core numbers for docs/scale.md (one torch thread; the store from one client)."""
    import torch

    torch.set_num_threads(1)
    print(f"per core (1 torch thread); {load()}")
    _store_rates()
    _ranking_rate(args)
    with tempfile.TemporaryDirectory() as tmp:
        from generec.distributed import LocalEngine, encode_all

        videos = _encode_videos(4, 16, 128, Path(tmp))
        encode_all(videos[:1], "efficientnet", LocalEngine())
        t = median_time(lambda: encode_all(videos, "efficientnet", LocalEngine()), 1)
        print(
            f"frames encoded (EfficientNet-Lite0, 224 px): {len(videos) * 16 / t:.1f} frames/s, "
            f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )
    print(f"after: {load()}")


def _store_rates() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from generec.store import Store
    from generec.types import Event, EventKind, Item, User
    from pg_cluster import ClusterUnavailable, PostgresCluster

    def rates(url: str) -> str:
        with Store.open(url) as store:
            store.add_users([User(id=f"u{i}") for i in range(100)])
            store.add_items([Item(id=f"v{i}") for i in range(100)])
            now = time.time()
            t = time.perf_counter()
            for n in range(300):  # one transaction per event: the API's worst case
                store.add_event(Event(f"u{n % 100}", f"v{n % 97}", EventKind.CLICK, now + n))
            single = 300 / (time.perf_counter() - t)
            batch = [Event(f"u{n % 100}", f"v{n % 97}", EventKind.CLICK, now + n) for n in range(20000)]
            t = time.perf_counter()
            store.add_events(batch)
            bulk = len(batch) / (time.perf_counter() - t)
        return f"{single:.0f} events/s one per transaction, {bulk:.0f} events/s in one bulk insert"

    with tempfile.TemporaryDirectory() as tmp:
        print(f"events stored, SQLite (synchronous=FULL): {rates(f'sqlite:///{tmp}/b.db')}")
    try:
        cluster = PostgresCluster.start()
    except ClusterUnavailable as exc:
        print(f"events stored, PostgreSQL: not measured ({exc})")
        return
    try:
        print(f"events stored, PostgreSQL (test cluster, fsync off): {rates(cluster.create_database('bench'))}")
    finally:
        cluster.stop()


def _ranking_rate(args: argparse.Namespace) -> None:
    from generec.recommender.ranking import dot_scorer, topk_chunked

    rng = np.random.default_rng(0)
    u = rng.normal(size=(args.users, 64)).astype(np.float32)
    i = rng.normal(size=(args.items, 64)).astype(np.float32)
    t = median_time(lambda: list(topk_chunked(dot_scorer(u, i), np.arange(args.users), args.items, 20)), args.repeats)
    print(f"full ranking top-20 over {args.items} items (d=64): {args.users / t:.0f} users/s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("limit", "ray", "throughput"):
        s = sub.add_parser(name)
        s.add_argument("--users", type=int, default=DEMO_USERS)
        s.add_argument("--items", type=int, default=DEMO_ITEMS)
        s.add_argument("--dim", type=int, default=DIM)
        s.add_argument("--repeats", type=int, default=3)
        if name == "ray":
            s.add_argument("--user-shard", type=int, default=500)
            s.add_argument("--item-shard", type=int, default=375)
            s.add_argument("--videos", type=int, default=8, help="16-frame 128 px videos to encode")
    args = p.parse_args()
    {"limit": bench_limit, "ray": bench_ray, "throughput": bench_throughput}[args.cmd](args)


if __name__ == "__main__":
    main()
