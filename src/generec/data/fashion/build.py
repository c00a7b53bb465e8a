"""Build a fashion world from Fashion-MNIST: real product photos as image items, simulated shoppers, interactions.

The world has the file layout of a GeneRec-Sim world (``generec world build``), so
the store, the loop and :class:`~generec.data.sim.simulator.UserSimulator` read it
the same way; only the vocabulary differs (:mod:`generec.data.fashion.measure`)::

    dataset.json  items.parquet  users.parquet  events.parquet   (a generec Dataset)
    world.json    preferences.parquet  item_truth.parquet  shot_truth.parquet
    images/<item>.png (28x28, the photo)   thumbnails/<item>.png (112x112)

Items are a seeded sample of the *training* photos (the test photos stay unseen for
evaluation). Users, exposure and responses come from GeneRec-Sim's own models
(:func:`~generec.data.sim.users.draw_users`,
:func:`~generec.data.sim.interactions.simulate_chunk`, the
:class:`~generec.data.sim.clickmodel.ClickModel`), with a product photo as one "shot"
that takes :data:`VIEW_SECONDS` to look at.

Everything is written into a temporary folder beside ``out`` and moved into place
only when complete, so an interrupted or failed build leaves nothing half-made.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from generec.data.fashion import measure
from generec.data.fashion.source import CATEGORIES, load_split
from generec.data.sim.build import CHUNK_USERS, UserTables, describe_world, preference_table
from generec.data.sim.clickmodel import ClickModel
from generec.data.sim.interactions import Catalog, simulate_chunk
from generec.data.sim.items import item_schedule
from generec.data.sim.users import chunk_rng, draw_users, population_weights, user_id, user_names
from generec.errors import DataError

FORMAT = "generec-fashion"
FORMAT_VERSION = 1
VIEW_SECONDS = 4.0
"""How long a shopper looks at a product photo: the 'duration' the click model's time cost applies to."""
THUMBNAIL_SIDE = 112
_PARQUET = {"compression": "zstd", "use_dictionary": True}


@dataclass(frozen=True)
class FashionConfig:
    """What defines a fashion world. Same config and same Fashion-MNIST files, same world.

    Example
    -------
    >>> FashionConfig(items=50, users=20).validate().items
    50
    """

    items: int = 2000
    users: int = 1000
    seed: int = 0
    impressions_per_user: float = 40.0
    population_taste: float = 0.5

    def validate(self) -> FashionConfig:
        checks = [
            (1 <= self.items <= 60_000, f"--items must be between 1 and 60000 (the training photos), got {self.items}"),
            (self.users >= 1, f"--users must be at least 1, got {self.users}"),
            (self.seed >= 0, f"--seed must be a non-negative integer, got {self.seed}"),
            (1 <= self.impressions_per_user <= 10_000, "--impressions must be between 1 and 10000 per user"),
            (0 <= self.population_taste <= 10, f"population_taste must be in [0, 10], got {self.population_taste}"),
        ]
        for ok, message in checks:
            if not ok:
                raise DataError(message)
        return self


def fashion_item_id(train_index: int) -> str:
    """Item id of a training photo: ``f`` + its index in the training file."""
    return f"f{train_index:05d}"


def _item_tables(cfg: FashionConfig, rows: np.ndarray, labels: np.ndarray, images: np.ndarray) -> dict[str, Any]:
    """Per item: ids, value indices, features, schedule and the Dataset's item columns."""
    rng = chunk_rng(cfg.seed, 10, 0)
    bright, texture = measure.levels(images)
    schedule = item_schedule(rng, len(rows), max(1, math.ceil(len(rows) / 10)))
    ids = [fashion_item_id(int(r)) for r in rows]
    attrs, titles = [], []
    for r, c, b, t in zip(rows, labels, bright, texture, strict=True):
        values = {"category": CATEGORIES[c], "brightness": measure.BRIGHTNESS[b], "texture": measure.TEXTURE[t]}
        titles.append(f"{values['brightness']} {values['texture']} {CATEGORIES[c]}")
        attrs.append(json.dumps({**values, "source": "fashion-mnist", "train_index": int(r)}, sort_keys=True))
    return {
        "ids": ids,
        "titles": titles,
        "attributes": attrs,
        "features": measure.features(labels, bright, texture),
        "schedule": schedule,
    }


def _write_items(root: Path, cfg: FashionConfig, t: dict[str, Any]) -> None:
    ids, n = t["ids"], len(t["ids"])
    items = {
        "id": pa.array(ids, pa.string()),
        "title": pa.array(t["titles"], pa.string()),
        "caption": pa.array([f"a {title}" for title in t["titles"]], pa.string()),
        "modality": pa.array(["image"] * n, pa.string()),
        "uploader_id": pa.array([None] * n, pa.string()),
        "created_at": pa.array(t["schedule"]["created_at"], pa.float64()),
        "media": pa.array([f"images/{i}.png" for i in ids], pa.string()),
        "thumbnail": pa.array([f"thumbnails/{i}.png" for i in ids], pa.string()),
        "attributes": pa.array(t["attributes"], pa.string()),
    }
    pq.write_table(pa.table(items), root / "items.parquet", **_PARQUET)
    columns = {name: pa.array(t["features"][:, j], pa.float32()) for j, name in enumerate(measure.FEATURES)}
    truth = {
        "item_id": pa.array(ids, pa.string()),
        "popularity": pa.array(t["schedule"]["popularity"], pa.float64()),
        "duration_s": pa.array(np.full(n, VIEW_SECONDS), pa.float64()),
        **columns,
    }
    pq.write_table(pa.table(truth), root / "item_truth.parquet", **_PARQUET)
    shots = {"item_row": pa.array(np.arange(n), pa.int64()), "share": pa.array(np.ones(n), pa.float64()), **columns}
    pq.write_table(pa.table(shots), root / "shot_truth.parquet", **_PARQUET)


def _write_images(root: Path, ids: list[str], images: np.ndarray) -> None:
    for sub in ("images", "thumbnails"):
        (root / sub).mkdir()
    for iid, img in zip(ids, images, strict=True):
        photo = Image.fromarray(img).convert("RGB")  # grayscale as RGB: the store's media are colour
        photo.save(root / "images" / f"{iid}.png", optimize=True)
        thumbnail = photo.resize((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.BICUBIC)
        thumbnail.save(root / "thumbnails" / f"{iid}.png")


def _write_users(root: Path, cfg: FashionConfig, catalog: Catalog, population: np.ndarray, model: ClickModel) -> int:
    n_events = 0
    with UserTables(root) as tables:
        for c in range(math.ceil(cfg.users / CHUNK_USERS)):
            start, stop = c * CHUNK_USERS, min(cfg.users, (c + 1) * CHUNK_USERS)
            ids = [user_id(k) for k in range(start, stop)]
            users = draw_users(
                chunk_rng(cfg.seed, 12, c), stop - start, cfg.impressions_per_user, population,
                vocab=measure.VOCAB, importance=measure.IMPORTANCE,
            )  # fmt: skip
            names = user_names(chunk_rng(cfg.seed, 15, c), start, len(ids))
            people = pa.table({"id": ids, "name": names, "attributes": ['{"role":"shopper"}'] * len(ids)})
            prefs = preference_table(ids, users, measure.FEATURES)
            events = simulate_chunk(chunk_rng(cfg.seed, 13, c), ids, users, catalog, model)
            n_events += events.num_rows
            tables.write(users=people, preferences=prefs, events=events)
    return n_events


def _fill(root: Path, cfg: FashionConfig, data_dir: str | Path | None) -> dict[str, int]:
    images, labels = load_split("train", data_dir)
    rows = np.sort(chunk_rng(cfg.seed, 11, 0).choice(len(images), cfg.items, replace=False))
    t = _item_tables(cfg, rows, labels[rows], images[rows])
    _write_items(root, cfg, t)
    _write_images(root, t["ids"], images[rows])
    model = ClickModel()
    catalog = Catalog(
        item_ids=pa.array(t["ids"], pa.string()),
        features=t["features"],
        shot_features=t["features"][:, None, :],
        shot_share=np.ones((len(rows), 1)),
        popularity=t["schedule"]["popularity"],
        created_at=t["schedule"]["created_at"],
        duration=np.full(len(rows), VIEW_SECONDS),
        category=labels[rows],
    )
    population = population_weights(cfg.seed, cfg.population_taste, measure.VOCAB, measure.IMPORTANCE, {})
    n_events = _write_users(root, cfg, catalog, population, model)
    counts = {"items": cfg.items, "users": cfg.users, "events": n_events, "instructions": 0}
    versions = (FORMAT, FORMAT_VERSION, measure.VERSION)
    describe_world(root, "fashion-mnist", versions, cfg, model, population, counts, measure.VOCAB)
    return counts


def build_fashion_world(
    out: str | Path, config: FashionConfig | None = None, *, data_dir: str | Path | None = None, overwrite: bool = False
) -> Path:
    """Build a fashion world into ``out`` (all or nothing) and return it; open it with ``World.load(out)``.

    Raises :class:`DataError` when ``out`` holds something else, or when the Fashion-MNIST
    files are missing or corrupt (then nothing is written).
    """
    cfg = (config or FashionConfig()).validate()
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise DataError(f"{out} exists and is not a directory; choose another --out")
        if any(out.iterdir()):
            info = _world_format(out)
            if info != FORMAT:
                raise DataError(f"{out} is not empty and holds no fashion world; choose an empty or new --out")
            if not overwrite:
                raise DataError(f"{out} already holds a fashion world; pass --overwrite to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _fill(tmp, cfg, data_dir)
        tmp.chmod(0o755)  # mkdtemp makes it private; a world is read by the service and other users
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _world_format(folder: Path) -> str | None:
    try:
        return json.loads((folder / "world.json").read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError, AttributeError):
        return None
