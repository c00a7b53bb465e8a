"""Datasets as plain tables plus media files.

Every source of data — the built-in GeneRec-Sim world and every importer —
produces a :class:`Dataset`: three tables (items, users, events) and a root
folder that media paths are relative to. Models train from datasets; the store
loads them (:meth:`generec.store.Repository.load_dataset`).

Tables and their columns
------------------------
items
    ``id`` (str), ``title``, ``caption``, ``modality`` (a :class:`~generec.types.Modality`
    value), ``uploader_id`` (str or None), ``created_at`` (float), ``media`` and
    ``thumbnail`` (paths relative to ``root``, or None), ``attributes`` (JSON text).
users
    ``id`` (str), ``name``, ``attributes`` (JSON text).
events
    ``user_id``, ``item_id``, ``kind`` (an :class:`~generec.types.EventKind` value),
    ``ts`` (float), ``value`` (float, dwell seconds), ``session_id`` (str or None).

Example
-------
>>> import pandas as pd
>>> ds = Dataset.from_records(
...     items=[{"id": "v1", "title": "a red car"}], users=[{"id": "u1"}],
...     events=[{"user_id": "u1", "item_id": "v1", "kind": "click", "ts": 1.0}])
>>> len(ds.events)
1
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from generec.errors import DataError
from generec.types import EventKind, Modality

ITEM_COLUMNS: dict[str, Any] = {
    "id": None,
    "title": "",
    "caption": "",
    "modality": Modality.VIDEO.value,
    "uploader_id": None,
    "created_at": 0.0,
    "media": None,
    "thumbnail": None,
    "attributes": "{}",
}
USER_COLUMNS: dict[str, Any] = {"id": None, "name": "", "attributes": "{}"}
EVENT_COLUMNS: dict[str, Any] = {
    "user_id": None,
    "item_id": None,
    "kind": None,
    "ts": None,
    "value": 0.0,
    "session_id": None,
}
REQUIRED = {"items": ["id"], "users": ["id"], "events": ["user_id", "item_id", "kind", "ts"]}
POSITIVE_KINDS = (EventKind.CLICK.value, EventKind.LIKE.value)

_VALID_KINDS = {k.value for k in EventKind}
_VALID_MODALITIES = {m.value for m in Modality}


def _conform(df: pd.DataFrame, columns: Mapping[str, Any], table: str) -> pd.DataFrame:
    missing = [c for c in REQUIRED[table] if c not in df.columns]
    if missing:
        raise DataError(f"{table} table is missing required column(s): {', '.join(missing)}")
    df = df.copy()
    for col, default in columns.items():
        if col not in df.columns:
            df[col] = default
    return df[list(columns)]


@dataclass
class Split:
    """Interactions indexed by integer user/item ids, ready for model training.

    ``train``, ``valid`` and ``test`` are ``(n, 2)`` int64 arrays of
    ``(user_index, item_index)`` pairs; ``user_ids[u]`` / ``item_ids[i]`` map back.
    """

    user_ids: np.ndarray
    item_ids: np.ndarray
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    description: str = ""

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)


@dataclass
class Dataset:
    """Items, users and events as tables, with media paths relative to ``root``."""

    items: pd.DataFrame
    users: pd.DataFrame
    events: pd.DataFrame
    root: Path | None = None
    name: str = "dataset"
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.items = _conform(self.items, ITEM_COLUMNS, "items")
        self.users = _conform(self.users, USER_COLUMNS, "users")
        self.events = _conform(self.events, EVENT_COLUMNS, "events")

    @classmethod
    def from_records(
        cls,
        items: Iterable[Mapping[str, Any]],
        users: Iterable[Mapping[str, Any]],
        events: Iterable[Mapping[str, Any]],
        **kwargs: Any,
    ) -> Dataset:
        frames = {}
        for table, rows, cols in (
            ("items", items, ITEM_COLUMNS),
            ("users", users, USER_COLUMNS),
            ("events", events, EVENT_COLUMNS),
        ):
            rows = [dict(r) for r in rows]
            for r in rows:
                if isinstance(r.get("attributes"), dict):
                    r["attributes"] = json.dumps(r["attributes"], sort_keys=True)
            frames[table] = pd.DataFrame(rows, columns=list(cols)) if not rows else pd.DataFrame(rows)
        return cls(frames["items"], frames["users"], frames["events"], **kwargs)

    # ------------------------------------------------------------------ checks
    def validate(self) -> Dataset:
        """Check ids, kinds and references; raise :class:`DataError` naming the first problem."""
        for table, df in (("items", self.items), ("users", self.users)):
            if df["id"].isna().any():
                raise DataError(f"{table} table has rows with an empty id")
            dup = df["id"][df["id"].duplicated()]
            if len(dup):
                raise DataError(f"{table} table has duplicate id {dup.iloc[0]!r}")
        bad_mod = ~self.items["modality"].isin(_VALID_MODALITIES)
        if bad_mod.any():
            raise DataError(
                f"item {self.items['id'][bad_mod].iloc[0]!r} has unknown modality "
                f"{self.items['modality'][bad_mod].iloc[0]!r} (expected one of {sorted(_VALID_MODALITIES)})"
            )
        ev = self.events
        bad_kind = ~ev["kind"].isin(_VALID_KINDS)
        if bad_kind.any():
            raise DataError(
                f"event kind {ev['kind'][bad_kind].iloc[0]!r} is unknown (expected one of {sorted(_VALID_KINDS)})"
            )
        unknown_users = ~ev["user_id"].isin(self.users["id"])
        if unknown_users.any():
            n = int(unknown_users.sum())
            raise DataError(f"{n} event(s) refer to unknown user id(s), e.g. {ev['user_id'][unknown_users].iloc[0]!r}")
        unknown_items = ~ev["item_id"].isin(self.items["id"])
        if unknown_items.any():
            n = int(unknown_items.sum())
            raise DataError(f"{n} event(s) refer to unknown item id(s), e.g. {ev['item_id'][unknown_items].iloc[0]!r}")
        if pd.to_numeric(ev["ts"], errors="coerce").isna().any():
            raise DataError("events table has a missing or non-numeric 'ts' (timestamp)")
        return self

    # --------------------------------------------------------------- media
    def media_path(self, item_id: str, which: str = "media") -> Path | None:
        """Absolute path of an item's media (``which="media"``) or thumbnail file, if any."""
        row = self.items.loc[self.items["id"] == item_id]
        if row.empty:
            raise DataError(f"unknown item id {item_id!r}")
        rel = row.iloc[0][which]
        if rel is None or (isinstance(rel, float) and np.isnan(rel)) or self.root is None:
            return None
        return Path(self.root) / str(rel)

    def item_attributes(self, item_id: str) -> dict[str, Any]:
        row = self.items.loc[self.items["id"] == item_id]
        if row.empty:
            raise DataError(f"unknown item id {item_id!r}")
        return json.loads(row.iloc[0]["attributes"] or "{}")

    # ---------------------------------------------------------------- splits
    def split(
        self,
        valid: float = 0.1,
        test: float = 0.1,
        kinds: Iterable[str] = POSITIVE_KINDS,
        min_interactions: int = 3,
    ) -> Split:
        """Chronological per-user split of positive interactions (default: clicks and likes).

        Each user's distinct (user, item) interactions are ordered by first time;
        the last ``test`` fraction goes to test, the ``valid`` fraction before it to
        validation, the rest to training. Users with fewer than ``min_interactions``
        keep everything in training. Items only seen in valid/test are dropped from
        those sets (a full-ranking model cannot score an item it never indexed).
        """
        kinds = [k.value if isinstance(k, EventKind) else str(k) for k in kinds]
        ev = self.events[self.events["kind"].isin(kinds)][["user_id", "item_id", "ts"]]
        if ev.empty:
            raise DataError(f"no events of kind(s) {kinds} to split")
        ev = ev.groupby(["user_id", "item_id"], sort=False, observed=True)["ts"].min().reset_index()
        ev = ev.sort_values(["user_id", "ts", "item_id"], kind="mergesort").reset_index(drop=True)
        user_ids = np.asarray(sorted(self.users["id"].astype(str).unique()))
        item_ids = np.asarray(sorted(self.items["id"].astype(str).unique()))
        u = np.searchsorted(user_ids, ev["user_id"].astype(str).to_numpy())
        i = np.searchsorted(item_ids, ev["item_id"].astype(str).to_numpy())
        counts = ev.groupby("user_id", sort=False).cumcount().to_numpy()
        sizes = ev.groupby("user_id", sort=False)["item_id"].transform("size").to_numpy()
        n_test = np.where(sizes >= min_interactions, np.maximum(1, np.floor(sizes * test)), 0)
        n_valid = np.where(sizes >= min_interactions, np.maximum(1, np.floor(sizes * valid)), 0)
        if test == 0:
            n_test[:] = 0
        if valid == 0:
            n_valid[:] = 0
        pos_from_end = sizes - counts  # 1 for the last interaction
        is_test = pos_from_end <= n_test
        is_valid = ~is_test & (pos_from_end <= n_test + n_valid)
        is_train = ~is_test & ~is_valid
        pairs = np.stack([u, i], axis=1).astype(np.int64)
        train = pairs[is_train]
        seen_items = np.zeros(len(item_ids), dtype=bool)
        seen_items[train[:, 1]] = True
        valid_pairs = pairs[is_valid]
        test_pairs = pairs[is_test]
        valid_pairs = valid_pairs[seen_items[valid_pairs[:, 1]]]
        test_pairs = test_pairs[seen_items[test_pairs[:, 1]]]
        desc = (
            f"per-user chronological split of {'/'.join(kinds)} events, "
            f"valid={valid:g}, test={test:g}, min_interactions={min_interactions}"
        )
        return Split(user_ids, item_ids, train, valid_pairs, test_pairs, desc)

    # ---------------------------------------------------------------- files
    def save(self, directory: str | Path) -> Path:
        """Write the tables as Parquet plus ``dataset.json`` into ``directory``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for table in ("items", "users", "events"):
            getattr(self, table).to_parquet(d / f"{table}.parquet", index=False)
        meta = {"name": self.name, "meta": self.meta}
        (d / "dataset.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return d

    @classmethod
    def load(cls, directory: str | Path, root: str | Path | None = None) -> Dataset:
        """Read a dataset written by :meth:`save`; media resolve against ``root`` (default: the directory)."""
        d = Path(directory)
        if not (d / "dataset.json").is_file():
            raise DataError(f"{d} is not a GeneRec dataset (no dataset.json); build one with `generec world build`")
        info = json.loads((d / "dataset.json").read_text(encoding="utf-8"))
        tables = {}
        for table in ("items", "users", "events"):
            path = d / f"{table}.parquet"
            if not path.is_file():
                raise DataError(f"dataset {d} is missing {path.name}")
            tables[table] = pd.read_parquet(path)
        return cls(
            tables["items"],
            tables["users"],
            tables["events"],
            root=Path(root) if root is not None else d,
            name=info.get("name", d.name),
            meta=info.get("meta", {}),
        )
