"""Frechet distances, the attribute reader, the conditions cache and the `generec train` commands."""

from __future__ import annotations

import numpy as np
import pytest

from generec.cli import main
from generec.creator.training import creation_conditions, creation_rows, load_conditions, save_conditions
from generec.data.sim.reader import AttributeReader, ReaderConfig, accuracy_table, chance_levels, render_labelled
from generec.errors import ConfigError, DataError, ModelError
from generec.evaluation.attribute_reader import evaluate_creation
from generec.evaluation.frechet import (
    EncoderFeatures,
    FeatureNetwork,
    frechet_distance,
    frechet_image_distance,
    frechet_video_distance,
)


def test_frechet_distance_is_zero_for_identical_sets_and_grows_with_shift() -> None:
    x = np.random.default_rng(0).normal(size=(400, 6))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)
    d = [frechet_distance(x, x + s) for s in (0.5, 1.0, 2.0)]
    assert d[0] < d[1] < d[2] and d[2] == pytest.approx(6 * 4.0, rel=1e-3)  # |mu shift|^2 = 6 * 2^2
    wide = frechet_distance(x, 3 * x)
    assert wide > 1.0  # a covariance change counts too
    with pytest.raises(DataError):
        frechet_distance(x, x[:, :3])
    with pytest.raises(DataError):
        frechet_distance(x[:1], x)


def test_fvd_and_fid_print_their_protocol(encoder) -> None:
    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, (6, 4, 16, 16, 3), dtype=np.uint8)
    net = EncoderFeatures(encoder)
    assert isinstance(net, FeatureNetwork)
    same = frechet_video_distance(real, real, net)
    assert same.value == pytest.approx(0.0, abs=1e-4)
    text = str(same)
    assert text.startswith("FVD = ") and "6 real vs 6 generated" in text and "4 frames at 16x16" in text
    assert encoder.id in text
    dark = (real // 4).astype(np.uint8)
    assert frechet_video_distance(real, dark, net).value > same.value
    fid = frechet_image_distance(real[:, 0], dark[:, 0], net)
    assert str(fid).startswith("FID = ") and fid.protocol.frames is None
    with pytest.raises(ConfigError, match="differ in shape"):
        frechet_video_distance(real, real[:, :2], net)
    with pytest.raises(DataError, match="uint8"):
        frechet_video_distance(real.astype(np.float32), real, net)


def test_labelled_renders_and_reader_io(tmp_path) -> None:
    clips, labels = render_labelled(5, 4, 16, seed=3)
    assert clips.shape == (5, 4, 16, 16, 3) and labels.shape == (5, 6)
    assert np.array_equal(render_labelled(5, 4, 16, seed=3)[0], clips)
    reader = AttributeReader(ReaderConfig(frames=4, size=16, width=8))
    reads = reader.read(np.zeros((2, 9, 40, 40, 3), np.uint8))  # any length and size is resampled
    assert len(reads) == 2 and set(reads[0]) == set(chance_levels())
    assert len(reader.read(np.zeros((3, 16, 16, 3), np.uint8))) == 3  # images are still clips
    reader.save(tmp_path / "r")
    again = AttributeReader.load(tmp_path / "r")
    x = clips[:2]
    assert np.allclose(again.predict_proba(x)["colour"], reader.predict_proba(x)["colour"])
    with pytest.raises(DataError):
        reader.read(np.zeros((2, 16, 16), np.uint8))
    with pytest.raises(ModelError):
        AttributeReader.load(tmp_path / "missing")
    assert "colour" in accuracy_table({"colour": 0.5})


@pytest.mark.slow
def test_attribute_reader_learns_on_renders() -> None:
    reader = AttributeReader(ReaderConfig(frames=4, size=16, width=16), seed=0)
    reader.fit(n_clips=600, steps=150, batch_size=32, lr=3e-3, progress=False)
    acc = reader.evaluate(n_clips=200)
    chance = chance_levels()
    # Scene and style fill the frame and are learned first; require them well above chance.
    assert acc["scene"] > 3 * chance["scene"] and acc["style"] > 2 * chance["style"]


def test_conditions_cache_round_trips_without_an_encoder(sim_world, encoder, tmp_path) -> None:
    conds = creation_conditions(sim_world, encoder, progress=False)
    path = save_conditions(tmp_path / "c.npz", conds)
    back = load_conditions(path)
    assert back["item_id"] == conds["item_id"] and np.allclose(back["cond"], conds["cond"])
    assert back["spec"] == conds["spec"] and set(back["captions"]) == set(conds["captions"])
    pixels, cond, spec, _ = creation_rows(sim_world, None, frames=4, size=16, cache=path, progress=False)
    assert len(pixels) == len(cond) == len(conds["cond"]) and spec == conds["spec"]
    with pytest.raises(ConfigError, match="needs an encoder"):
        creation_rows(sim_world, None, frames=4, size=16, progress=False)
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(DataError):
        load_conditions(tmp_path / "bad.npz")


def test_evaluate_creation_reports_reader_hits_and_fvd(sim_world, encoder, tmp_path) -> None:
    from generec.creator import VideoCreator, train_creation
    from generec.diffusion import TrainSettings

    model, _ = train_creation(
        sim_world, encoder, None, preset="tiny", settings=TrainSettings(steps=1, batch_size=2), progress=False
    )
    creator = VideoCreator(model, encoder, steps=2)
    reader = AttributeReader(ReaderConfig(frames=4, size=16, width=8))
    report = evaluate_creation(creator, reader, sim_world, n=4, features=EncoderFeatures(encoder), held_out=0.2)
    assert report.n == 4 and set(report.created) == {"category", "colour", "motion", "scene", "style"}
    table = report.table()
    assert "FVD = " in table and "chance" in table and table.count("FVD = ") == 2


def test_cli_trains_creation_and_reports(sim_world, tmp_path, capsys) -> None:
    out = tmp_path / "m"
    code = main(
        [
            "train",
            "creation",
            "--world",
            str(sim_world.root),
            "--encoder",
            "untrained",
            "--out",
            str(out),
            "--preset",
            "tiny",
            "--steps",
            "2",
            "--batch-size",
            "2",
            "--threads",
            "1",
            "-q",
            "--conditions",
            str(tmp_path / "c.npz"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "saved to" in capsys.readouterr().out and (out / "config.json").is_file() and (tmp_path / "c.npz").is_file()
    # resumes: more steps continue from the checkpoint, and the conditions file stands in for the encoder
    code = main(
        [
            "train",
            "creation",
            "--world",
            str(sim_world.root),
            "--out",
            str(out),
            "--preset",
            "tiny",
            "--steps",
            "3",
            "--batch-size",
            "2",
            "-q",
            "--conditions",
            str(tmp_path / "c.npz"),
        ]
    )
    assert code == 0 and "step 3" in capsys.readouterr().out


def test_cli_errors_are_one_line(sim_world, tmp_path, capsys) -> None:
    args = ["train", "revision", "--world", str(sim_world.root), "--out", str(tmp_path / "r")]
    assert main(args) == 1 and "--encoder" in capsys.readouterr().err
    assert main([*args, "--encoder", "untrained", "--minutes", "-1"]) == 1
    assert "--minutes" in capsys.readouterr().err
    assert main([*args, "--encoder", "untrained", "--guidance", "user_emb", "--steps", "1"]) == 1
    assert "User_Emb" in capsys.readouterr().err
    bad = tmp_path / "u.npz"
    np.savez(bad, ids=np.array(["a"]))
    assert main([*args, "--encoder", "untrained", "--guidance", "user_emb", "--user-emb", str(bad)]) == 1
    assert "user_ids" in capsys.readouterr().err
