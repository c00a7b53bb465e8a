"""Loading datasets into the store: all or nothing, with a report of what was skipped."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from generec.data.dataset import Dataset
from generec.errors import DataError, MediaError, StoreError
from generec.store import MediaStore, Store
from generec.store.models import TABLES
from generec.types import Role


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table, to prove that a failed load changed nothing."""
    with store.engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(t.select()).all()), key=repr) for t in TABLES}


@pytest.fixture
def world(tmp_path: Path, make_video) -> Dataset:
    """Three items with real videos and PNG thumbnails, two users, events, one uploader without an account."""
    root = tmp_path / "world"
    for i in range(3):
        make_video(root / "videos" / f"v{i}.mp4", shade=40 * i)
        (root / "covers").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (16, 12), (i * 50, 0, 0)).save(root / "covers" / f"v{i}.png")
    items = [
        {
            "id": f"v{i}",
            "title": f"video {i}",
            "uploader_id": "u0" if i == 0 else "studio",
            "created_at": float(i),
            "media": f"videos/v{i}.mp4",
            "thumbnail": f"covers/v{i}.png",
            "attributes": {"colour": ["red", "blue", "green"][i]},
        }
        for i in range(3)
    ]
    users = [{"id": "u0", "name": "Ann", "attributes": {"focus": 0.8}}, {"id": "u1", "name": "Bob"}]
    events = [
        {"user_id": f"u{n % 2}", "item_id": f"v{n % 3}", "kind": "click", "ts": float(100 - n), "value": 0.0}
        for n in range(30)
    ]
    return Dataset.from_records(items, users, events, root=root, name="tiny-world")


def test_load_stores_everything_and_reports(store: Store, media_store: MediaStore, world: Dataset) -> None:
    report = store.load_dataset(world, media_store, progress=False)
    assert (report.users, report.items, report.events) == (2, 3, 30)
    assert report.media == 6 and report.uploaders_created == 1 and report.skipped == {}
    assert "tiny-world: 2 users, 3 items, 30 events, 6 media files loaded" in report.summary()
    item = store.get_item("v1")
    assert item.attributes == {"colour": "blue"} and item.uploader_id == "studio"
    video, cover = store.get_media(item.media_hash), store.get_media(item.thumbnail_hash)
    assert (video.width, video.height, video.mime) == (32, 32, "video/mp4")
    assert (cover.width, cover.height) == (16, 12)
    assert media_store.path_for(item.media_hash).read_bytes() == (world.root / "videos/v1.mp4").read_bytes()
    assert store.get_user("studio").role is Role.UPLOADER
    assert store.get_user("u0").attributes == {"focus": 0.8}
    ts = [e.ts for e in store.events_for_user("u0")]
    assert ts == sorted(ts) and len(ts) == 15


def test_unknown_user_in_events_leaves_the_store_unchanged(populated: Store, media_store, world: Dataset) -> None:
    before = snapshot(populated)
    bad = Dataset(world.items, world.users, pd.concat([world.events, world.events.head(1).assign(user_id="ghost")]),
                  root=world.root)  # fmt: skip
    with pytest.raises(DataError, match="unknown user id.*'ghost'"):
        populated.load_dataset(bad, media_store, progress=False)
    assert snapshot(populated) == before


def test_failure_inside_the_transaction_rolls_everything_back(populated: Store, media_store, world) -> None:
    before = snapshot(populated)
    items = world.items.copy()
    items["attributes"] = [{"bad": object()}, {"ok": 1}, {"ok": 2}]  # v0 (new) fails at the insert, after users
    with pytest.raises(StoreError, match="loading dataset"):
        ds = Dataset(items, world.users, world.events, root=world.root)
        populated.load_dataset(ds, media_store, on_existing="skip", progress=False)  # u0 is new: inserted first
    assert snapshot(populated) == before


@pytest.mark.parametrize("rel", ["../outside.mp4", "/etc/passwd", "videos/../../outside.mp4"])
def test_media_paths_leaving_the_dataset_folder_are_refused(store, media_store, world, rel) -> None:
    (world.root.parent / "outside.mp4").write_bytes(b"secret")
    before = snapshot(store)
    world.items.loc[1, "media"] = rel
    with pytest.raises(DataError, match="outside the dataset folder"):
        store.load_dataset(world, media_store, progress=False)
    assert snapshot(store) == before
    assert all(media_store.path_for(h).read_bytes() != b"secret" for h in media_store.iter_hashes())


def test_bad_media_fails_or_is_skipped_and_reported(store, media_store, world: Dataset) -> None:
    (world.root / "videos" / "v2.mp4").write_text("not a video\n" * 10)
    world.items.loc[0, "media"] = "videos/missing.mp4"
    before = snapshot(store)
    with pytest.raises(MediaError, match="missing.mp4"):
        store.load_dataset(world, media_store, progress=False)
    assert snapshot(store) == before
    report = store.load_dataset(world, media_store, on_bad_media="skip", progress=False)
    assert report.items == 3 and report.n_skipped == 2
    assert sorted(i for ids in report.skipped.values() for i in ids) == ["videos/missing.mp4", "videos/v2.mp4"]
    assert store.get_item("v0").media_hash is None and store.get_item("v0").thumbnail_hash is not None
    assert store.get_item("v1").media_hash is not None


def test_loading_twice_is_refused_or_skips_existing(store, media_store, world: Dataset) -> None:
    store.load_dataset(world, media_store, progress=False)
    before = snapshot(store)
    with pytest.raises(StoreError, match="already in the store"):
        store.load_dataset(world, media_store, progress=False)
    assert snapshot(store) == before
    report = store.load_dataset(world, media_store, on_existing="skip", progress=False)
    assert (report.users, report.items, report.media, report.media_reused) == (0, 0, 0, 6)
    assert len(report.skipped["item already in the store (kept as stored)"]) == 3
    assert store.counts()["events"] == 60  # events are appended, as documented


def test_load_without_media_store_and_from_saved_dataset(store: Store, world: Dataset, tmp_path: Path) -> None:
    saved = Dataset.load(world.save(tmp_path / "saved"), root=world.root)
    report = store.load_dataset(saved, None, progress=False)
    assert report.items == 3 and report.media == 0
    assert sorted(report.skipped["no media store given (item kept without media)"]) == ["v0", "v1", "v2"]
    assert store.get_item("v2").attributes == {"colour": "green"}


def test_bad_attribute_json_is_a_data_error(store: Store, world: Dataset) -> None:
    world.users.loc[1, "attributes"] = "{not json"
    with pytest.raises(DataError, match="user 'u1' has attributes that are not valid JSON"):
        store.load_dataset(world, None, progress=False)
    assert store.counts()["users"] == 0


def demo_sized(users: int = 2000, items: int = 1500, events: int = 200_000, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    kinds = np.array(["impression", "click", "like", "dislike", "skip", "dwell"])
    u = pd.DataFrame({"id": [f"u{i}" for i in range(users)], "name": "", "attributes": "{}"})
    it = pd.DataFrame(
        {"id": [f"v{i}" for i in range(items)], "title": "t", "uploader_id": [f"c{i % 40}" for i in range(items)],
         "attributes": json.dumps({"colour": "red"})}
    )  # fmt: skip
    ev = pd.DataFrame(
        {"user_id": u["id"].to_numpy()[rng.integers(0, users, events)],
         "item_id": it["id"].to_numpy()[rng.integers(0, items, events)],
         "kind": kinds[rng.integers(0, len(kinds), events)], "ts": rng.random(events) * 1e6,
         "value": rng.random(events), "session_id": None}
    )  # fmt: skip
    return Dataset(it, u, ev, name="demo-sized")


@pytest.mark.slow
def test_demo_sized_world_loads_in_bulk(store: Store) -> None:
    ds = demo_sized()
    started = time.perf_counter()
    report = store.load_dataset(ds, None, progress=False)
    elapsed = time.perf_counter() - started
    print(f"loaded {report.summary()} in {elapsed:.1f} s")
    assert (report.users, report.items, report.events, report.uploaders_created) == (2000, 1500, 200_000, 40)
    assert store.counts()["events"] == 200_000
    history = store.events_for_user("u7", limit=20)
    assert len(history) == 20 and [e.ts for e in history] == sorted(e.ts for e in history)
