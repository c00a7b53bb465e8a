"""Latent diffusion: the frame autoencoder, a denoiser in its latent space, and training that resumes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from generec.diffusion.autoencoder import AutoencoderConfig, AutoencoderTraining, FrameAutoencoder, train_autoencoder
from generec.diffusion.image_denoiser import ImageDenoiserConfig
from generec.diffusion.model import AUTOENCODER_WEIGHTS, DiffusionConfig, DiffusionModel, to_model_space
from generec.diffusion.presets import pixel_size, video_config
from generec.diffusion.recipe import AUTOENCODER_REPORT, first_stage, train_conditional
from generec.diffusion.training import LATENTS, LatentData, TrainingData, TrainSettings, fit
from generec.diffusion.video_denoiser import VideoDenoiserConfig
from generec.errors import ConfigError, DataError, ModelError

AE = AutoencoderConfig(size=8, latent_channels=2, width=8, downsample=1)


def latent_video(cond_dim: int = 2) -> DiffusionConfig:
    shape = VideoDenoiserConfig(frames=2, size=4, channels=2, width=8, mults=(1,), cond_dim=cond_dim)
    return DiffusionConfig("video", shape, autoencoder=AE)


def frames(n: int, size: int = 8, seed: int = 0) -> np.ndarray:
    """Frames with structure to learn: a bright square on a dark field, at random places."""
    rng = np.random.default_rng(seed)
    out = np.full((n, size, size, 3), 20, np.uint8)
    for k in range(n):
        y, x = rng.integers(0, size - 3, 2)
        out[k, y : y + 3, x : x + 3] = rng.integers(120, 255, 3)
    return out


def test_autoencoder_shapes_and_config_checks() -> None:
    ae = FrameAutoencoder(AE)
    z = ae.encode(torch.zeros(3, 2, 3, 8, 8))
    assert z.shape == (3, 2, 2, 4, 4)
    assert ae.decode(z).shape == (3, 2, 3, 8, 8)
    with pytest.raises(ConfigError, match="divisible"):
        AutoencoderConfig(size=10, downsample=2).validate()
    with pytest.raises(ConfigError, match="multiple of 8"):
        AutoencoderConfig(width=12).validate()
    with pytest.raises(ConfigError, match="noise"):
        AutoencoderConfig(noise=-1).validate()


def test_training_lowers_reconstruction_error_and_sets_unit_scale() -> None:
    data = frames(200)
    held = to_model_space(frames(40, seed=9))
    untrained = FrameAutoencoder(AE)
    with torch.no_grad():
        before = (untrained.decode(untrained.encode(held)) - held).abs().mean().item() / 2
    ae, report = train_autoencoder(data, AE, AutoencoderTraining(steps=150, batch_size=32, lr=3e-3), progress=False)
    with torch.no_grad():
        after = (ae.decode(ae.encode(held)) - held).abs().mean().item() / 2
        z = ae.encode(to_model_space(data))
    assert after < 0.5 * before
    assert report["check_mae"] < before
    assert 0.7 < z.std().item() < 1.3  # the diffusion schedule assumes unit-variance data


def test_autoencoder_rejects_bad_frames(tmp_path) -> None:
    with pytest.raises(DataError, match="uint8"):
        train_autoencoder(np.zeros((50, 8, 8, 3), np.float32), AE, progress=False)
    with pytest.raises(DataError, match="uint8"):
        train_autoencoder(np.zeros((50, 16, 16, 3), np.uint8), AE, progress=False)
    with pytest.raises(DataError, match="at least 20"):
        train_autoencoder(np.zeros((5, 8, 8, 3), np.uint8), AE, progress=False)
    with pytest.raises(ConfigError, match="steps, batch_size"):
        train_autoencoder(frames(50), AE, AutoencoderTraining(steps=0), progress=False)
    with pytest.raises(ModelError, match="no autoencoder config"):
        FrameAutoencoder.load(tmp_path)


def test_latent_model_takes_and_makes_pixels_and_reloads_identically(tmp_path) -> None:
    model = DiffusionModel(latent_video(), seed=0)
    assert model.sample_shape == (2, 3, 8, 8)
    out = model.sample(torch.ones(2, 2), steps=3, seed=4)
    assert out.shape == (2, 2, 3, 8, 8) and out.abs().max() <= 1.0
    x = to_model_space(frames(4).reshape(2, 2, 8, 8, 3))
    assert torch.equal(model.edit(x, torch.ones(2, 2), 0.0), x)
    assert model.edit(x, torch.ones(2, 2), 0.5, steps=4).shape == x.shape
    model.save(tmp_path / "m")
    assert (tmp_path / "m" / AUTOENCODER_WEIGHTS).is_file()
    again = DiffusionModel.load(tmp_path / "m")
    assert again.config.to_dict() == model.config.to_dict()
    assert torch.equal(again.sample(torch.ones(2, 2), steps=3, seed=4), out)


def test_known_frames_are_given_in_pixels() -> None:
    model = DiffusionModel(latent_video(), seed=0)
    known = to_model_space(frames(2).reshape(1, 2, 8, 8, 3))
    mask = torch.tensor([[True, False]])
    assert model.sample(torch.ones(1, 2), steps=2, known=(known, mask)).shape == (1, 2, 3, 8, 8)


def test_latent_configs_are_checked() -> None:
    with pytest.raises(ConfigError, match="must match its autoencoder"):
        DiffusionConfig("video", VideoDenoiserConfig(frames=2, size=8, channels=2, width=8, mults=(1,)),
                        autoencoder=AE).validate()  # fmt: skip
    with pytest.raises(ConfigError, match="latents need an autoencoder"):
        DiffusionConfig("image", ImageDenoiserConfig(size=8, channels=4, width=8, mults=(1,))).validate()
    cfg = video_config("demo-latent", cond_dim=3)
    assert cfg.autoencoder is not None and cfg.pixel_size == 32 == pixel_size("demo-latent")
    assert pixel_size("demo-16") == 16 and video_config("demo-16", 3).autoencoder is None
    assert DiffusionConfig.from_dict(cfg.to_dict()) == cfg


def test_fit_encodes_pixels_once() -> None:
    model = DiffusionModel(latent_video(), seed=0)
    data = TrainingData(frames(8).reshape(4, 2, 8, 8, 3), np.ones((4, 2), np.float32)).encoded(model)
    assert isinstance(data, LatentData) and data.latents.dtype == torch.float16
    x, c = data.batch(np.array([0, 3]), torch.device("cpu"))
    assert x.shape == (2, 2, 2, 4, 4) and c.shape == (2, 2)


def test_a_resumed_fit_reads_the_encoded_rows_back_and_new_rows_are_encoded_anew(tmp_path) -> None:
    model = DiffusionModel(latent_video(), seed=0)
    pixels = frames(8).reshape(4, 2, 8, 8, 3)
    data = TrainingData(pixels, np.ones((4, 2), np.float32))
    fit(model, data, TrainSettings(steps=1, batch_size=2), tmp_path, progress=False)
    saved = torch.load(tmp_path / LATENTS, weights_only=True)
    assert saved["key"] == data.fingerprint(model)
    assert torch.equal(saved["latents"], data.encoded(model).latents)  # what a resumed run trains on
    other = TrainingData(255 - pixels, data.cond)
    assert other.fingerprint(model) != saved["key"]  # other rows (or another first stage): encoded again
    fit(model, other, TrainSettings(steps=2, batch_size=2), tmp_path, progress=False)
    assert torch.equal(torch.load(tmp_path / LATENTS, weights_only=True)["latents"], other.encoded(model).latents)


def test_train_conditional_trains_the_first_stage_once_and_resumes(tmp_path) -> None:
    pixels = frames(60).reshape(30, 2, 8, 8, 3)
    cond = np.random.default_rng(0).normal(size=(30, 2)).astype(np.float32)
    ae_settings = AutoencoderTraining(steps=20, batch_size=16)
    out = tmp_path / "m"
    model, state = train_conditional(latent_video(), pixels, cond, TrainSettings(steps=3, batch_size=4, stop_at=2),
                                     out, progress=False, autoencoder_settings=ae_settings)  # fmt: skip
    assert state["step"] == 2
    report = json.loads((out / AUTOENCODER_REPORT).read_text())
    assert report["steps"] == 20 and report["check_mae"] > 0
    first = {k: v.clone() for k, v in model.autoencoder.state_dict().items()}
    # Resuming reuses the saved first stage (a retrain with other settings would change it).
    other = AutoencoderTraining(steps=5, seed=3)
    again, state = train_conditional(latent_video(), pixels, cond, TrainSettings(steps=3, batch_size=4), out,
                                     progress=False, autoencoder_settings=other)  # fmt: skip
    assert state["step"] == 3
    assert all(torch.equal(first[k], v) for k, v in again.autoencoder.state_dict().items())
    # A first stage saved for another shape is refused with advice, not a torch traceback.
    wide = DiffusionConfig("video", VideoDenoiserConfig(frames=2, size=4, channels=3, width=8, mults=(1,), cond_dim=2),
                           autoencoder=AutoencoderConfig(size=8, latent_channels=3, width=8, downsample=1))  # fmt: skip
    with pytest.raises(ModelError, match="new --out"):
        train_conditional(wide, pixels, cond, TrainSettings(steps=3, batch_size=4), out, progress=False)


def test_a_shared_autoencoder_must_fit_the_model(tmp_path) -> None:
    FrameAutoencoder(AutoencoderConfig(size=8, latent_channels=3, width=8, downsample=1)).save(tmp_path / "ae")
    model = DiffusionModel(latent_video(), seed=0)
    with pytest.raises(ConfigError, match="this model needs"):
        first_stage(model, frames(40).reshape(20, 2, 8, 8, 3), None, source=tmp_path / "ae")
    FrameAutoencoder(AE).save(tmp_path / "ok")
    assert first_stage(model, frames(40).reshape(20, 2, 8, 8, 3), None, source=tmp_path / "ok") == {
        "source": str(tmp_path / "ok")
    }
    with pytest.raises(ConfigError, match="only a latent model"):
        first_stage(DiffusionModel(DiffusionConfig(shape=VideoDenoiserConfig(frames=2, size=8, width=8, mults=(1,)))),
                    frames(40).reshape(20, 2, 8, 8, 3), None)  # fmt: skip


def test_latent_image_model_makes_pixel_images() -> None:
    cfg = DiffusionConfig("image", ImageDenoiserConfig(size=4, channels=2, width=8, mults=(1,), cond_dim=2),
                          autoencoder=AE)  # fmt: skip
    model = DiffusionModel(cfg, seed=0)
    assert model.sample_shape == (3, 8, 8)
    out = model.sample(torch.ones(3, 2), steps=2, seed=1)
    assert out.shape == (3, 3, 8, 8) and out.abs().max() <= 1.0
    x = to_model_space(frames(3))
    assert model.edit(x, torch.ones(3, 2), 0.4, steps=3).shape == x.shape
