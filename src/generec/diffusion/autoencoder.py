"""A first-stage frame autoencoder: diffusion in its latent space instead of in pixels (latent diffusion).

Pixels are cheap to store and expensive to denoise: a UNet spends most of its work
on texture that a decoder can draw from a compact code. Rombach et al. (LDM, CVPR 2022)
show that at a fixed training budget a model denoising a 4x-downsampled latent beats one
denoising pixels; that is our situation on 2 CPU cores. The autoencoder here is per frame
(a video is coded frame by frame, and the video denoiser mixes frames), convolutional,
and trained with an L1 + MSE reconstruction loss on the latent with a little Gaussian
noise added, so the decoder forgives the small errors a sampler leaves in a latent.

``scale`` makes the latent roughly unit-variance over the training frames (the diffusion
schedules assume data of that size); :meth:`encode` applies it and :meth:`decode` undoes it.

Example
-------
>>> ae = FrameAutoencoder(AutoencoderConfig(size=16, latent_channels=4, width=16, downsample=2))
>>> z = ae.encode(torch.zeros(2, 3, 16, 16))
>>> z.shape, ae.decode(z).shape
(torch.Size([2, 4, 4, 4]), torch.Size([2, 3, 16, 16]))
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from generec.errors import ConfigError, DataError, ModelError

FORMAT = "generec-autoencoder/1"
CONFIG = "config.json"
WEIGHTS = "weights.pt"


@dataclass(frozen=True)
class AutoencoderConfig:
    """``size``-pixel frames to ``latent_channels`` x (size / 2**downsample)^2 latents.

    ``width`` is the channel count at full resolution; ``mults`` (one per resolution, full first,
    ``downsample + 1`` of them) widen the lower ones, so the costly full-resolution layers stay narrow
    (at 64 px they dominate the work); without ``mults`` every level has ``width`` channels.
    """

    size: int = 32
    latent_channels: int = 4
    width: int = 64
    downsample: int = 2
    noise: float = 0.1
    """Std of the Gaussian noise added to latents before decoding in training, as a fraction of their std."""
    mults: tuple[int, ...] | None = None

    def validate(self) -> AutoencoderConfig:
        if self.downsample < 1 or self.size % (2**self.downsample):
            raise ConfigError(f"frame size {self.size} must be divisible by 2**downsample = {2**self.downsample}")
        if self.latent_channels < 1 or self.width < 8 or self.width % 8:
            raise ConfigError("an autoencoder needs latent_channels >= 1 and a width that is a multiple of 8")
        if self.noise < 0:
            raise ConfigError(f"latent noise must be >= 0, got {self.noise}")
        if self.mults is not None and (len(self.mults) != self.downsample + 1 or min(self.mults) < 1):
            raise ConfigError(f"mults needs downsample + 1 = {self.downsample + 1} positive entries, got {self.mults}")
        return self

    @property
    def latent_size(self) -> int:
        return self.size // 2**self.downsample

    @property
    def widths(self) -> tuple[int, ...]:
        """Channels at each resolution, full resolution first."""
        return tuple(self.width * m for m in (self.mults or (1,) * (self.downsample + 1)))

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON would hold them; ``mults`` is left out when unset (configs written before it)."""
        data = asdict(self)
        if self.mults is None:
            del data["mults"]
        else:
            data["mults"] = list(self.mults)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AutoencoderConfig:
        mults = data.get("mults")
        return cls(**{**data, "mults": tuple(mults) if mults is not None else None})


class _Res(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.GroupNorm(8, channels), nn.SiLU(), nn.Conv2d(channels, channels, 3, padding=1),
            nn.GroupNorm(8, channels), nn.SiLU(), nn.Conv2d(channels, channels, 3, padding=1),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class FrameAutoencoder(nn.Module):
    """``encode``: frames ``[N, 3, H, W]`` in [-1, 1] -> scaled latents; ``decode``: the way back."""

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        self.config = c = config.validate()
        ws, low = c.widths, c.widths[-1]
        enc: list[nn.Module] = [nn.Conv2d(3, ws[0], 3, padding=1), _Res(ws[0])]
        dec: list[nn.Module] = [nn.Conv2d(c.latent_channels, low, 3, padding=1), _Res(low)]
        for level in range(c.downsample):
            enc += [nn.Conv2d(ws[level], ws[level + 1], 3, stride=2, padding=1), _Res(ws[level + 1])]
            a, b = ws[c.downsample - level], ws[c.downsample - level - 1]
            dec += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(a, b, 3, padding=1), _Res(b)]
        enc += [nn.GroupNorm(8, low), nn.SiLU(), nn.Conv2d(low, c.latent_channels, 3, padding=1)]
        dec += [nn.GroupNorm(8, ws[0]), nn.SiLU(), nn.Conv2d(ws[0], 3, 3, padding=1)]
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)
        self.register_buffer("scale", torch.ones(()))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Frames ``[..., 3, H, W]`` (any leading axes: images, or clips ``[B, T]``) -> ``[..., C, h, w]``."""
        return (self.encoder(x.flatten(0, -4)) * self.scale).unflatten(0, x.shape[:-3])

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``[..., C, h, w]`` -> frames ``[..., 3, H, W]``."""
        return self.decoder(z.flatten(0, -4) / self.scale).unflatten(0, z.shape[:-3])

    def save(self, directory: str | Path) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        (d / CONFIG).write_text(json.dumps({"format": FORMAT, **self.config.to_dict()}, indent=2), encoding="utf-8")
        torch.save(self.state_dict(), d / WEIGHTS)
        return d

    @classmethod
    def load(cls, directory: str | Path, device: str | torch.device = "cpu") -> FrameAutoencoder:
        d = Path(directory)
        try:
            data = json.loads((d / CONFIG).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"no autoencoder config in {d}: {exc}") from exc
        if data.pop("format", None) != FORMAT:
            raise ModelError(f"{d / CONFIG} is not a {FORMAT} config")
        ae = cls(AutoencoderConfig.from_dict(data))
        try:
            ae.load_state_dict(torch.load(d / WEIGHTS, map_location="cpu", weights_only=True))
        except (OSError, RuntimeError) as exc:
            raise ModelError(f"cannot load autoencoder weights from {d / WEIGHTS}: {exc}") from exc
        return ae.to(device).eval()


def edge_loss(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """L1 distance between the horizontal and vertical pixel differences of ``out`` and ``x`` (``[N, 3, H, W]``)."""
    dx = F.l1_loss(out[..., :, 1:] - out[..., :, :-1], x[..., :, 1:] - x[..., :, :-1])
    dy = F.l1_loss(out[..., 1:, :] - out[..., :-1, :], x[..., 1:, :] - x[..., :-1, :])
    return dx + dy


@dataclass(frozen=True)
class AutoencoderTraining:
    """Optimiser settings; the defaults trained ``demo-latent``'s 32x32 autoencoder in about 7 minutes."""

    steps: int = 2000
    batch_size: int = 64
    lr: float = 2e-3
    seed: int = 0
    edge_weight: float = 0.0
    """Weight of an L1 loss on the frames' horizontal and vertical differences: keeps a small subject's outline
    (what tells a cat from a dog at 64 px) where a pixel loss alone would trade it for a smoother average."""


def train_autoencoder(
    frames: np.ndarray,
    config: AutoencoderConfig,
    settings: AutoencoderTraining | None = None,
    *,
    progress: bool = True,
) -> tuple[FrameAutoencoder, dict[str, Any]]:
    """Fit an autoencoder to uint8 frames ``[N, H, W, 3]``; returns it (scale set) and a report.

    The report's ``check_mae`` is the mean absolute reconstruction error (0-1 pixel scale) on the 5%
    of the given frames left out of training; where the caller's rows repeat a clip (one row per liker),
    those frames may also be in training, so it measures fit more than generalisation.
    """
    s = settings or AutoencoderTraining()
    if s.steps < 1 or s.batch_size < 1 or s.lr <= 0:
        raise ConfigError(f"autoencoder training needs steps, batch_size >= 1 and lr > 0, got {s}")
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[1:] != (config.size, config.size, 3):
        raise DataError(f"autoencoder frames must be uint8 [N, {config.size}, {config.size}, 3], got {frames.shape}")
    if len(frames) < 20:
        raise DataError(f"an autoencoder needs at least 20 frames to learn from, got {len(frames)}")
    from tqdm.auto import tqdm

    from generec.diffusion.model import to_model_space  # model.py imports this module

    t0 = time.perf_counter()
    torch.manual_seed(s.seed)
    rng = np.random.default_rng(s.seed)
    order = rng.permutation(len(frames))
    held, train = order[: max(len(frames) // 20, 10)], order[max(len(frames) // 20, 10) :]
    ae = FrameAutoencoder(config)
    opt = torch.optim.AdamW(ae.parameters(), lr=s.lr, weight_decay=0.0)
    warm = max(1, s.steps // 20)  # a short warm-up, then cosine decay to zero
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min(1.0, (k + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(k / s.steps, 1.0)))
    )
    bar = tqdm(range(s.steps), desc="autoencoder", disable=not progress)
    for _ in bar:
        x = to_model_space(frames[rng.choice(train, s.batch_size)])
        z = ae.encoder(x)
        out = ae.decoder(z + config.noise * z.detach().std() * torch.randn_like(z))
        loss = F.l1_loss(out, x) + F.mse_loss(out, x)
        if s.edge_weight:
            loss = loss + s.edge_weight * edge_loss(out, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        bar.set_postfix(loss=f"{loss.item():.4f}")
    ae.eval()
    with torch.no_grad():
        z = torch.cat([ae.encoder(to_model_space(frames[c])) for c in np.array_split(train[:4096], 16)])
        ae.scale.fill_(1.0 / float(z.std()))
        x = to_model_space(frames[held])
        err = (ae.decode(ae.encode(x)) - x).abs().mean().item() / 2.0
    seconds = round(time.perf_counter() - t0, 1)
    return ae, {
        "check_mae": err,
        "check_frames": len(held),
        "train_frames": len(train),
        "seconds": seconds,
        **asdict(s),
    }
