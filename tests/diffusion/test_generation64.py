"""The 64 px generators' machinery: attribute conditions, the narrow-top autoencoder, the detail reader, sheets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from generec.cli import main
from generec.creator import VideoCreator, train_creation
from generec.creator.checkpoint import export_checkpoint
from generec.creator.training import creation_conditions, save_conditions
from generec.data.sim.reader import AttributeReader, ReaderConfig
from generec.diffusion import DiffusionModel, TrainSettings
from generec.diffusion.attributes import AttributeVocabulary
from generec.diffusion.autoencoder import AutoencoderConfig, AutoencoderTraining, FrameAutoencoder, edge_loss
from generec.diffusion.conditions import ConditionSpec
from generec.diffusion.presets import autoencoder_training, video_config
from generec.errors import ConfigError, DataError, ModelError
from generec.evaluation.creation import request_constraints
from generec.evaluation.sheets import request_sheet
from generec.types import Guidance

FEW = TrainSettings(steps=3, batch_size=4, checkpoint_every=2)


def test_attribute_vocabulary_marks_named_values_only() -> None:
    vocab = AttributeVocabulary.from_mapping({"category": ["cat", "dog"], "colour": ["red", "blue", "green"]})
    assert vocab.dim == 5 and vocab.names == ("category", "colour")
    assert vocab.encode({"category": ["dog"], "colour": "green"}).tolist() == [0, 1, 0, 0, 1]
    assert vocab.encode({"category": ["bird"], "size": ["large"]}).sum() == 0  # unknown words add nothing
    assert AttributeVocabulary.from_mapping(vocab.to_dict()) == vocab
    with pytest.raises(ConfigError):
        AttributeVocabulary.from_mapping({"category": []})
    # Indicators are given as they are; the other parts are scaled to norm 1/sqrt(parts).
    spec = ConditionSpec((("instruction", 3), ("attributes", 5)))
    v = spec.vector({"instruction": np.ones(3), "attributes": vocab.encode({"category": ["cat"]})})
    assert np.isclose(np.linalg.norm(v[:3]), 1 / np.sqrt(2)) and v[3:].tolist() == [1, 0, 0, 0, 0]


def test_requests_are_read_into_attribute_constraints_like_the_instructor_does() -> None:
    caption = "a small yellow flower spinning around the room, sepia style"
    got = request_constraints([caption, "hello there"])
    assert got[caption]["attributes"] == {
        "size": ["small"], "colour": ["yellow"], "category": ["flower"], "motion": ["spinning"],
        "scene": ["indoor"], "style": ["sepia"],
    }  # fmt: skip
    assert got["hello there"] == {}


@pytest.fixture(scope="module")
def attribute_model(sim_world, encoder, tmp_path_factory: pytest.TempPathFactory) -> dict:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("attribute_model")
    model, _ = train_creation(sim_world, encoder, root / "model", preset="tiny", settings=FEW, attributes=True,
                              conditions=root / "cond.npz", progress=False)  # fmt: skip
    return {"root": root, "model": model}


def test_creation_with_attributes_conditions_on_each_named_value(sim_world, encoder, attribute_model) -> None:
    conds = creation_conditions(sim_world, encoder, attributes=True, progress=False)
    assert conds["spec"].names[-1] == "attributes"
    vocab = AttributeVocabulary.from_mapping(conds["info"]["attribute_vocabulary"])
    part = conds["cond"][:, -vocab.dim :]
    assert set(np.unique(part)) <= {0.0, 1.0}
    offsets = vocab.offsets()
    for name, values in vocab.attributes:  # at most one value per attribute; some rows leave an attribute out
        per = part[:, offsets[name] : offsets[name] + len(values)].sum(1)
        assert per.max() == 1 and (per == 0).any()
    model = attribute_model["model"]
    assert model.config.meta["attribute_vocabulary"] == vocab.to_dict()
    creator = VideoCreator(model, encoder, steps=2)
    cat = Guidance(instruction_text="a cat", constraints={"attributes": {"category": ["cat"]}})
    dog = Guidance(instruction_text="a cat", constraints={"attributes": {"category": ["dog"]}})
    c_cat, c_dog = creator.condition(cat), creator.condition(dog)
    assert c_cat[-vocab.dim + offsets["category"] + vocab.attributes[0][1].index("cat")] == 1.0
    assert not np.array_equal(c_cat, c_dog)  # the subject reaches the model through its own input
    assert not np.array_equal(creator.create(cat, seed=3), creator.create(dog, seed=3))


def test_a_conditions_file_must_match_the_attribute_choice(sim_world, encoder, attribute_model) -> None:
    cached = attribute_model["root"] / "cond.npz"
    with pytest.raises(ConfigError, match="with attribute"):
        train_creation(sim_world, None, attribute_model["root"] / "other", preset="tiny", settings=FEW,
                       conditions=cached, progress=False)  # fmt: skip
    plain = attribute_model["root"] / "plain.npz"
    save_conditions(plain, creation_conditions(sim_world, encoder, progress=False))
    with pytest.raises(ConfigError, match="without attribute"):
        train_creation(sim_world, None, attribute_model["root"] / "other", preset="tiny", settings=FEW,
                       conditions=plain, attributes=True, progress=False)  # fmt: skip


def test_autoencoder_with_narrow_full_resolution_layers() -> None:
    cfg = AutoencoderConfig(size=64, latent_channels=4, width=8, downsample=2, mults=(1, 2, 4))
    ae = FrameAutoencoder(cfg)
    z = ae.encode(torch.zeros(2, 5, 3, 64, 64))  # clips: any leading axes
    assert z.shape == (2, 5, 4, 16, 16) and ae.decode(z).shape == (2, 5, 3, 64, 64)
    assert cfg.widths == (8, 16, 32) and ae.encoder[0].out_channels == 8 and ae.decoder[0].out_channels == 32
    assert AutoencoderConfig.from_dict(cfg.to_dict()) == cfg
    assert "mults" not in AutoencoderConfig().to_dict()  # configs written before mults existed stay the same
    with pytest.raises(ConfigError, match="mults"):
        AutoencoderConfig(size=64, downsample=2, mults=(1, 2)).validate()
    x = torch.rand(2, 3, 8, 8)
    assert edge_loss(x, x) == 0 and edge_loss(x.roll(1, dims=-1), x) > 0


def test_the_64px_preset_fits_the_packaged_size_and_round_trips(tmp_path: Path) -> None:
    cfg = video_config("demo-64", 10, {"condition": {"parts": [["instruction", 10]]}})
    model = DiffusionModel(cfg)
    assert model.sample_shape == (16, 3, 64, 64) and model.config.autoencoder.mults == (1, 2, 4)
    # its first stage is trained with the outline-keeping edge loss; presets without their own keep the default
    assert autoencoder_training("demo-64").edge_weight > 0 and autoencoder_training("tiny") == AutoencoderTraining()
    size_mb = (model.parameters_count() * 2 + sum(p.numel() for p in model.autoencoder.parameters()) * 4) / 2**20
    assert size_mb < 20  # float16 EMA weights + the first stage: a packaged checkpoint stays <= 20 MB
    model.save(tmp_path / "m", ema_only=True, half=True)
    assert DiffusionModel.load(tmp_path / "m").config == model.config
    (tmp_path / "m" / "autoencoder.pt").unlink()
    with pytest.raises(ModelError, match="autoencoder"):
        DiffusionModel.load(tmp_path / "m")


def test_a_checkpoint_for_another_size_is_refused(tmp_path: Path) -> None:
    small = DiffusionModel(video_config("tiny", 4, {"condition": {"parts": [["instruction", 4]]}}))
    small.save(tmp_path / "m")
    with pytest.raises(ConfigError, match="does not match"):
        DiffusionModel.load(tmp_path / "m").edit(torch.zeros(1, 16, 3, 64, 64), None, 0.5)


def test_detail_reader_reads_64px_clips_and_reloads(tmp_path: Path) -> None:
    reader = AttributeReader(ReaderConfig(frames=4, size=32, width=8, arch="detail")).fit(24, 2, progress=False)
    clips = np.random.default_rng(0).integers(0, 255, (3, 4, 32, 32, 3), dtype=np.uint8)
    again = AttributeReader.load(reader.save(tmp_path / "r"))
    assert again.config.arch == "detail" and again.read(clips) == reader.read(clips)
    with pytest.raises(ModelError, match="even size"):
        AttributeReader(ReaderConfig(frames=4, size=15, arch="detail"))


def test_request_sheet_shows_each_request_beside_a_real_clip() -> None:
    made = np.zeros((20, 8, 16, 16, 3), np.uint8)
    columns = {"made": made, "real": np.full_like(made, 255)}
    one = request_sheet(["a red car"] * 20, columns, rows=1, scale=1)
    sixteen = request_sheet(["a red car"] * 20, columns, rows=16, scale=1)
    assert sixteen.size[1] > 15 * one.size[1] // 2 and sixteen.size[0] == one.size[0]
    pixels = np.asarray(sixteen)
    assert (pixels == 0).all(axis=-1).any() and (pixels == 255).all(axis=-1).any()  # both clips are on it
    images = request_sheet(["a cover"], {"made": np.zeros((1, 16, 16, 3), np.uint8)}, scale=1)  # images: one frame
    assert images.size[1] == one.size[1]
    with pytest.raises(DataError):
        request_sheet(["a red car"], {"made": made.astype(np.float32)})
    with pytest.raises(DataError):
        request_sheet([], columns)


def test_cli_writes_the_creation_sheet(sim_world, encoder, attribute_model, tmp_path: Path, capsys) -> None:
    root = attribute_model["root"]
    reader = AttributeReader(ReaderConfig(frames=4, size=16, width=8)).fit(16, 1, progress=False).save(root / "reader")
    encoder.save_pretrained(root / "encoder")
    cond = tmp_path / "guidance.npz"
    save_conditions(cond, creation_conditions(sim_world, encoder, attributes=True, progress=False))
    release = export_checkpoint(root / "model", tmp_path / "rel", encoder_dir=root / "encoder", reader_dir=reader,
                                conditions=cond)  # fmt: skip
    sheet = tmp_path / "docs" / "sheet.png"
    args = ["reproduce", "creation", "--world", str(sim_world.root), "--model", str(release), "--users", "2",
            "--k", "2", "--steps", "2", "--out", str(tmp_path / "res"), "--sheet", str(sheet), "-q"]  # fmt: skip
    assert main(args) == 0
    assert f"sheet: {sheet}" in capsys.readouterr().out and sheet.stat().st_size > 0
