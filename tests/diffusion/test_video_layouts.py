"""The two video layouts: frames folded into channels, or factorised (frames as a batch, attention across them)."""

from __future__ import annotations

import pytest
import torch

from generec.diffusion import DiffusionModel, TrainingData, TrainSettings, fit
from generec.diffusion.model import DiffusionConfig
from generec.diffusion.video_denoiser import VideoDenoiser, VideoDenoiserConfig
from generec.errors import ConfigError


def _net(layout: str, **kw) -> VideoDenoiser:
    torch.manual_seed(0)
    cfg = VideoDenoiserConfig(frames=4, size=8, width=16, mults=(1, 2), cond_dim=3, layout=layout, **kw)
    net = VideoDenoiser(cfg)
    with torch.no_grad():  # the zero-initialised projections made live, so every path carries signal
        for p in net.parameters():
            if not p.abs().sum():
                p.normal_(0, 0.2)
    return net.eval()


@pytest.mark.parametrize("layout", ["folded", "factorised"])
def test_every_output_frame_sees_the_other_frames_and_the_known_ones(layout: str) -> None:
    net = _net(layout)
    x, t, c = torch.randn(2, 4, 3, 8, 8), torch.tensor([5, 700]), torch.randn(2, 3)
    base = net(x, t, c)
    assert base.shape == x.shape
    moved = x.clone()
    moved[:, 3] += 1.0
    assert (net(moved, t, c)[:, 0] - base[:, 0]).abs().max() > 1e-4  # frame 0 depends on frame 3
    # a known first frame (MCVD prefix) changes what the model predicts
    known, mask = torch.randn_like(x), torch.zeros(2, 4, dtype=torch.bool)
    mask[:, 0] = True
    assert (net(x, t, c, known=known, mask=mask) - base).abs().max() > 1e-4
    # clips are independent of each other in the batch
    assert torch.allclose(net(x[:1], t[:1], c[:1]), base[:1], atol=1e-5)


def test_factorised_frames_get_the_full_width_and_folded_configs_load_as_before() -> None:
    wide = VideoDenoiserConfig(frames=16, size=8, channels=4, width=16, mults=(1, 2), layout="factorised")
    assert wide.validate().unet().in_channels == 4 + 5 and wide.unet().frames == 16  # per frame: x, known, mask
    with pytest.raises(ConfigError, match="channels x frames"):
        VideoDenoiserConfig(frames=16, size=8, channels=4, width=16, mults=(1, 2)).validate()
    with pytest.raises(ConfigError, match="layout"):
        VideoDenoiserConfig(frames=4, size=8, width=16, mults=(1, 2), layout="diagonal").validate()
    old = VideoDenoiserConfig(frames=4, size=8, width=16, mults=(1, 2)).to_dict()
    old.pop("layout")  # a config written before layouts existed
    assert VideoDenoiserConfig.from_dict(old).layout == "folded"


def test_a_tiny_factorised_model_learns_one_clip() -> None:
    shape = VideoDenoiserConfig(frames=4, size=8, width=16, mults=(1, 2), layout="factorised")
    m = DiffusionModel(DiffusionConfig("video", shape, ema_decay=0.9), seed=0)
    g = torch.Generator().manual_seed(0)
    clip = (torch.rand(1, 4, 3, 8, 8, generator=g) > 0.5).float() * 2 - 1
    data = TrainingData(((clip + 1) * 127.5).permute(0, 1, 3, 4, 2).byte().numpy())
    err = lambda: (m.sample(None, n=1, steps=10, seed=0) - clip).abs().mean().item()  # noqa: E731
    before = err()
    fit(m, data, TrainSettings(steps=150, batch_size=8, lr=5e-3, warmup=10), progress=False)
    assert err() < 0.5 * before
