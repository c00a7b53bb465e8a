"""Benchmark: time to sample one 16-frame clip with DDIM at the demo resolution, vs DDPM-1000, same run.

The demo video model (preset ``demo``: 8-frame window, 32x32 px, ~2.5 M parameters, condition of
instruction + User_Hist, classifier-free guidance 3 so every step is a batched pair of forwards)
makes 16 frames as three MCVD windows (8 + 6 + 6 frames, 2 known frames of overlap). Sampling time
does not depend on what the weights learned, so a freshly initialised model is timed unless
``--model`` names a trained one. Medians of ``--repeats`` runs; DDPM-1000 runs once (it is slow).

    python bench/bench_diffusion.py                    # DDIM-25 vs DDPM-1000, 1 thread
    python bench/bench_diffusion.py --threads 1 --ddim-steps 10 --skip-ddpm
    python bench/bench_diffusion.py --preset demo-latent --skip-ddpm   # the latent preset (32x32 px)
    python bench/bench_diffusion.py --preset demo-64 --baseline demo-latent --skip-ddpm --threads 2
    python bench/bench_diffusion.py --model W/creation --baseline demo-latent --skip-ddpm --threads 2 --torch-row

Sampling runs the denoiser through ONNX Runtime (``generec.diffusion.onnx_runtime``); ``--torch-row``
also times the same clip with eager PyTorch (``GENEREC_SAMPLER=torch``) and prints the ratio.

With ``--baseline PRESET`` a fresh model of that preset is timed in the same run and the ratio printed
(the 64 px preset against the 32 px one it replaces). Targets: a 16-frame clip with DDIM in <= 10 s
(32 px presets) and <= 3 s at 64 px, on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

from generec.creator import VideoCreator
from generec.diffusion import DiffusionModel
from generec.diffusion.conditions import ConditionSpec
from generec.diffusion.presets import video_config
from generec.types import Guidance


def demo_creator(model_dir: str | None, steps: int, preset: str = "demo") -> VideoCreator:
    if model_dir:
        return VideoCreator.load(model_dir, None, steps=steps)
    spec = ConditionSpec((("instruction", 128), ("user_hist", 128)))
    model = DiffusionModel(video_config(preset, spec.dim, {"condition": spec.to_dict(), "guidance": "user_hist"}))
    return VideoCreator(model, None, steps=steps)


def g_for(creator: VideoCreator, rng: np.random.Generator) -> Guidance:
    """The instruction and the first user part, each at the size this model takes (joint models have two)."""
    parts = dict(creator.spec.parts[:2])
    return Guidance(**{("instruction_emb" if n == "instruction" else n): rng.normal(size=d) for n, d in parts.items()})


def timed(fn, repeats: int) -> tuple[float, np.ndarray]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="A trained video model directory (default: fresh demo weights).")
    ap.add_argument("--preset", default="demo", help="Model preset of the fresh model (ignored with --model).")
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--ddim-steps", type=int, default=25)
    ap.add_argument("--guidance", type=float, default=3.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy shared machine).")
    ap.add_argument("--skip-ddpm", action="store_true")
    ap.add_argument("--torch-row", action="store_true", help="Also time DDIM with eager PyTorch (no ONNX Runtime).")
    ap.add_argument("--baseline", default=None, help="Also time a fresh model of this preset; print the ratio.")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    creator = demo_creator(args.model, args.ddim_steps, args.preset)
    rng = np.random.default_rng(0)
    g = g_for(creator, rng)
    config = creator.model.config
    size = config.pixel_size
    latent = (
        "" if config.autoencoder is None else f" (denoised as {config.shape.channels} x {config.shape.size}^2 latents)"
    )
    print(
        f"model: {creator.model.parameters_count():,} parameters, window {config.shape.frames} frames at "
        f"{size}x{size}{latent}, torch threads {torch.get_num_threads()}, guidance {args.guidance}"
    )
    creator.create(g, frames=args.frames, steps=2, guidance_scale=args.guidance)  # warm-up
    windows = 1 + max(0, -(-(args.frames - config.shape.frames) // (config.shape.frames - 2)))
    print(f"one {args.frames}-frame clip, {size}x{size} px ({windows} MCVD window(s) of {config.shape.frames} frames)")
    print(f"{'sampler':<10} {'seconds':>9} {'vs DDIM':>8} {'target':>7}", flush=True)
    t_ddim, clip = timed(lambda: creator.create(g, frames=args.frames, guidance_scale=args.guidance), args.repeats)
    assert clip.shape[1] == args.frames
    target = "<= 3" if size >= 64 else "<= 10"
    print(f"{'DDIM-' + str(args.ddim_steps):<10} {t_ddim:>9.2f} {1.0:>7.1f}x {target:>7}", flush=True)
    if args.torch_row:
        os.environ["GENEREC_SAMPLER"] = "torch"
        t_torch, _ = timed(lambda: creator.create(g, frames=args.frames, guidance_scale=args.guidance), args.repeats)
        del os.environ["GENEREC_SAMPLER"]
        print(f"{'PyTorch':<10} {t_torch:>9.2f} {t_torch / t_ddim:>7.1f}x  (the same DDIM-{args.ddim_steps} in eager "
              f"PyTorch; ONNX Runtime is {t_torch / t_ddim:.2f}x faster)", flush=True)  # fmt: skip
    if args.baseline:
        base = demo_creator(None, args.ddim_steps, args.baseline)
        base.create(g_for(base, rng), frames=args.frames, steps=2, guidance_scale=args.guidance)  # warm-up
        t_base, _ = timed(lambda: base.create(g_for(base, rng), frames=args.frames, guidance_scale=args.guidance),
                          args.repeats)  # fmt: skip
        px = base.model.config.pixel_size
        print(f"{'baseline':<10} {t_base:>9.2f} {t_base / t_ddim:>7.1f}x  (preset {args.baseline}, {px}x{px} px, "
              f"DDIM-{args.ddim_steps}); {args.model or args.preset} takes {t_ddim / t_base:.2f}x its time",
              flush=True)  # fmt: skip
    if not args.skip_ddpm:
        t_ddpm, _ = timed(
            lambda: creator.create(g, frames=args.frames, guidance_scale=args.guidance, sampler="ddpm"), 1
        )
        name = f"DDPM-{creator.model.schedule.steps}"
        print(f"{name:<10} {t_ddpm:>9.2f} {t_ddpm / t_ddim:>7.1f}x {'':>7}", flush=True)


if __name__ == "__main__":
    main()
