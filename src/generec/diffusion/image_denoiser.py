"""The image denoiser: a conditional 2-D UNet on ``[B, 3, H, W]`` (thumbnails and covers).

Example
-------
>>> net = ImageDenoiser(ImageDenoiserConfig(size=16, width=16, mults=(1, 2), cond_dim=8))
>>> net(torch.zeros(2, 3, 16, 16), torch.tensor([0, 999]), torch.zeros(2, 8)).shape
torch.Size([2, 3, 16, 16])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from generec.diffusion.unet import UNet, UNetConfig
from generec.errors import ConfigError


@dataclass(frozen=True)
class ImageDenoiserConfig:
    """Shape and size of an :class:`ImageDenoiser`."""

    size: int = 32
    width: int = 32
    mults: tuple[int, ...] = (1, 2, 2)
    blocks_per_level: int = 1
    cond_dim: int = 0
    attention: bool = True
    channels: int = 3
    """3 for pixels, or the latent channels of a first-stage autoencoder (latent diffusion)."""

    def validate(self) -> ImageDenoiserConfig:
        if self.channels < 1:
            raise ConfigError(f"an image denoiser needs channels >= 1, got {self.channels}")
        factor = 2 ** (len(self.mults) - 1)
        if self.size % factor:
            raise ConfigError(f"size {self.size} must be divisible by {factor} for {len(self.mults)} UNet levels")
        return self

    def unet(self) -> UNetConfig:
        c = self.channels
        return UNetConfig(c, c, self.width, self.mults, self.blocks_per_level, self.cond_dim, self.attention)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return (self.channels, self.size, self.size)

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "mults": list(self.mults)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ImageDenoiserConfig:
        return cls(**{**data, "mults": tuple(data["mults"])})  # type: ignore[arg-type]


class ImageDenoiser(nn.Module):
    """``(x_t [B,C,H,W], t [B], cond [B,D]?, keep [B]?) -> [B,C,H,W]``; ``known``/``mask`` are ignored."""

    kind = "image"

    def __init__(self, config: ImageDenoiserConfig) -> None:
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
    ) -> torch.Tensor:
        return self.net(x, t, cond, keep)
