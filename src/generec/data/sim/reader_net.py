"""The attribute reader's networks: frames folded into channels, plus branches that find a small subject.

Example
-------
>>> from generec.data.sim.reader import ReaderConfig
>>> net = build_reader_net(ReaderConfig(frames=16, size=64, width=16, arch="detail"))
>>> sorted(net(torch.zeros(2, 16, 3, 64, 64)))
['category', 'colour', 'motion', 'scene', 'size', 'style']
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from generec.data.sim.vocab import VOCAB
from generec.errors import ModelError

READ_ATTRIBUTES = ("category", "colour", "size", "motion", "scene", "style")
ARCHITECTURES = ("hybrid", "folded", "detail")


def _block(a: int, b: int, stride: int) -> list[nn.Module]:
    return [nn.Conv2d(a, b, 3, stride=stride, padding=1), nn.BatchNorm2d(b), nn.SiLU()]


class ReaderNet(nn.Module):
    """A clip branch (frames folded into channels: motion, scene, style) and, for ``hybrid``, a frame branch.

    The frame branch runs one 2D CNN on every frame without early downsampling and pools
    each frame by mean *and max* over space, then by mean and max over time: a subject that
    covers a few pixels still dominates one max-pooled channel.
    """

    def __init__(self, config: Any) -> None:
        super().__init__()
        w = config.width
        chans = [3 * config.frames, w, 2 * w, 4 * w, 4 * w]
        layers: list[nn.Module] = []
        for a, b in zip(chans[:-1], chans[1:], strict=True):
            layers += _block(a, b, 2 if a != chans[0] else 1)
        self.body = nn.Sequential(*layers)
        self.hybrid = config.arch == "hybrid"
        width = chans[-1] * (2 if self.hybrid else 1)
        if self.hybrid:
            c = max(8, w // 4)  # every other frame passes through it: keep it narrow
            self.frame = nn.Sequential(*_block(3, c, 1), *_block(c, 2 * c, 2), *_block(2 * c, 2 * c, 2))
            width += 8 * c
            self.mix = nn.Sequential(nn.Linear(width, 4 * w), nn.SiLU())
            width = 4 * w
        self.heads = nn.ModuleDict({a: nn.Linear(width, len(VOCAB[a])) for a in READ_ATTRIBUTES})

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.body(x.flatten(1, 2))
        if not self.hybrid:
            feat = h.mean((2, 3))
        else:
            frames = x[:, ::2]  # colour and shape do not need every frame; halves the cost
            b, t = frames.shape[:2]
            f = self.frame(frames.flatten(0, 1))
            f = torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1).view(b, t, -1)
            feat = torch.cat([h.mean((2, 3)), h.amax((2, 3)), f.mean(1), f.amax(1)], 1)
            feat = self.mix(feat)
        return {a: head(feat) for a, head in self.heads.items()}


class DetailReaderNet(nn.Module):
    """For 64 px clips: the folded clip branch at half resolution, a wider frame branch at full resolution.

    Motion, scene and style are whole-clip properties that survive halving the resolution; a
    small subject (a fifth of the frame) is not, so its category and colour come from
    ``detail_frames`` evenly spaced frames at full resolution, pooled by mean and max over
    space and time. The halved clip branch keeps the cost of a 64 px clip near that of a 32 px one.
    """

    detail_frames = 4

    def __init__(self, config: Any) -> None:
        super().__init__()
        if config.size % 2:
            raise ModelError(f"the detail reader halves its input; give it an even size, got {config.size}")
        w, c = config.width, max(16, config.width // 2)
        self.clip = nn.Sequential(
            *_block(3 * config.frames, w, 1), *_block(w, 2 * w, 2), *_block(2 * w, 4 * w, 2), *_block(4 * w, 4 * w, 2)
        )
        self.frame = nn.Sequential(
            *_block(3, c, 2), *_block(c, 2 * c, 1), *_block(2 * c, 2 * c, 2), *_block(2 * c, 4 * c, 1),
            *_block(4 * c, 4 * c, 2),
        )  # fmt: skip
        self.mix = nn.Sequential(nn.Linear(8 * w + 16 * c, 4 * w), nn.SiLU())
        self.heads = nn.ModuleDict({a: nn.Linear(4 * w, len(VOCAB[a])) for a in READ_ATTRIBUTES})

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        b, t = x.shape[:2]
        half = F.avg_pool2d(x.flatten(0, 1), 2).unflatten(0, (b, t))
        h = self.clip(half.flatten(1, 2))
        pick = torch.linspace(0, t - 1, min(self.detail_frames, t)).round().long()
        f = self.frame(x[:, pick].flatten(0, 1))
        f = torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1).unflatten(0, (b, len(pick)))
        feat = torch.cat([h.mean((2, 3)), h.amax((2, 3)), f.mean(1), f.amax(1)], 1)
        feat = self.mix(feat)
        return {a: head(feat) for a, head in self.heads.items()}


def build_reader_net(config: Any) -> nn.Module:
    """The network a :class:`~generec.data.sim.reader.ReaderConfig` names."""
    if config.arch not in ARCHITECTURES:
        raise ModelError(f"unknown reader architecture {config.arch!r}; use one of {', '.join(ARCHITECTURES)}")
    return DetailReaderNet(config) if config.arch == "detail" else ReaderNet(config)
