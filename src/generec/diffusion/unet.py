"""The 2-D UNet backbone shared by the image and video denoisers.

A small UNet whose residual blocks are modulated by one embedding per sample
(adaptive group norm: a scale and shift computed from the diffusion step and the
condition vector). The condition can be "dropped" per sample, which swaps in a
learned null embedding: that is what classifier-free guidance trains and samples with.

With ``frames > 1`` the same network denoises clips *factorised* in space and time (as video
diffusion models since VDM do): its input is ``[B*T, C, H, W]``, every convolution sees one frame
with the full width, every residual block ends with attention across the ``T`` frames at each
pixel, and each frame's embedding also carries its position in the clip.

Example
-------
>>> net = UNet(UNetConfig(in_channels=3, out_channels=3, width=16, mults=(1, 2), cond_dim=4))
>>> x = torch.zeros(2, 3, 16, 16)
>>> net(x, torch.tensor([1, 500]), torch.zeros(2, 4), torch.tensor([True, False])).shape
torch.Size([2, 3, 16, 16])
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from generec.errors import ConfigError


@dataclass(frozen=True)
class UNetConfig:
    """Sizes of a :class:`UNet`. ``width`` is the channel count at full resolution."""

    in_channels: int = 3
    out_channels: int = 3
    width: int = 64
    mults: tuple[int, ...] = (1, 2, 2)
    blocks_per_level: int = 1
    cond_dim: int = 0
    attention: bool = True
    dropout: float = 0.0
    frames: int = 1
    """1: images (or clips folded into channels); T > 1: clips of T frames, factorised in space and time."""

    def validate(self) -> UNetConfig:
        if self.width < 8 or self.width % 8:
            raise ConfigError(f"UNet width must be a multiple of 8 (>= 8), got {self.width}")
        if not self.mults or min(self.mults) < 1:
            raise ConfigError(f"UNet mults must be positive integers, got {self.mults}")
        if self.blocks_per_level < 1 or self.cond_dim < 0:
            raise ConfigError("UNet needs blocks_per_level >= 1 and cond_dim >= 0")
        if self.frames < 1:
            raise ConfigError(f"UNet frames must be >= 1, got {self.frames}")
        return self

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "mults": list(self.mults)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> UNetConfig:
        return cls(**{**data, "mults": tuple(data["mults"])})  # type: ignore[arg-type]


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features of the (integer) diffusion step, ``[B, dim]``."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


def _groups(channels: int) -> int:
    return 8 if channels % 8 == 0 else 1


class ResBlock(nn.Module):
    """Two 3x3 convolutions; the second norm's scale and shift come from the embedding (AdaGN)."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, dropout: float, frames: int = 1) -> None:
        super().__init__()
        self.temporal = TemporalAttention(c_out) if frames > 1 else None
        self.norm1 = nn.GroupNorm(_groups(c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * c_out)
        self.norm2 = nn.GroupNorm(_groups(c_out), c_out)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        # Zero-init the last conv so each block starts as the identity: deep UNets train from step one.
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor, frames: int = 1) -> torch.Tensor:
        """``frames``: frames per clip in ``x`` (one frame: no attention across frames, an image step)."""
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(F.silu(emb))[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.skip(x) + self.conv2(self.dropout(F.silu(h)))
        return h if self.temporal is None or frames == 1 else self.temporal(h, frames)


class TemporalAttention(nn.Module):
    """Attention across the frames of each clip at every pixel: ``[B*T, C, H, W]`` in and out.

    The output projection starts at zero, so a new block begins as the identity."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.heads = max(1, channels // 32)
        self.norm = nn.GroupNorm(_groups(channels), channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.out = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, frames: int) -> torch.Tensor:
        bt, c, h, w = x.shape
        t, heads = frames, self.heads
        qkv = self.qkv(self.norm(x)).reshape(bt // t, t, 3, heads, c // heads, h * w)
        q, k, v = qkv.permute(2, 0, 5, 3, 1, 4).flatten(1, 3).unbind(0)  # each [B*HW*heads, T, c/heads]
        a = F.scaled_dot_product_attention(q, k, v)
        a = a.reshape(bt // t, h * w, heads, t, c // heads).permute(0, 3, 2, 4, 1).reshape(bt, c, h, w)
        return x + self.out(a)


class SelfAttention(nn.Module):
    """Single-head self-attention over pixels, used only at the lowest resolution where it is cheap."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(_groups(channels), channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.out = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        a = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        return x + self.out(a.transpose(1, 2).reshape(b, c, h, w))


class UNet(nn.Module):
    """A conditional UNet: ``(x_t, t, cond, keep) -> output`` of the same spatial size as ``x_t``.

    ``keep[b] = False`` replaces sample ``b``'s condition by the learned null embedding.
    Input height and width must be divisible by ``2 ** (len(mults) - 1)``.
    """

    def __init__(self, config: UNetConfig) -> None:
        super().__init__()
        self.config = c = config.validate()
        emb_dim = 4 * c.width
        self.time = nn.Sequential(nn.Linear(c.width, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.cond = nn.Linear(c.cond_dim, emb_dim) if c.cond_dim else None
        self.null = nn.Parameter(torch.zeros(emb_dim))
        self.frame_pos = nn.Parameter(torch.zeros(c.frames, emb_dim)) if c.frames > 1 else None
        self.stem = nn.Conv2d(c.in_channels, c.width, 3, padding=1)
        widths = [c.width * m for m in c.mults]
        self.down, self.up, skips = nn.ModuleList(), nn.ModuleList(), [c.width]
        prev = c.width
        for level, w in enumerate(widths):
            for _ in range(c.blocks_per_level):
                self.down.append(ResBlock(prev, w, emb_dim, c.dropout, c.frames))
                prev = w
                skips.append(w)
            if level < len(widths) - 1:
                self.down.append(nn.Conv2d(w, w, 3, stride=2, padding=1))
                skips.append(w)
        self.mid1 = ResBlock(prev, prev, emb_dim, c.dropout, c.frames)
        self.attn = SelfAttention(prev) if c.attention else nn.Identity()
        self.mid2 = ResBlock(prev, prev, emb_dim, c.dropout, c.frames)
        for level, w in reversed(list(enumerate(widths))):
            for _ in range(c.blocks_per_level + 1):
                self.up.append(ResBlock(prev + skips.pop(), w, emb_dim, c.dropout, c.frames))
                prev = w
            if level > 0:
                self.up.append(nn.Upsample(scale_factor=2, mode="nearest"))
        self.head = nn.Sequential(
            nn.GroupNorm(_groups(prev), prev), nn.SiLU(), nn.Conv2d(prev, c.out_channels, 3, padding=1)
        )

    def embed(self, t: torch.Tensor, cond: torch.Tensor | None, keep: torch.Tensor | None) -> torch.Tensor:
        emb = self.time(timestep_embedding(t, self.config.width))
        if self.cond is None or cond is None:
            return emb + self.null
        c = self.cond(cond)
        if keep is not None:
            c = torch.where(keep[:, None], c, self.null.expand_as(c))
        return emb + c

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        cond: torch.Tensor | None = None,
        keep: torch.Tensor | None = None,
        frame_index: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``x`` is ``[B, C, H, W]``, or ``[B*T, C, H, W]`` (clip-major) when factorised; ``t``, ``cond``,
        ``keep`` have one row per sample (per clip). ``frame_index`` (``[T]``, default ``0..T-1``) says
        which of the clip's ``config.frames`` frames the ``T`` given ones are (training on a subset)."""
        emb = self.embed(t, cond, keep)  # one per sample: per clip when factorised
        frames = x.shape[0] // emb.shape[0]
        if self.frame_pos is not None:
            if frame_index is None:
                frame_index = torch.arange(frames, device=x.device)
            if len(frame_index) != frames or int(frame_index.max()) >= self.config.frames:
                raise ConfigError(
                    f"frame_index {frame_index.tolist()} does not fit {frames} of {self.config.frames} frames"
                )
            emb = (emb[:, None] + self.frame_pos[frame_index][None]).flatten(0, 1)  # each frame knows its place
        h = self.stem(x)
        hs = [h]
        for layer in self.down:
            h = layer(h, emb, frames) if isinstance(layer, ResBlock) else layer(h)
            hs.append(h)
        h = self.mid2(self.attn(self.mid1(h, emb, frames)), emb, frames)
        for layer in self.up:
            h = layer(torch.cat([h, hs.pop()], dim=1), emb, frames) if isinstance(layer, ResBlock) else layer(h)
        return self.head(h)
