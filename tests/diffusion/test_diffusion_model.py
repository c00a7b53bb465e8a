"""Denoisers, guidance, EMA, checkpoints and the training loop, on tiny real models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generec.diffusion import (
    EMA,
    DiffusionConfig,
    DiffusionModel,
    ImageDenoiserConfig,
    TrainingData,
    TrainSettings,
    VideoDenoiserConfig,
    diffusion_loss,
    fit,
    known_frame_mask,
    to_model_space,
    to_pixels,
)
from generec.errors import ConfigError, DataError, ModelError


def tiny_video(cond_dim: int = 4, prediction: str = "v") -> DiffusionModel:
    shape = VideoDenoiserConfig(frames=4, size=8, width=16, mults=(1, 2), cond_dim=cond_dim)
    return DiffusionModel(DiffusionConfig("video", shape, prediction=prediction, ema_decay=0.9), seed=0)


def test_video_and_image_denoisers_keep_shapes() -> None:
    m = tiny_video()
    x = torch.randn(3, 4, 3, 8, 8)
    out = m.net(x, torch.tensor([0, 10, 998]), torch.randn(3, 4), torch.tensor([True, False, True]))
    assert out.shape == x.shape
    img = DiffusionModel(DiffusionConfig("image", ImageDenoiserConfig(size=8, width=8, mults=(1, 2), cond_dim=2)))
    assert img.sample(torch.zeros(5, 2), steps=2).shape == (5, 3, 8, 8)


def test_configs_are_validated() -> None:
    with pytest.raises(ConfigError, match="channels x frames"):
        VideoDenoiserConfig(frames=8, width=16).validate()
    with pytest.raises(ConfigError, match="divisible"):
        VideoDenoiserConfig(frames=2, size=10, width=8, mults=(1, 2, 2)).validate()
    with pytest.raises(ConfigError, match="prediction"):
        DiffusionConfig(shape=VideoDenoiserConfig(frames=2, size=8, width=8, mults=(1,)), prediction="x0").validate()
    with pytest.raises(ConfigError, match="needs a"):
        DiffusionConfig("image", VideoDenoiserConfig(frames=2, size=8, width=8, mults=(1,))).validate()


def test_condition_dropout_swaps_in_the_null_embedding() -> None:
    m = tiny_video()
    t = torch.tensor([5, 5])
    c = torch.randn(2, 4)
    dropped = m.net.net.embed(t, c, torch.tensor([False, False]))
    other = m.net.net.embed(t, torch.randn(2, 4), torch.tensor([False, False]))
    kept = m.net.net.embed(t, c, torch.tensor([True, True]))
    assert torch.equal(dropped, other)  # a dropped condition leaves no trace
    assert not torch.allclose(dropped, kept)


def test_training_drops_conditions_at_the_configured_rate() -> None:
    m = tiny_video()
    seen: list[torch.Tensor] = []
    handle = m.net.net.register_forward_hook(lambda mod, args, out: seen.append(args[3]))
    gen = torch.Generator().manual_seed(0)
    diffusion_loss(m, torch.zeros(2000, 4, 3, 8, 8)[:400], torch.zeros(400, 4), gen)
    handle.remove()
    assert abs((~seen[0]).float().mean().item() - m.config.p_uncond) < 0.05


def test_guidance_scale_changes_samples_and_zero_means_unconditional() -> None:
    m = tiny_video()
    with torch.no_grad():  # the zero-initialised blocks of a fresh model ignore the condition: perturb them
        for p in m.ema.model.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
    c = torch.randn(2, 4)
    a = m.sample(c, steps=3, guidance=0.0, seed=1)
    b = m.sample(None, n=2, steps=3, seed=1)
    g = m.sample(c, steps=3, guidance=4.0, seed=1)
    assert torch.allclose(a, b, atol=1e-6)
    assert not torch.allclose(a, g)
    with pytest.raises(ConfigError, match="trained on 4"):
        m.sample(torch.zeros(2, 3), steps=2)


def test_known_frames_are_kept_in_the_sample() -> None:
    m = tiny_video()
    known = torch.rand(2, 4, 3, 8, 8) * 2 - 1
    mask = torch.tensor([[True, True, False, False], [True, False, False, True]])
    out = m.sample(torch.zeros(2, 4), steps=3, known=(known, mask))
    assert torch.allclose(out[mask], known[mask].clamp(-1, 1), atol=1e-4)
    masks = known_frame_mask(500, 4, 0.5, torch.Generator().manual_seed(0))
    assert 0.4 < masks.any(1).float().mean() < 0.6 and not masks.all(1).any()


def test_ema_follows_slowly() -> None:
    net = torch.nn.Linear(2, 2)
    ema = EMA(net, decay=0.5)
    start = ema.model.weight.detach().clone()
    with torch.no_grad():
        net.weight.add_(1.0)
    ema.update(net)  # warm-up decay min(0.5, 2/11)
    moved = ema.model.weight - start
    assert torch.all(moved > 0) and torch.all(moved < 1.0)
    with pytest.raises(ConfigError):
        EMA(net, decay=1.0)


def test_checkpoint_reloads_to_identical_samples(tmp_path) -> None:
    m = tiny_video()
    fit(
        m,
        TrainingData(np.zeros((4, 4, 8, 8, 3), np.uint8), np.ones((4, 4), np.float32)),
        TrainSettings(steps=3, batch_size=2),
        progress=False,
    )
    c = torch.randn(2, 4)
    before = m.sample(c, steps=4, guidance=2.0, seed=7)
    m.save(tmp_path / "m")
    again = DiffusionModel.load(tmp_path / "m")
    assert again.config == m.config
    assert torch.equal(again.sample(c, steps=4, guidance=2.0, seed=7), before)
    assert not torch.equal(again.sample(c, steps=4, guidance=2.0, seed=8), before)


def test_loading_garbage_fails_clearly(tmp_path) -> None:
    with pytest.raises(ModelError, match="no diffusion model"):
        DiffusionModel.load(tmp_path)
    tiny_video().save(tmp_path / "m")
    (tmp_path / "m" / "weights.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="cannot load"):
        DiffusionModel.load(tmp_path / "m")


def test_edit_at_strength_zero_is_the_identity() -> None:
    m = tiny_video()
    x = torch.rand(2, 4, 3, 8, 8) * 2 - 1
    assert torch.equal(m.edit(x, torch.zeros(2, 4), 0.0), x)
    assert m.edit(x, torch.zeros(2, 4), 0.5, steps=4).shape == x.shape
    with pytest.raises(ConfigError, match="shape"):
        m.edit(torch.zeros(2, 3, 8, 8), None, 0.5)


def test_pixels_round_trip() -> None:
    px = np.random.default_rng(0).integers(0, 256, (2, 3, 8, 8, 3), dtype=np.uint8)
    assert np.array_equal(to_pixels(to_model_space(px)), px)


def test_training_data_rejects_bad_input() -> None:
    with pytest.raises(DataError):
        TrainingData(np.zeros((2, 8, 8, 3), np.float32))
    with pytest.raises(DataError):
        TrainingData(np.zeros((2, 8, 8, 3), np.uint8), np.zeros((3, 2)))
    with pytest.raises(DataError, match="conditional"):
        fit(tiny_video(), TrainingData(np.zeros((2, 4, 8, 8, 3), np.uint8)), TrainSettings(steps=1), progress=False)


def single_clip() -> np.ndarray:
    clip = np.zeros((1, 4, 8, 8, 3), np.uint8)
    for f in range(4):
        clip[0, f, 2:6, f : f + 4] = (220, 30, 30)  # a red square moving right
    return clip


def held_loss(m: DiffusionModel, clip: np.ndarray) -> float:
    """The loss on 64 fixed (step, noise) draws of ``clip``: comparable before and after training."""
    x0 = to_model_space(np.repeat(clip, 64, axis=0))
    with torch.no_grad():
        return diffusion_loss(m, x0, None, torch.Generator().manual_seed(123)).item()


@pytest.mark.slow
def test_a_tiny_model_overfits_one_clip() -> None:
    m = tiny_video(cond_dim=0)
    clip = single_clip()
    target = to_model_space(clip)
    before = held_loss(m, clip), (m.sample(None, n=1, steps=10, seed=0) - target).abs().mean().item()
    fit(m, TrainingData(clip), TrainSettings(steps=150, batch_size=8, lr=5e-3, warmup=10), progress=False)
    after = held_loss(m, clip), (m.sample(None, n=1, steps=10, seed=0) - target).abs().mean().item()
    assert after[0] < 0.45 * before[0]
    assert after[1] < 0.5 * before[1]  # it draws (a blurry copy of) the clip it memorised


def test_training_resumes_where_it_stopped(tmp_path) -> None:
    data = TrainingData(single_clip())
    settings = TrainSettings(steps=6, batch_size=2, checkpoint_every=3)
    whole = tiny_video(cond_dim=0)
    fit(whole, data, settings, progress=False)
    part = tiny_video(cond_dim=0)
    fit(part, data, TrainSettings(steps=3, batch_size=2), tmp_path / "ck", progress=False)
    resumed = tiny_video(cond_dim=0)
    state = fit(resumed, data, settings, tmp_path / "ck", progress=False)
    assert state["step"] == 6
    for a, b in zip(whole.net.parameters(), resumed.net.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)
