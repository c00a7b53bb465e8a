"""The video denoiser: a clip folded into channels or factorised in space and time, plus MCVD-style
masked conditioning on known frames.

``layout="folded"``: a clip ``[B, T, C, H, W]`` is folded into ``[B, CT, H, W]`` and denoised by
one 2-D :class:`~generec.diffusion.unet.UNet`, so every convolution mixes all frames at once. It
trains fast, but the full-resolution layer shares ``width`` channels among all ``T`` frames: at
16 frames of 4 latent channels and width 80 (five channels a frame) the model learns colour, scene
and style and never the shape of the subject, and cannot even carry a given first frame's subject
into the next frames (measured on the world's 64 px clips).

``layout="factorised"``: the frames go through the UNet as a batch ``[B*T, C, H, W]`` (every frame
gets the full width), each residual block ends with attention across the frames, and each frame's
embedding carries its position (:class:`~generec.diffusion.unet.TemporalAttention`). It costs about
``T`` times the folded layout per clip at the same width, so it runs narrower.

Masked conditioning (MCVD): the network also sees the known frames (zeros where
unknown) and a per-frame mask, so one model generates from scratch (mask all 0),
predicts the future (a known prefix) or interpolates (known both ends).

Example
-------
>>> cfg = VideoDenoiserConfig(frames=4, size=16, width=16, mults=(1, 2), cond_dim=8)
>>> net = VideoDenoiser(cfg)
>>> x = torch.zeros(2, 4, 3, 16, 16)
>>> net(x, torch.tensor([3, 700]), torch.zeros(2, 8)).shape
torch.Size([2, 4, 3, 16, 16])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from generec.diffusion.unet import UNet, UNetConfig
from generec.errors import ConfigError

LAYOUTS = ("folded", "factorised")


@dataclass(frozen=True)
class VideoDenoiserConfig:
    """Shape and size of a :class:`VideoDenoiser`.

    ``width`` must be at least ``channels * frames``: the full-resolution layer carries every
    frame's channels, and a narrower one was measured to blur motion away. ``channels`` is 3
    for pixels, or the latent channels of a first-stage autoencoder (latent diffusion).
    """

    frames: int = 8
    size: int = 32
    width: int = 64
    mults: tuple[int, ...] = (1, 2, 2)
    blocks_per_level: int = 1
    cond_dim: int = 0
    known_frames: bool = True
    attention: bool = True
    channels: int = 3
    layout: str = "folded"
    """``folded`` (frames in channels) or ``factorised`` (frames as a batch, attention across them)."""

    def validate(self) -> VideoDenoiserConfig:
        if self.frames < 1:
            raise ConfigError(f"a video denoiser needs frames >= 1, got {self.frames}")
        if self.channels < 1:
            raise ConfigError(f"a video denoiser needs channels >= 1, got {self.channels}")
        if self.layout not in LAYOUTS:
            raise ConfigError(f"unknown video layout {self.layout!r}; choose one of {', '.join(LAYOUTS)}")
        if self.layout == "folded" and self.width < self.channels * self.frames:
            raise ConfigError(
                f"width {self.width} is below channels x frames = {self.channels * self.frames}; "
                "raise width to at least that"
            )
        factor = 2 ** (len(self.mults) - 1)
        if self.size % factor:
            raise ConfigError(f"size {self.size} must be divisible by {factor} for {len(self.mults)} UNet levels")
        return self

    def unet(self) -> UNetConfig:
        c, t = self.channels, self.frames
        per_frame = self.layout == "factorised"
        extra = (c + 1) if self.known_frames else 0  # per frame: the known frame (c) + its mask (1)
        return UNetConfig(
            in_channels=(c + extra) * (1 if per_frame else t),
            out_channels=c * (1 if per_frame else t),
            frames=t if per_frame else 1,
            width=self.width,
            mults=self.mults,
            blocks_per_level=self.blocks_per_level,
            cond_dim=self.cond_dim,
            attention=self.attention,
        )

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return (self.frames, self.channels, self.size, self.size)

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "mults": list(self.mults)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> VideoDenoiserConfig:
        return cls(**{**data, "mults": tuple(data["mults"])})  # type: ignore[arg-type]


class VideoDenoiser(nn.Module):
    """``(x_t [B,T,C,H,W], t [B], cond [B,D]?, keep [B]?, known [B,T,C,H,W]?, mask [B,T]?) -> [B,T,C,H,W]``."""

    kind = "video"

    def __init__(self, config: VideoDenoiserConfig) -> None:
        super().__init__()
        self.config = config.validate()
        self.net = UNet(config.unet())

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        cond: torch.Tensor | None = None,
        keep: torch.Tensor | None = None,
        known: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        frame_index: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``frame_index``: which of the model's frames ``x`` holds (a factorised model trained on a subset)."""
        b, f, c, h, w = x.shape
        inputs = [x]
        if self.config.known_frames:
            if known is None or mask is None:
                known, mask = torch.zeros_like(x), x.new_zeros(b, f)
            m = mask.to(x.dtype)[:, :, None, None, None]
            inputs += [known * m, m.expand(b, f, 1, h, w)]
        if self.config.layout == "factorised":  # frames as a batch: [B*T, C', H, W]
            frames = torch.cat(inputs, dim=2).flatten(0, 1)
            return self.net(frames, t, cond, keep, frame_index).reshape(b, f, c, h, w)
        if frame_index is not None:
            raise ConfigError("only a factorised video model takes a subset of its frames")
        folded = torch.cat([part.reshape(b, -1, h, w) for part in inputs], dim=1)  # [B, T*C', H, W] per part
        return self.net(folded, t, cond, keep).reshape(b, f, c, h, w)
