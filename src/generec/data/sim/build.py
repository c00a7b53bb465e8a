"""Build a GeneRec-Sim world on disk: same seed, same bytes.

Stages (each with a progress bar): items and their shots; users, their hidden
preferences and their interactions, in fixed-size chunks of users written to
Parquet as they are made (so a million users fit in a few GiB); instructions;
then, unless ``media=False``, every item's video and thumbnail rendered in a
process pool (each file is a pure function of its item's metadata, so worker
scheduling cannot change a byte).

Files in the output directory::

    dataset.json  items.parquet  users.parquet  events.parquet   (a generec Dataset)
    world.json    shots.parquet  preferences.parquet  instructions.parquet
    item_truth.parquet  (per item: popularity, duration, ground-truth feature vector)
    shot_truth.parquet  (per shot: item row, share of the running time, ground-truth feature vector)
    media/<item>.mp4  thumbnails/<item>.png                       (unless media=False)
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from generec.data.sim import vocab
from generec.data.sim.clickmodel import ClickModel, featurize, shot_arrays
from generec.data.sim.instructions import generate_instructions, instructions_table
from generec.data.sim.interactions import EVENT_SCHEMA, Catalog, simulate_chunk
from generec.data.sim.items import item_id, item_schedule, make_item, profile_of, uploader_profiles
from generec.data.sim.media import render_all
from generec.data.sim.users import chunk_rng, draw_users, population_weights, taste_label, user_id, user_names
from generec.errors import DataError

FORMAT = "generec-sim"
FORMAT_VERSION = 2
"""Bump when what a world's files mean changes. 2: shared population taste, soft-max shot
aggregation with a time cost, and shot_truth.parquet. Older worlds are refused on load."""
CHUNK_USERS = 10_000
"""Users per generation chunk. Part of the world's definition: changing it changes the world."""
WORLD_FILES = (
    "dataset.json",
    "world.json",
    "items.parquet",
    "users.parquet",
    "events.parquet",
    "shots.parquet",
    "preferences.parquet",
    "item_truth.parquet",
    "shot_truth.parquet",
    "instructions.parquet",
)
MEDIA_DIRS = ("media", "thumbnails")
_PARQUET = {"compression": "zstd", "use_dictionary": True}


@dataclass(frozen=True)
class WorldConfig:
    """What defines a world. Same config, same bytes.

    Example
    -------
    >>> WorldConfig(users=30, items=20, seed=1).validate().items
    20
    """

    users: int = 2000
    items: int = 1500
    seed: int = 0
    media: bool = True
    frame_size: int = 64
    fps: int = 8
    impressions_per_user: float = 60.0
    instructions: int = 2400
    population_taste: float = 0.5
    """Scale of the taste every user shares (0 = none; 1 = as strong as a typical individual taste)."""
    temperature: float = 0.3
    """Soft-max temperature of shot aggregation, saved into the world's :class:`ClickModel`."""
    time_cost: float = 0.12
    """Satisfaction lost per second watched, saved into the world's :class:`ClickModel`."""

    def click_model(self) -> ClickModel:
        """The response model of worlds built with this config."""
        return ClickModel(temperature=self.temperature, time_cost=self.time_cost)

    def validate(self) -> WorldConfig:
        checks = [
            (self.users >= 1, f"--users must be at least 1, got {self.users}"),
            (self.items >= 1, f"--items must be at least 1, got {self.items}"),
            (self.seed >= 0, f"--seed must be a non-negative integer, got {self.seed}"),
            (16 <= self.frame_size <= 512, f"--size must be between 16 and 512 pixels, got {self.frame_size}"),
            (1 <= self.fps <= 60, f"--fps must be between 1 and 60, got {self.fps}"),
            (1 <= self.impressions_per_user <= 10_000, "--impressions must be between 1 and 10000 per user"),
            (self.instructions >= 0, f"--instructions must be >= 0, got {self.instructions}"),
            (0 <= self.population_taste <= 10, f"population_taste must be in [0, 10], got {self.population_taste}"),
            (0 < self.temperature <= 1e3, f"temperature must be in (0, 1000], got {self.temperature}"),
            (0 <= self.time_cost <= 10, f"time_cost must be in [0, 10] per second, got {self.time_cost}"),
        ]
        for ok, message in checks:
            if not ok:
                raise DataError(message)
        return self


def _prepare(out: Path, overwrite: bool) -> Path:
    if out.exists() and not out.is_dir():
        raise DataError(f"{out} exists and is not a directory; choose another --out")
    if out.is_dir() and any(out.iterdir()):
        if not (out / "world.json").is_file():
            raise DataError(f"{out} is not empty and holds no world; choose an empty or new --out directory")
        if not overwrite:
            raise DataError(f"{out} already holds a world; pass --overwrite to replace it")
        for name in WORLD_FILES:  # only what a build writes, never anything else in the folder
            (out / name).unlink(missing_ok=True)
        for name in MEDIA_DIRS:
            shutil.rmtree(out / name, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def _shot_rows(iid: str, meta: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for shot in meta["shots"]:
        row = {"item_id": iid, **{k: shot[k] for k in ("index", "start_frame", "n_frames", "start_s", "duration_s")}}
        row.update({k: shot[k] for k in ("scene", "style", "caption")})
        for n, suffix in ((0, ""), (1, "2")):
            subject = shot["subjects"][n] if n < len(shot["subjects"]) else {}
            row.update({a + suffix: subject.get(a) for a in vocab.SUBJECT_ATTRIBUTES})
        yield row


def _write_item_tables(
    out: Path,
    cfg: WorldConfig,
    cols: dict[str, list[Any]],
    shots: list[dict[str, Any]],
    schedule: dict[str, np.ndarray],
    features: np.ndarray,
    duration: np.ndarray,
    shot_truth: tuple[np.ndarray, np.ndarray],
) -> None:
    """items.parquet (the Dataset table), shots.parquet, item_truth.parquet and shot_truth.parquet."""
    ids = cols["id"]
    table = pa.table(
        {
            "id": pa.array(ids, pa.string()),
            "title": pa.array(cols["title"], pa.string()),
            "caption": pa.array(cols["caption"], pa.string()),
            "modality": pa.array(["video"] * cfg.items, pa.string()),
            "uploader_id": pa.array(cols["uploader_id"], pa.string()),
            "created_at": pa.array(schedule["created_at"], pa.float64()),
            "media": pa.array([f"media/{i}.mp4" if cfg.media else None for i in ids], pa.string()),
            "thumbnail": pa.array([f"thumbnails/{i}.png" if cfg.media else None for i in ids], pa.string()),
            "attributes": pa.array(cols["attributes"], pa.string()),
        }
    )
    pq.write_table(table, out / "items.parquet", **_PARQUET)
    pq.write_table(pa.Table.from_pylist(shots), out / "shots.parquet", **_PARQUET)
    truth = {
        "item_id": pa.array(ids, pa.string()),
        "popularity": pa.array(schedule["popularity"], pa.float64()),
        "duration_s": pa.array(duration, pa.float64()),
        **{name: pa.array(features[:, j], pa.float32()) for j, name in enumerate(vocab.FEATURES)},
    }
    pq.write_table(pa.table(truth), out / "item_truth.parquet", **_PARQUET)
    x, share = shot_truth
    rows = np.flatnonzero(share.reshape(-1) > 0)
    shot_table = {
        "item_row": pa.array(rows // share.shape[1], pa.int64()),
        "share": pa.array(share.reshape(-1)[rows], pa.float64()),
        **{name: pa.array(x.reshape(-1, x.shape[-1])[rows, j], pa.float32()) for j, name in enumerate(vocab.FEATURES)},
    }
    pq.write_table(pa.table(shot_table), out / "shot_truth.parquet", **_PARQUET)


def _build_items(
    out: Path, cfg: WorldConfig, population: np.ndarray, progress: bool
) -> tuple[Catalog, list[str], set[str]]:
    """Write the item tables; return the catalogue, item metadata JSON and uploader ids."""
    rng = chunk_rng(cfg.seed, 0, 0)
    n_uploaders = min(cfg.users, max(1, math.ceil(cfg.items / 10)))
    uploaders = np.sort(rng.choice(cfg.users, n_uploaders, replace=False))
    profiles = uploader_profiles(rng, n_uploaders)
    schedule = item_schedule(rng, cfg.items, n_uploaders)
    cols: dict[str, list[Any]] = {k: [] for k in ("id", "title", "caption", "uploader_id", "attributes")}
    shots: list[dict[str, Any]] = []
    features = np.zeros((cfg.items, vocab.N_FEATURES), dtype=np.float32)
    duration = np.zeros(cfg.items)
    category = np.zeros(cfg.items, dtype=np.int64)
    habits: dict[int, dict[str, list[float]]] = {}
    metas: list[dict[str, Any]] = []
    for i in tqdm(range(cfg.items), desc="items", unit="item", disable=not progress, mininterval=0.5):
        u = int(schedule["uploader"][i])
        if u not in habits:
            habits[u] = profile_of(profiles, u)
        salient = bool(profiles["salient_thumbnails"][u])
        meta = make_item(i, cfg.seed, habits[u], salient, cfg.fps, cfg.frame_size, population)
        meta["popularity"] = float(schedule["popularity"][i])
        iid = item_id(i)
        cols["id"].append(iid)
        cols["title"].append(meta["title"])
        cols["caption"].append(meta["shots"][meta["main_shot"]]["caption"])
        cols["uploader_id"].append(user_id(int(uploaders[u])))
        cols["attributes"].append(_json(meta))
        shots.extend(_shot_rows(iid, meta))
        features[i] = featurize(meta)
        metas.append(meta)
        duration[i] = meta["duration_s"]
        category[i] = vocab.CATEGORIES.index(meta["category"])
    shot_x, shot_share = shot_arrays(metas)
    _write_item_tables(out, cfg, cols, shots, schedule, features, duration, (shot_x, shot_share))
    ids = cols["id"]
    catalog = Catalog(
        item_ids=pa.array(ids, pa.string()),
        features=features,
        shot_features=shot_x,
        shot_share=shot_share,
        popularity=schedule["popularity"],
        created_at=schedule["created_at"],
        duration=duration,
        category=category,
    )
    return catalog, cols["attributes"], set(cols["uploader_id"])


def _user_tables(
    cfg: WorldConfig, c: int, ids: list[str], users: dict[str, np.ndarray], uploaders: set[str]
) -> tuple[pa.Table, pa.Table]:
    start = c * CHUNK_USERS
    names = user_names(chunk_rng(cfg.seed, 5, c), start, len(ids))
    role = ['{"role":"uploader"}' if i in uploaders else '{"role":"viewer"}' for i in ids]
    people = pa.table({"id": ids, "name": names, "attributes": role})
    return people, preference_table(ids, users, vocab.FEATURES)


def preference_table(ids: list[str], users: dict[str, np.ndarray], features: tuple[str, ...]) -> pa.Table:
    """preferences.parquet rows of drawn users: a hidden weight per feature and their traits."""
    prefs = {"user_id": pa.array(ids, pa.string())}
    for j, name in enumerate(features):
        prefs[name] = pa.array(users["weights"][:, j], pa.float32())
    prefs["popularity_sensitivity"] = pa.array(np.round(users["popularity_sensitivity"], 4), pa.float64())
    prefs["concentration"] = pa.array(np.round(users["concentration"], 4), pa.float64())
    prefs["impressions"] = pa.array(users["impressions"], pa.int64())
    prefs["taste"] = pa.array(taste_label(users["concentration"]).tolist(), pa.string())
    return pa.table(prefs)


class UserTables:
    """Appends each chunk's users, preferences and events to their Parquet files (one writer per table).

    >>> with UserTables(out) as tables:  # doctest: +SKIP
    ...     tables.write(users=people, preferences=prefs, events=events)
    """

    def __init__(self, root: Path) -> None:
        self.root, self.writers = root, {}

    def __enter__(self) -> UserTables:
        return self

    def write(self, **tables: pa.Table) -> None:
        for name, table in tables.items():
            if name not in self.writers:
                schema = EVENT_SCHEMA if name == "events" else table.schema
                self.writers[name] = pq.ParquetWriter(self.root / f"{name}.parquet", schema, **_PARQUET)
            self.writers[name].write_table(table)

    def __exit__(self, *exc: object) -> None:
        for w in self.writers.values():
            w.close()


def _build_users(
    out: Path, cfg: WorldConfig, catalog: Catalog, uploaders: set[str], population: np.ndarray, progress: bool
) -> int:
    """Write users, preferences and events chunk by chunk; return the number of events."""
    model = cfg.click_model()
    n_events = 0
    n_chunks = math.ceil(cfg.users / CHUNK_USERS)
    with UserTables(out) as tables:
        for c in tqdm(range(n_chunks), desc="users", unit="chunk", disable=not progress or n_chunks < 2):
            start, stop = c * CHUNK_USERS, min(cfg.users, (c + 1) * CHUNK_USERS)
            ids = [user_id(k) for k in range(start, stop)]
            users = draw_users(chunk_rng(cfg.seed, 2, c), stop - start, cfg.impressions_per_user, population)
            people, prefs = _user_tables(cfg, c, ids, users, uploaders)
            events = simulate_chunk(chunk_rng(cfg.seed, 3, c), ids, users, catalog, model)
            n_events += events.num_rows
            tables.write(users=people, preferences=prefs, events=events)
    return n_events


def build_world(out: str | Path, config: WorldConfig | None = None, *, progress: bool = True,
                overwrite: bool = False, workers: int = 2) -> Path:  # fmt: skip
    """Build a world into ``out``; return the directory. Open it with ``World.load(out)``.

    ``workers`` only sets how many processes render media; it never changes the output.
    """
    cfg = (config or WorldConfig()).validate()
    root = _prepare(Path(out), overwrite)
    # Marks the folder as ours at once, so an interrupted build can be replaced with --overwrite.
    (root / "world.json").write_text(json.dumps({"format": FORMAT, "complete": False}) + "\n", encoding="utf-8")
    population = population_weights(cfg.seed, cfg.population_taste)
    catalog, metas, uploaders = _build_items(root, cfg, population, progress)
    n_events = _build_users(root, cfg, catalog, uploaders, population, progress)
    rows = generate_instructions(cfg.instructions, cfg.seed)
    pq.write_table(pa.table(instructions_table(rows)), root / "instructions.parquet", **_PARQUET)
    if cfg.media:
        render_all(root, catalog.item_ids.to_pylist(), metas, workers=workers, progress=progress)
    counts = {"items": cfg.items, "users": cfg.users, "events": n_events, "instructions": len(rows)}
    describe_world(root, "generec-sim", (FORMAT, FORMAT_VERSION, vocab.VERSION), cfg, cfg.click_model(),
                   population, counts, vocab.VOCAB)  # fmt: skip
    return root


def describe_world(
    root: Path,
    name: str,
    versions: tuple[str, int, int],
    cfg: Any,
    model: ClickModel,
    population: np.ndarray,
    counts: dict[str, int],
    vocabulary: dict[str, tuple[str, ...]],
) -> None:
    """Write ``world.json`` (marked complete) and ``dataset.json``: the last step of building any world.

    ``versions`` is ``(format, format_version, vocab_version)``; ``cfg`` a dataclass of the build settings.
    """
    fmt, fmt_version, vocab_version = versions
    info = {
        "format": fmt,
        "format_version": fmt_version,
        "complete": True,
        "vocab_version": vocab_version,
        "config": asdict(cfg),
        "click_model": model.to_dict(),
        "population_weights": [round(float(v), 6) for v in population],
        "chunk_users": CHUNK_USERS,
        "counts": counts,
        "features": [f"{a}={v}" for a, values in vocabulary.items() for v in values],
        "vocab": {k: list(v) for k, v in vocabulary.items()},
    }
    (root / "world.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    meta = {"name": name, "meta": {"world": "world.json", "seed": cfg.seed, "counts": counts}}
    (root / "dataset.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
