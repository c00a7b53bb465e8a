"""Benchmark the offline encoder on GeneRec-Sim: retrieval, attribute probes and speed, next to a baseline.

Baseline (same run, same held-out clips): the same architecture with random weights — what the
contrastive training buys; chance R@k is k/100. Also times image/text encoding throughput.

    python bench/bench_encoder.py                          # builds a demo-size world (1,500 items) in a temp dir
    python bench/bench_encoder.py --world demo-world --steps 400 --out models/encoder
    python bench/bench_encoder.py --world demo-world --model models/encoder   # judge a trained encoder only

Prints a table; never used as a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from generec.encoders import load_encoder
from generec.encoders.corpus import sim_clips
from generec.encoders.dual import GeneRecEncoder
from generec.encoders.evaluate import evaluate_encoder
from generec.encoders.recipe import train_world_encoder


def _throughput(encoder: GeneRecEncoder, repeats: int = 3) -> tuple[float, float]:
    frames = np.random.default_rng(0).integers(0, 256, (256, 64, 64, 3), dtype=np.uint8)
    texts = [f"a red car number {i} driving through the snow" for i in range(256)]
    t_img, t_txt = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        encoder.encode_images(frames)
        t_img.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        encoder.encode_texts(texts)
        t_txt.append(time.perf_counter() - t0)
    return 256 / statistics.median(t_img), 256 / statistics.median(t_txt)


def _train_or_load(args: argparse.Namespace, tmp: str) -> tuple[GeneRecEncoder, Path, Path, float | None]:
    world = args.world
    if world is None:
        from generec.data.sim.build import WorldConfig, build_world

        cfg = WorldConfig(users=50, items=args.items, seed=args.seed, media=False, instructions=0)
        world = build_world(Path(tmp) / "world", cfg, progress=False)
    if args.model is not None:  # judge an encoder trained before (e.g. by `generec train encoder`)
        return load_encoder("generec", args.model), world, args.model, None
    out = args.out or Path(tmp) / "encoder"
    t0 = time.perf_counter()
    enc, _ = train_world_encoder(
        world,
        out,
        steps=args.steps,
        batch_size=args.batch_size,
        seed=args.seed,
        cache_dir=Path(tmp) / "cache",
        n_retrieval=10**9,
    )
    return enc, world, out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", type=Path, help="GeneRec-Sim world directory (default: build one in a temp dir)")
    ap.add_argument("--items", type=int, default=1500, help="items of the world built when --world is not given")
    ap.add_argument("--model", type=Path, help="evaluate this trained encoder directory instead of training one")
    ap.add_argument("--out", type=Path, help="where to save the trained encoder (default: a temp dir)")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ours, world, out, wall = _train_or_load(args, tmp)
        held_out = json.loads((out / "held_out_items.json").read_text())
        clips = sim_clips(world, held_out, 8, progress=False)
        report = evaluate_encoder(ours, clips, n_retrieval=100, seed=args.seed)
        base = GeneRecEncoder(ours.config, seed=args.seed, text_tower=ours.text_tower)
        base_report = evaluate_encoder(base, clips, n_retrieval=100, seed=args.seed)
        ips, tps = _throughput(ours)
    print(report.table())
    print()
    print(f"{'metric':<18} {'ours':>8} {'random-init':>12} {'chance':>8}")
    for k in report.recall:
        print(f"{'R@' + str(k):<18} {report.recall[k]:>8.3f} {base_report.recall[k]:>12.3f} {report.chance(k):>8.3f}")
    for attr, (acc, maj) in report.probe.items():
        print(f"{'probe ' + attr:<18} {acc:>8.3f} {base_report.probe[attr][0]:>12.3f} {maj:>8.3f}")
    t = ours.config.train
    whole = f"{wall:.1f} s" if wall is not None else f"{t.get('total_seconds')} s (as recorded in config.json)"
    print(
        f"\ntrain: {t['pairs']} pairs, {t['steps']} steps x {t['batch_size']}, optimisation {t['train_seconds']} s, "
        f"whole training command {whole}"
    )
    print(f"encode: {ips:.0f} images/s (64x64), {tps:.0f} texts/s (median of 3)")


if __name__ == "__main__":
    main()
