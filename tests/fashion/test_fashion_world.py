"""The fashion world: real photos become image items with measured attributes; shoppers respond through
GeneRec-Sim's click model; the world opens like a built GeneRec-Sim world; a failed import leaves nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from generec.cli import main
from generec.data.fashion import measure
from generec.data.fashion.build import THUMBNAIL_SIDE, FashionConfig, build_fashion_world
from generec.data.fashion.source import load_split
from generec.data.sim.world import World
from generec.errors import DataError


@pytest.fixture(scope="module")
def world(fashion_files: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    out = tmp_path_factory.mktemp("fashion") / "world"
    return World.load(build_fashion_world(out, FashionConfig(items=120, users=40, seed=3), data_dir=fashion_files))


def test_measured_attributes_split_real_photos_in_about_thirds(fashion_files: Path) -> None:
    images, _ = load_split("test", fashion_files)
    bright, texture = measure.levels(images)
    for levels in (bright, texture):
        share = np.bincount(levels, minlength=3) / len(levels)
        assert (share > 0.28).all() and (share < 0.40).all()
    flat = np.zeros((28, 28), np.uint8)
    flat[4:24, 6:22] = 90
    striped = flat.copy()
    striped[4:24:2, 6:22] = 250
    assert measure.describe(flat) == {"brightness": "dark", "texture": "plain"}
    assert measure.describe(striped)["texture"] == "patterned"


def test_items_are_the_real_photos_with_their_category_and_thumbnails(world: World, fashion_files: Path) -> None:
    train, labels = load_split("train", fashion_files)
    ds = world.dataset().validate()
    assert (ds.items["modality"] == "image").all() and len(ds.items) == 120
    row = ds.items.iloc[7]
    attrs = json.loads(row["attributes"])
    photo = np.asarray(Image.open(world.root / row["media"]).convert("L"))
    assert np.array_equal(photo, train[attrs["train_index"]])
    assert attrs["category"] == measure.VOCAB["category"][labels[attrs["train_index"]]]
    assert {k: attrs[k] for k in ("brightness", "texture")} == measure.describe(photo)
    assert Image.open(world.root / row["thumbnail"]).size == (THUMBNAIL_SIDE, THUMBNAIL_SIDE)
    assert world.summary()["items"] == 120 and world.summary()["media"] == "photos"


def test_the_simulator_scores_items_by_each_users_hidden_taste(world: World) -> None:
    sim = world.simulator()
    items = world.items["id"].tolist()[:5]
    prefs = world.preferences.set_index("user_id")
    expected = prefs.loc["u0000002", list(measure.FEATURES)].to_numpy(np.float32) @ world.item_features(items).T
    assert np.allclose(sim.utility("u0000002", items), expected, atol=1e-5)
    events = world.events
    assert set(events["kind"]) >= {"impression", "click", "like"}
    clicked = events[events["kind"] == "click"]
    shown = events[events["kind"] == "impression"]
    u_click = sim.utility(clicked["user_id"].tolist(), clicked["item_id"].to_numpy(), pairwise=True).mean()
    u_shown = sim.utility(shown["user_id"].tolist(), shown["item_id"].to_numpy(), pairwise=True).mean()
    assert u_click > u_shown + 0.05  # shoppers click what they like


def test_same_seed_same_world(world: World, fashion_files: Path, tmp_path: Path) -> None:
    again = build_fashion_world(tmp_path / "again", FashionConfig(items=120, users=40, seed=3), data_dir=fashion_files)
    for table in ("items", "events", "preferences"):
        pd.testing.assert_frame_equal(pd.read_parquet(again / f"{table}.parquet"), getattr(world, table))


def test_a_corrupt_file_leaves_nothing_half_imported(fashion_copy: Path, tmp_path: Path) -> None:
    images = fashion_copy / "train-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[: len(images.read_bytes()) // 2])
    out = tmp_path / "worlds" / "fashion"
    with pytest.raises(DataError, match="corrupt or truncated"):
        build_fashion_world(out, FashionConfig(items=10, users=5), data_dir=fashion_copy)
    assert not out.exists() and list((tmp_path / "worlds").iterdir()) == []


def test_an_existing_world_is_kept_unless_overwritten(world: World, fashion_files: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="pass --overwrite"):
        build_fashion_world(world.root, FashionConfig(items=5, users=5), data_dir=fashion_files)
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(DataError, match="holds no fashion world"):
        build_fashion_world(other, FashionConfig(items=5, users=5), data_dir=fashion_files)
    assert (other / "notes.txt").read_text() == "keep me"


def test_cli_imports_into_the_store_and_fails_in_one_line(
    fashion_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from generec.store import Store

    home, out = tmp_path / "home", tmp_path / "fw"
    args = ["import", "fashion-mnist", "--out", str(out), "--items", "30", "--users", "10", "--home", str(home)]
    assert main([*args, "--data-dir", str(fashion_copy)]) == 0
    with Store.open(f"sqlite:///{home / 'generec.db'}") as store:
        assert store.info()["counts"]["items"] == 30
    capsys.readouterr()
    assert main(["world", "info", str(out)]) == 0 and "generec-fashion world" in capsys.readouterr().out
    (fashion_copy / "train-labels-idx1-ubyte.gz").unlink()
    capsys.readouterr()
    rc = main([*args, "--data-dir", str(fashion_copy), "--out", str(tmp_path / "fw2")])
    err = capsys.readouterr().err.strip()
    assert not (tmp_path / "fw2").exists()
    assert rc != 0 and err.count("\n") == 0 and "train-labels" in err and "Traceback" not in err
