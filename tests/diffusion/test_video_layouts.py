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


def _factorised_model() -> DiffusionModel:
    shape = VideoDenoiserConfig(frames=4, size=8, width=16, mults=(1, 2), layout="factorised")
    return DiffusionModel(DiffusionConfig("video", shape, ema_decay=0.9), seed=0)


def _clips(n: int = 6):
    import numpy as np

    return TrainingData(np.random.default_rng(0).integers(0, 256, (n, 4, 8, 8, 3), dtype=np.uint8))


def test_window_one_is_an_image_step_that_leaves_the_temporal_layers_alone() -> None:
    m = _factorised_model()
    temporal = {k: v.clone() for k, v in m.net.state_dict().items() if "temporal" in k}
    spatial = {k: v.clone() for k, v in m.net.state_dict().items() if "conv1" in k}
    fit(m, _clips(), TrainSettings(steps=3, batch_size=2, warmup=1, window=1), progress=False)
    after = m.net.state_dict()
    assert all(torch.equal(after[k], v) for k, v in temporal.items())
    assert any(not torch.equal(after[k], v) for k, v in spatial.items())
    fit(m, _clips(), TrainSettings(steps=6, batch_size=2, warmup=1, window=2), progress=False)  # goes on: motion
    assert any(not torch.equal(m.net.state_dict()[k], v) for k, v in temporal.items())


def test_windows_need_a_factorised_model_and_frame_indices_must_fit() -> None:
    folded = DiffusionModel(DiffusionConfig("video", VideoDenoiserConfig(frames=4, size=8, width=16, mults=(1, 2))))
    with pytest.raises(ConfigError, match="factorised"):
        fit(folded, _clips(), TrainSettings(steps=1, batch_size=2, window=2), progress=False)
    with pytest.raises(ConfigError, match="window"):
        TrainSettings(window=0).validate()
    net = _factorised_model().net
    x, t = torch.randn(1, 2, 3, 8, 8), torch.tensor([3])
    assert net(x, t, frame_index=torch.tensor([0, 3])).shape == x.shape
    with pytest.raises(ConfigError, match="frame_index"):
        net(x, t, frame_index=torch.tensor([0, 4]))
