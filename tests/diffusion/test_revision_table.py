"""Content revision's Table 3 machinery end to end on a tiny world: joint guidance, the experiment, CLI, export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generec.cli import main
from generec.creator.checkpoint import DEMO_CHECKPOINT
from generec.data.sim.reader import AttributeReader, ReaderConfig
from generec.diffusion import TrainSettings
from generec.editor.revision import Reviser, demo_checkpoint, export_checkpoint, revision_rows, train_revision
from generec.errors import ConfigError, DataError
from generec.evaluation.ps_model import fit_mmgcn, user_embeddings
from generec.evaluation.revision_experiment import METHODS, prepare_revision, revision_experiment
from generec.types import Guidance

FEW = TrainSettings(steps=3, batch_size=4, checkpoint_every=2)


@pytest.fixture(scope="module")
def artefacts(sim_world, encoder, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A briefly trained MMGCN (its user embeddings), a tiny joint revision model and a tiny reader, all saved."""
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("revision_table")
    mmgcn, emb = fit_mmgcn(sim_world, encoder, root / "mmgcn", epochs=3)
    train_revision(
        sim_world, encoder, root / "rev", guidance="both", user_embeddings=emb, preset="tiny", settings=FEW,
        progress=False,
    )  # fmt: skip
    reader = AttributeReader(ReaderConfig(frames=4, size=16, width=8)).fit(32, 2, progress=False)
    reader.save(root / "reader")
    return {"root": root, "mmgcn": mmgcn, "emb": emb, "reader": reader}


def test_joint_rows_fill_one_guidance_part_each(sim_world, encoder, artefacts) -> None:
    pixels, cond, spec, info = revision_rows(
        sim_world, encoder, guidance="both", frames=4, size=16, user_embeddings=artefacts["emb"], progress=False
    )
    assert spec.names == ("user_hist", "user_emb") and cond.shape == (len(pixels), spec.dim)
    d_hist = dict(spec.parts)["user_hist"]
    filled = np.stack([np.abs(cond[:, :d_hist]).sum(1) > 0, np.abs(cond[:, d_hist:]).sum(1) > 0], 1)
    assert filled.sum(1).max() == 1  # never both: each part alone is a condition the model saw
    assert filled[:, 0].any() and filled[:, 1].any() and info["users_with_vectors"] > 0
    with pytest.raises(ConfigError, match="User_Emb"):
        revision_rows(sim_world, encoder, guidance="both", frames=4, size=16, progress=False)
    with pytest.raises(DataError, match="no liker"):
        revision_rows(sim_world, encoder, guidance="both", frames=4, size=16, user_embeddings={"nobody": np.ones(3)},
                      progress=False)  # fmt: skip
    with pytest.raises(ConfigError, match="both"):
        revision_rows(sim_world, encoder, guidance="mood", progress=False)


def test_table3_experiment_runs_and_reproduces(sim_world, encoder, artefacts, tmp_path: Path) -> None:
    reviser = Reviser.load(artefacts["root"] / "rev", encoder)
    setup = prepare_revision(sim_world, encoder, reviser, artefacts["mmgcn"], artefacts["emb"], artefacts["reader"],
                             n_users=4, n_real=24, progress=False)  # fmt: skip
    assert len(setup.user_ids) == 4 and setup.real.shape[1:] == (4, 16, 16, 3)
    result = revision_experiment(setup, ks=(2, 3), runs=2, steps=4, n_examples=2, progress=False)
    table = result.table
    assert list(table.index) == list(METHODS)
    assert {"Cosine@2", "PS@3", "Click@3", "FVD"} <= set(table.columns)
    assert np.isfinite(table[["Cosine@2", "PS@2", "Click@2", "FVD"]].to_numpy()).all()
    move = result.movement
    assert move.loc["Original", "dist_to_source"] == pytest.approx(0.0, abs=1e-5)
    assert move.loc["Original", "utility_gain"] == 0.0 and 0.0 <= move.loc["User_Emb", "utility_up"] <= 1.0
    text = result.format()
    assert "FVD protocol: 24 real vs 12 generated, 4 frames at 16x16 px" in text and "User_Emb" in text
    assert any("User_Hist" in f and "Original on Cosine@2" in f for f in result.findings())
    paths = result.save(tmp_path)
    assert all(p.is_file() for p in paths.values())
    from PIL import Image

    assert Image.open(paths["grid"]).size[1] > 2 * 16 * 3  # two example rows, frames enlarged 3x
    again = revision_experiment(setup, ks=(2, 3), runs=2, steps=4, n_examples=2, progress=False)
    assert again.table.equals(table)
    with pytest.raises(DataError, match="K <="):
        revision_experiment(setup, ks=(10_000,), progress=False)
    other = fit_mmgcn(sim_world, encoder, epochs=1)[0]
    other.user_emb_ = other.user_emb_[:3]
    with pytest.raises(DataError, match="not trained on this world"):
        prepare_revision(sim_world, encoder, reviser, other, artefacts["emb"], progress=False)
    with pytest.raises(DataError, match="split"):
        user_embeddings(other, ["a", "b"])


def test_exported_checkpoint_is_smaller_and_reproducible(artefacts, encoder, tmp_path: Path) -> None:
    src = artefacts["root"] / "rev"
    out = export_checkpoint(src, tmp_path / "exp", note="test")
    size = sum(f.stat().st_size for f in out.iterdir())
    assert size < sum(f.stat().st_size for f in src.iterdir() if f.name != "trainer.pt")
    a, b = Reviser.load(src, encoder, steps=4), Reviser.load(out, encoder, steps=4)
    clip = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    g = Guidance(user_emb=next(iter(artefacts["emb"].values())))
    first = b.revise(clip, g, seed=2)
    assert np.array_equal(Reviser.load(out, encoder, steps=4).revise(clip, g, seed=2), first)
    assert np.abs(first.astype(int) - a.revise(clip, g, seed=2).astype(int)).mean() < 3  # float16 weights


def test_cli_reproduce_revision(sim_world, artefacts, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = artefacts["root"]
    args = ["reproduce", "revision", "--world", str(sim_world.root), "--encoder", "untrained", "--model",
            str(root / "rev"), "--mmgcn", str(root / "mmgcn"), "--reader", str(root / "reader"), "--users", "3",
            "--runs", "1", "--steps", "2", "--out", str(tmp_path / "out"), "--threads", "1", "--quiet"]  # fmt: skip
    sheet = tmp_path / "sheet.png"
    assert main([*args, "--sheet", str(sheet)]) == 0
    out = capsys.readouterr().out
    assert "Table 3" in out and "FVD protocol" in out and (tmp_path / "out" / "table3_revision.csv").is_file()
    assert f"sheet: {sheet}" in out and sheet.stat().st_size > 0  # three users: three revised clips beside sources
    assert main([*args[:-5], "--strength", "1.5"]) != 0
    assert "--strength" in capsys.readouterr().err
    assert main([*args, "--history-prompt"]) != 0  # this revision model has no instruction input
    assert "instruction input" in capsys.readouterr().err


def test_cli_refuses_a_single_guidance_model(sim_world, encoder, artefacts, tmp_path: Path, capsys) -> None:
    train_revision(sim_world, encoder, tmp_path / "hist", preset="tiny", settings=FEW, progress=False)
    args = ["reproduce", "revision", "--world", str(sim_world.root), "--encoder", "untrained", "--model",
            str(tmp_path / "hist"), "--reader", str(artefacts["root"] / "reader"), "--quiet"]  # fmt: skip
    assert main(args) != 0
    assert "--guidance both" in capsys.readouterr().err


@pytest.mark.skipif(not (DEMO_CHECKPOINT / "config.json").is_file(), reason="no packaged demo model")
def test_the_packaged_creation_model_also_revises_at_64_px() -> None:
    from generec.encoders import load_encoder

    assert demo_checkpoint() == DEMO_CHECKPOINT
    reviser = Reviser.load(demo_checkpoint(), load_encoder("generec", DEMO_CHECKPOINT / "encoder"), steps=4)
    assert {"user_hist", "user_emb"} <= set(reviser.spec.names)
    clip = np.random.default_rng(0).integers(0, 256, (12, 48, 48, 3), dtype=np.uint8)  # any clip: fitted to 16 x 64
    g = Guidance(user_hist=np.ones(dict(reviser.spec.parts)["user_hist"], np.float32))
    revised = reviser.revise(clip, g, seed=1)
    assert revised.shape == (16, 64, 64, 3) and np.array_equal(revised, reviser.revise(clip, g, seed=1))
