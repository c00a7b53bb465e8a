"""Building and loading worlds: determinism, shots, media, events, laziness, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from generec.data.dataset import Dataset
from generec.data.sim import World, WorldConfig, build_world, featurize
from generec.errors import DataError
from generec.media import probe, read_image


def test_same_seed_same_bytes_including_media(media_world: World, tiny, hashes, tmp_path) -> None:
    again = World.build(tmp_path / "again", progress=False, workers=2, **tiny)
    first, second = hashes(media_world.root), hashes(again.root)
    assert len(first) == len(second) > 2 * tiny["items"]
    assert first == second


def test_different_seed_differs(hashes, tmp_path) -> None:
    a = build_world(tmp_path / "a", WorldConfig(users=30, items=20, seed=1, media=False), progress=False)
    b = build_world(tmp_path / "b", WorldConfig(users=30, items=20, seed=2, media=False), progress=False)
    ha, hb = hashes(a), hashes(b)
    assert ha.keys() == hb.keys()
    for name in ("items.parquet", "events.parquet", "preferences.parquet", "shots.parquet"):
        assert ha[name] != hb[name], name


def test_every_item_has_shots_video_and_thumbnail(media_world: World, tiny) -> None:
    items = media_world.items
    assert len(items) == tiny["items"]
    for item in items.itertuples():
        meta = media_world.item_meta(item.id)
        shots = meta["shots"]
        assert 2 <= len(shots) <= 4
        assert [s["start_frame"] for s in shots] == list(np.cumsum([0] + [s["n_frames"] for s in shots[:-1]]))
        assert sum(s["n_frames"] for s in shots) == meta["n_frames"]
        assert 2.0 <= meta["duration_s"] <= 6.0 + 1e-9
        assert all(s["caption"] and 1 <= len(s["subjects"]) <= 2 for s in shots)
        assert item.title and item.caption == shots[meta["main_shot"]]["caption"]
        info = probe(media_world.root / item.media)
        assert (info.width, info.height, info.frames) == (64, 64, meta["n_frames"])
        thumb = read_image(media_world.root / item.thumbnail)
        # PNG is lossless: the thumbnail is exactly the uploader's chosen frame.
        assert np.array_equal(thumb, media_world.render(item.id)[meta["thumbnail_frame"]])


def test_shots_table_matches_item_metadata(media_world: World) -> None:
    shots = media_world.shots
    assert set(shots["item_id"]) == set(media_world.items["id"])
    row = shots.iloc[0]
    meta = media_world.item_meta(row["item_id"])
    first = meta["shots"][int(row["index"])]
    assert (row["scene"], row["category"], row["caption"]) == (
        first["scene"],
        first["subjects"][0]["category"],
        first["caption"],
    )


def test_thumbnails_are_not_personalised_but_reasonable(meta_world: World) -> None:
    # "Original" baseline: one thumbnail per item (no user in sight), first frame or a salient shot's middle.
    for item_id in meta_world.items["id"][:50]:
        meta = meta_world.item_meta(item_id)
        shot = meta["shots"][meta["thumbnail_shot"]]
        assert meta["thumbnail_frame"] in (0, shot["start_frame"] + shot["n_frames"] // 2)


def test_events_reference_valid_ids_and_are_time_ordered(meta_world: World) -> None:
    ds = meta_world.dataset().validate()
    ev = ds.events
    assert set(ev["kind"]) == {"impression", "click", "like", "dislike", "skip"}
    assert (ev.groupby("user_id", sort=False)["ts"].diff().dropna() >= 0).all()
    assert ev["user_id"].is_monotonic_increasing
    # Every click/like/dislike/skip follows an impression of the same item by the same user.
    imp = ev[ev.kind == "impression"]
    seen = set(zip(imp.user_id, imp.item_id, strict=True))
    rest = ev[ev.kind != "impression"]
    assert all(pair in seen for pair in zip(rest.user_id, rest.item_id, strict=True))
    created = ds.items.set_index("id")["created_at"]
    assert (imp["ts"].to_numpy() >= created.loc[imp["item_id"]].to_numpy()).all()
    clicks = ev[ev.kind == "click"]
    durations = pd.Series({i: meta_world.item_meta(i)["duration_s"] for i in ds.items["id"]})
    assert ((clicks["value"] >= 0) & (clicks["value"].to_numpy() <= durations.loc[clicks.item_id].to_numpy())).all()
    assert ev["session_id"].notna().all()


def test_dataset_splits_by_time(meta_world: World) -> None:
    split = meta_world.dataset().split()
    assert split.n_users == 400 and split.n_items == 150
    assert len(split.train) > len(split.test) > 0 and len(split.valid) > 0


def test_no_media_world_renders_lazily_and_identically(media_world: World, tiny, tmp_path) -> None:
    lazy = World.build(tmp_path / "lazy", progress=False, **{**tiny, "media": False})
    assert lazy.items["media"].isna().all() and not (lazy.root / "media").exists()
    item = "v0000003"
    video = lazy.media_path(item)
    assert video.read_bytes() == (media_world.root / "media" / f"{item}.mp4").read_bytes()
    assert lazy.thumbnail_path(item).read_bytes() == (media_world.root / "thumbnails" / f"{item}.png").read_bytes()
    with pytest.raises(DataError, match="unknown item id"):
        lazy.media_path("../../etc/passwd")


def test_world_tables_and_preferences(meta_world: World) -> None:
    assert Dataset.load(meta_world.root).name == "generec-sim"
    prefs = meta_world.user_preferences("u0000001")
    assert set(prefs) == {"category", "colour", "size", "motion", "scene", "style"}
    assert set(meta_world.preferences["taste"]) <= {"focused", "mixed", "broad"}
    roles = meta_world.users["attributes"].map(lambda a: json.loads(a)["role"])
    assert set(meta_world.items["uploader_id"]) <= set(meta_world.users["id"][roles == "uploader"])
    x = meta_world.item_features(["v0000002"])
    assert np.allclose(x[0], featurize(meta_world.item_meta("v0000002")))
    assert meta_world.summary()["events"] == len(meta_world.events)
    with pytest.raises(DataError):
        meta_world.user_preferences("nobody")


def test_bad_configs_and_folders(tmp_path) -> None:
    for bad in ({"users": -1}, {"items": 0}, {"frame_size": 4}, {"fps": 0}, {"seed": -3}):
        with pytest.raises(DataError):
            WorldConfig(**bad).validate()
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match="not empty"):
        build_world(tmp_path, WorldConfig(users=5, items=5, media=False), progress=False)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    world = tmp_path / "w"
    build_world(world, WorldConfig(users=5, items=5, media=False), progress=False)
    with pytest.raises(DataError, match="--overwrite"):
        build_world(world, WorldConfig(users=5, items=5, media=False), progress=False)
    build_world(world, WorldConfig(users=6, items=5, media=False), progress=False, overwrite=True)
    assert len(World.load(world).users) == 6


def test_build_rejects_unknown_settings(tmp_path) -> None:
    with pytest.raises(DataError, match="unknown world setting"):
        World.build(tmp_path / "w", progress=False, user=5)
    assert not (tmp_path / "w").exists()


def test_load_rejects_non_worlds(tmp_path) -> None:
    with pytest.raises(DataError, match="not a GeneRec-Sim world"):
        World.load(tmp_path)
    (tmp_path / "world.json").write_text('{"format": "generec-sim", "complete": false}')
    with pytest.raises(DataError, match="not finished"):
        World.load(tmp_path)
    (tmp_path / "world.json").write_text("{broken")
    with pytest.raises(DataError, match="unreadable"):
        World.load(tmp_path)
