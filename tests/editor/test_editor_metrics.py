"""Cosine@K, PS@K and the user-side Click@K on a tiny GeneRec-Sim world."""

from __future__ import annotations

import numpy as np
import pytest

from generec.errors import DataError
from generec.evaluation.personalization import (
    CLIPPING_METHODS,
    THUMBNAIL_METHODS,
    clipping_experiment,
    cosine_at_k,
    prepare_world,
    thumbnail_experiment,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from generec.data.sim import World

    root = tmp_path_factory.mktemp("world")
    World.build(root, users=40, items=24, seed=1, instructions=5, progress=False, workers=1)
    return root


@pytest.fixture(scope="module")
def data(world, encoder):
    return prepare_world(world, encoder, mmgcn_epochs=3, progress=False)


def test_cosine_at_k_is_the_mean_pairwise_cosine():
    rng = np.random.default_rng(0)
    liked = rng.normal(size=(3, 8))
    liked /= np.linalg.norm(liked, axis=1, keepdims=True)
    shown = rng.normal(size=(1, 4, 8))
    unit = shown / np.linalg.norm(shown, axis=-1, keepdims=True)
    expected = np.mean([[u @ v for v in liked] for u in unit[0]])
    assert cosine_at_k(shown, liked.mean(axis=0)[None])[0] == pytest.approx(expected, rel=1e-5)


def test_thumbnail_table(data, tmp_path):
    result = thumbnail_experiment(data, ks=(2, 4), runs=3, seed=1)
    table = result.table
    assert list(table.index) == list(THUMBNAIL_METHODS)
    for metric in ("Cosine@2", "PS@4", "Click@4"):
        assert np.isfinite(table[metric]).all() and (table[f"{metric} sd"] >= 0).all()
    assert ((table["Click@2"] > 0) & (table["Click@2"] < 1)).all()
    # Eq. 1 maximises the cosine with t* over the frames, so it beats a random frame in every run.
    sel, rnd = result.runs[("Selection (Eq. 1)", "Cosine@4")], result.runs[("Random Frame", "Cosine@4")]
    assert (sel >= rnd).all()
    again = thumbnail_experiment(data, ks=(2, 4), runs=3, seed=1).table
    assert table.equals(again)  # same seed, same numbers
    csv, png = result.save(tmp_path, "t1")
    assert csv.is_file() and png.stat().st_size > 1000 and (tmp_path / "t1_gaps.csv").is_file()
    assert "encoder" in result.format() and "split" in result.format()


def test_clipping_table(data):
    result = clipping_experiment(data, clip_len=4, stride=2, ks=(3,), runs=2)
    assert list(result.table.index) == list(CLIPPING_METHODS)
    assert set(result.gaps["worse"]) == {"Unclipped", "1st Clip", "Random clip"}


def test_bad_protocol_parameters(data):
    with pytest.raises(DataError, match="exceeds"):
        thumbnail_experiment(data, ks=(10_000,), runs=1)
    with pytest.raises(DataError, match="runs"):
        thumbnail_experiment(data, runs=0)


@pytest.mark.slow
def test_reproduce_commands_print_and_save(world, encoder, tmp_path, capsys):
    from generec.cli import main

    enc_dir = encoder.save_pretrained(tmp_path / "enc")
    common = ["--world", str(world), "--encoder", str(enc_dir), "--out", str(tmp_path / "res"), "--runs", "2",
              "--epochs", "2"]  # fmt: skip
    assert main(["reproduce", "thumbnails", *common]) == 0
    out = capsys.readouterr().out
    assert "Table 1" in out and "Original" in out and encoder.id in out and "per-run gaps" in out
    assert main(["reproduce", "clipping", *common, "--clip-len", "4"]) == 0
    assert "Table 2" in capsys.readouterr().out
    assert {p.name for p in (tmp_path / "res").iterdir()} >= {"table1_thumbnails.csv", "table2_clipping_L4.png"}
    assert main(["reproduce", "clipping", *common, "--clip-len", "0"]) != 0
    assert "clip_len" in capsys.readouterr().err
