"""Training: the denoising loss (epsilon or v), condition dropout, known-frame masks, and a resumable loop.

Example
-------
>>> import numpy as np
>>> from generec.diffusion.model import DiffusionConfig, DiffusionModel
>>> from generec.diffusion.image_denoiser import ImageDenoiserConfig
>>> m = DiffusionModel(DiffusionConfig("image", ImageDenoiserConfig(size=8, width=8, mults=(1,))))
>>> data = TrainingData(np.zeros((4, 8, 8, 3), np.uint8))
>>> fit(m, data, TrainSettings(steps=2, batch_size=2), progress=False)["step"]
2
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from generec.diffusion.model import DiffusionModel, to_model_space
from generec.errors import ConfigError, DataError, ModelError

TRAINER_STATE = "trainer.pt"
LATENTS = "latents.pt"
"""A latent model's training rows, encoded once and kept beside its checkpoint (keyed by data and first stage)."""


@dataclass(frozen=True)
class TrainSettings:
    """Optimiser and loop settings. ``max_minutes`` stops early (and saves) after that much wall time.

    ``stop_at`` stops (and saves) at that step without changing the learning-rate schedule, which
    runs to ``steps``: a time-cut run can be replayed exactly by step count.

    ``window`` trains a factorised video model on that many of each clip's frames per step (an
    ordered random subset, each frame told its place): 1 is an image step that teaches the subject's
    look at a sixteenth of a 16-frame step's cost, a few frames teach motion, none (all frames)
    the whole clip. A training that goes on with another window resumes like any other.
    """

    steps: int = 2000
    batch_size: int = 32
    lr: float = 2e-4
    warmup: int = 100
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    seed: int = 0
    checkpoint_every: int = 500
    max_minutes: float | None = None
    stop_at: int | None = None
    window: int | None = None

    def validate(self) -> TrainSettings:
        if self.steps < 1 or self.batch_size < 1:
            raise ConfigError(f"steps and batch_size must be >= 1 (got {self.steps}, {self.batch_size})")
        if self.lr <= 0:
            raise ConfigError(f"learning rate must be positive, got {self.lr}")
        if self.stop_at is not None and self.stop_at < 1:
            raise ConfigError(f"stop_at must be a step >= 1, got {self.stop_at}")
        if self.window is not None and self.window < 1:
            raise ConfigError(f"window must be at least one frame, got {self.window}")
        return self


class TrainingData:
    """Samples to learn from: uint8 pixels ``[N, (T,) H, W, 3]`` and optional conditions ``[N, D]``.

    Kept as uint8 in memory (a 32x32x8 clip is 24 KB) and turned into [-1, 1] floats per batch.
    """

    def __init__(self, pixels: np.ndarray, cond: np.ndarray | None = None) -> None:
        if pixels.dtype != np.uint8 or pixels.ndim < 4 or pixels.shape[-1] != 3 or len(pixels) == 0:
            raise DataError(f"training pixels must be a non-empty uint8 [N, ..., H, W, 3] array, got {pixels.shape}")
        if cond is not None and (cond.ndim != 2 or len(cond) != len(pixels)):
            raise DataError(f"conditions must be [N={len(pixels)}, D], got {None if cond is None else cond.shape}")
        self.pixels = pixels
        self.cond = None if cond is None else np.asarray(cond, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.pixels)

    def batch(self, index: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = to_model_space(self.pixels[index]).to(device)
        c = None if self.cond is None else torch.from_numpy(self.cond[index]).to(device)
        return x, c

    def encoded(self, model: DiffusionModel, chunk: int = 64, progress: bool = False) -> LatentData:
        """These rows in ``model``'s latent space, encoded once (a latent model trains on latents)."""
        starts = tqdm(range(0, len(self), chunk), desc="encoding rows", disable=not progress, leave=False)
        z = [model.encode(to_model_space(self.pixels[i : i + chunk])).cpu().half() for i in starts]
        return LatentData(torch.cat(z), self.cond)

    def fingerprint(self, model: DiffusionModel) -> str:
        """A key of these pixels and ``model``'s first stage: equal keys, equal latents."""
        h = hashlib.blake2b(digest_size=16)
        h.update(str(self.pixels.shape).encode())
        h.update(np.ascontiguousarray(self.pixels).data)
        for name, t in sorted(model.autoencoder.state_dict().items()) if model.autoencoder is not None else ():
            h.update(name.encode())
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
        return h.hexdigest()


class LatentData:
    """Rows already encoded by a latent model's autoencoder: float16 latents and conditions."""

    def __init__(self, latents: torch.Tensor, cond: np.ndarray | None) -> None:
        self.latents, self.cond = latents, cond

    def __len__(self) -> int:
        return len(self.latents)

    def batch(self, index: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = self.latents[torch.from_numpy(index)].float().to(device)
        c = None if self.cond is None else torch.from_numpy(self.cond[index]).to(device)
        return x, c


def known_frame_mask(batch: int, frames: int, p_known: float, gen: torch.Generator) -> torch.Tensor:
    """Per-sample masks for MCVD training: none known, a known prefix (prediction) or both ends (interpolation)."""
    mask = torch.zeros(batch, frames, dtype=torch.bool)
    if frames < 2:
        return mask
    use = torch.rand(batch, generator=gen) < p_known
    for b in torch.nonzero(use).flatten().tolist():
        k = int(torch.randint(1, frames, (1,), generator=gen))
        mask[b, :k] = True
        if torch.rand(1, generator=gen).item() < 0.5 and k < frames - 1:  # interpolation: also a known tail
            tail = int(torch.randint(1, frames - k, (1,), generator=gen))
            mask[b, frames - tail :] = True
    return mask


def diffusion_loss(
    model: DiffusionModel,
    x0: torch.Tensor,
    cond: torch.Tensor | None,
    gen: torch.Generator,
    frame_index: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean squared error of the denoiser's epsilon/v output at uniformly drawn steps.

    Conditions are dropped with probability ``p_uncond`` (classifier-free guidance);
    for videos, known frames are shown with probability ``p_known`` and excluded from the loss.
    ``frame_index``: which of a factorised model's frames ``x0`` holds (see ``TrainSettings.window``).
    """
    cfg, dev, n = model.config, x0.device, x0.shape[0]
    t = torch.randint(0, model.schedule.steps, (n,), generator=gen).to(dev)
    noise = torch.randn(x0.shape, generator=gen).to(dev)
    x_t = model.schedule.q_sample(x0, t, noise)
    keep = (torch.rand(n, generator=gen) >= cfg.p_uncond).to(dev) if cond is not None else None
    weight = torch.ones(x0.shape[:2] if cfg.denoiser == "video" else (n, 1), device=dev)
    kw: dict[str, torch.Tensor] = {}
    if cfg.denoiser == "video" and cfg.shape.known_frames:
        mask = known_frame_mask(n, x0.shape[1], cfg.p_known, gen).to(dev)
        kw = {"known": x0, "mask": mask}
        weight = (~mask).float()
    if frame_index is not None:
        kw["frame_index"] = frame_index
    out = model.net(x_t, t, cond, keep, **kw)
    err = (out - model.schedule.target(cfg.prediction, x0, noise, t)).pow(2)
    err = err.flatten(2).mean(2) if cfg.denoiser == "video" else err.flatten(1).mean(1, keepdim=True)
    return (err * weight).sum() / weight.sum().clamp(min=1.0)


def _window(model: DiffusionModel, window: int | None, shape: tuple[int, ...], rng: np.random.Generator,
            device: torch.device) -> torch.Tensor | None:  # fmt: skip
    """The frames of this step's clips to train on (``None``: all of them)."""
    if window is None or model.config.denoiser != "video" or window >= shape[1]:
        return None
    if getattr(model.config.shape, "layout", "folded") != "factorised":
        raise ConfigError("training on a window of frames needs a factorised video model (layout='factorised')")
    return torch.from_numpy(np.sort(rng.choice(shape[1], size=window, replace=False))).to(device)


def _lr_at(step: int, s: TrainSettings) -> float:
    if step < s.warmup:
        return s.lr * (step + 1) / s.warmup
    progress = (step - s.warmup) / max(1, s.steps - s.warmup)
    return s.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def _save(model: DiffusionModel, opt: torch.optim.Optimizer, out: Path, state: dict[str, Any]) -> None:
    model.save(out, extra={"train": state})
    torch.save({"optimizer": opt.state_dict(), "state": state}, out / TRAINER_STATE)


def _latents(model: DiffusionModel, data: TrainingData, out: Path | None, progress: bool) -> LatentData:
    """``data`` encoded by ``model``'s first stage; with ``out``, read from or written to ``out/latents.pt``."""
    if out is None:
        return data.encoded(model, progress=progress)
    key, path = data.fingerprint(model), out / LATENTS
    if path.is_file():
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if saved.get("key") == key:
            return LatentData(saved["latents"], data.cond)
    latents = data.encoded(model, progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"key": key, "latents": latents.latents}, tmp)
    tmp.replace(path)
    return latents


def _resume(model: DiffusionModel, opt: torch.optim.Optimizer, out: Path) -> dict[str, Any] | None:
    path = out / TRAINER_STATE
    if not path.is_file():
        return None
    saved = DiffusionModel.load(out, device=model.device)
    if saved.config.to_dict() != model.config.to_dict():
        raise ModelError(f"the checkpoint in {out} has another configuration; use a new --out or the same settings")
    model.net.load_state_dict(saved.net.state_dict())
    model.ema.model.load_state_dict(saved.ema.model.state_dict())
    model.ema.updates = saved.ema.updates
    ckpt = torch.load(path, map_location=model.device, weights_only=True)
    opt.load_state_dict(ckpt["optimizer"])
    return dict(ckpt["state"])


def fit(
    model: DiffusionModel,
    data: TrainingData | LatentData,
    settings: TrainSettings,
    out: str | Path | None = None,
    *,
    resume: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """Train ``model`` in place on ``data``; checkpoint to ``out`` and resume from it if it holds one.

    Batches and noise are drawn from generators seeded with ``(seed, step)``, so a resumed
    run sees the same batches as an uninterrupted one. Returns the training state
    (``step``, ``losses`` every 10 steps, ``seconds``, ``clips_per_s``).
    """
    s = settings.validate()
    if model.config.cond_dim and data.cond is None:
        raise DataError("this model is conditional; give TrainingData conditions")
    out_dir = None if out is None else Path(out)
    if model.autoencoder is not None and isinstance(data, TrainingData):
        data = _latents(model, data, out_dir, progress)
    opt = torch.optim.AdamW(model.net.parameters(), lr=s.lr, weight_decay=s.weight_decay)
    state: dict[str, Any] = {"step": 0, "losses": [], "seconds": 0.0, "settings": asdict(s)}
    if out_dir is not None and resume:
        resumed = _resume(model, opt, out_dir)
        before = None if resumed is None else resumed.get("settings")
        if before is not None and before != state["settings"]:
            # A resumed run may change the schedule's length or the stop: keep what each part ran with.
            earlier = [*resumed.get("earlier_settings", []), {"until_step": resumed["step"], **before}]
            resumed = {**resumed, "settings": state["settings"], "earlier_settings": earlier}
        state = resumed or state
        state["base_seconds"] = state.get("seconds", 0.0)
    model.net.train()
    t0, start_step = time.perf_counter(), state["step"]
    bar = tqdm(total=s.steps, initial=start_step, desc="diffusion", disable=not progress, unit="step")
    while state["step"] < min(s.steps, s.stop_at or s.steps):
        step = state["step"]
        rng = np.random.default_rng([s.seed, step])
        x0, cond = data.batch(rng.integers(len(data), size=s.batch_size), model.device)
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        for group in opt.param_groups:
            group["lr"] = _lr_at(step, s)
        frame_index = _window(model, s.window, x0.shape, rng, model.device)
        if frame_index is not None:
            x0 = x0[:, frame_index]
        loss = diffusion_loss(model, x0, cond, gen, frame_index)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.net.parameters(), s.grad_clip)
        opt.step()
        model.ema.update(model.net)
        state["step"] = step + 1
        if step % 10 == 0:
            state["losses"].append([step, round(loss.item(), 5)])
            bar.set_postfix(loss=f"{loss.item():.4f}")
        bar.update(1)
        elapsed = time.perf_counter() - t0
        done = state["step"] >= min(s.steps, s.stop_at or s.steps) or (
            s.max_minutes is not None and elapsed > 60 * s.max_minutes
        )
        if out_dir is not None and (done or state["step"] % s.checkpoint_every == 0):
            _save(model, opt, out_dir, _finish(state, elapsed, start_step, s))
        if done:
            break
    bar.close()
    model.net.eval()
    return _finish(state, time.perf_counter() - t0, start_step, s)


def _finish(state: dict[str, Any], elapsed: float, start_step: int, s: TrainSettings) -> dict[str, Any]:
    state = dict(state)
    state["seconds"] = round(float(state.get("base_seconds", 0.0)) + elapsed, 2)
    done = state["step"] - start_step
    state["clips_per_s"] = round(done * s.batch_size / max(elapsed, 1e-9), 2)
    return json.loads(json.dumps(state))
