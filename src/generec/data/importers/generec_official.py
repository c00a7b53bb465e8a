"""Import the layout of the official GeneRec release (interaction dicts + precomputed features).

Layout::

    data/
      training_dict.npy      {user_index: [item_index, ...]}   pickled dict, numpy .npy
      testing_dict.npy       same, the held-out interactions
      validation_dict.npy    same (optional)
      cover_feature.pt|.npy  [n_items, d]           one feature row per item's cover   (optional)
      video_feature.pt|.npy  [n_items, frames, d]   per-frame features of each video  (optional)
      cover_features/{item}.npy|.pt, frame_features/{item}.npy|.pt   the same, one file per item (optional)

The dicts are Python pickles, and **loading a pickle can run any code its author put in it**;
so they are only read when the caller passes ``trust_pickle=True`` (``--trust-pickle``).
Feature files are read without pickle (``np.load(allow_pickle=False)``, ``torch.load(weights_only=True)``)
and memory-mapped: only their shapes are read here. Their paths and shapes go into
``dataset.meta["features"]`` (and each item's ``attributes``) for the encoder layer to use as
precomputed features.

Each listed (user, item) becomes a ``click``; there are no timestamps in this layout, so events get
ordinal times: a user's training items first (in list order), then validation, then testing, with
``session_id`` set to ``"train"``, ``"valid"`` or ``"test"`` so the original split is kept.

Example
-------
>>> from generec.data.importers import import_generec_official
>>> ds, report = import_generec_official("GeneRec/data", trust_pickle=True)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from generec.data.dataset import Dataset
from generec.data.importers._common import ImportReport, ImportResult, ProgressFn, check_prefix, report_counts
from generec.errors import DataError

SPLIT_FILES = (("train", "training_dict.npy"), ("valid", "validation_dict.npy"), ("test", "testing_dict.npy"))
MATRIX_FILES = {"cover": ("cover_feature",), "frame": ("video_feature", "frame_feature")}
PER_ITEM_DIRS = {"cover": ("cover_features",), "frame": ("frame_features", "video_features")}
PICKLE_WARNING = (
    "are Python pickles, and loading a pickle can run any code its author put in it; "
    "re-run with --trust-pickle (trust_pickle=True) only if you trust where these files came from"
)


def _load_dict(path: Path) -> dict[int, list[int]]:
    try:
        obj = np.load(path, allow_pickle=True)
        obj = obj.item() if isinstance(obj, np.ndarray) and obj.dtype == object and obj.shape == () else obj
    except Exception as exc:  # a damaged pickle can raise nearly anything
        raise DataError(f"{path}: not a readable .npy dict ({type(exc).__name__}: {exc})") from exc
    if not isinstance(obj, dict):
        raise DataError(f"{path}: expected a pickled dict user -> list of items, found {type(obj).__name__}")
    out: dict[int, list[int]] = {}
    for user, items in obj.items():
        try:
            out[int(user)] = [int(i) for i in np.asarray(items, dtype=object).ravel()]
        except (TypeError, ValueError) as exc:
            raise DataError(f"{path}: user {user!r} has non-integer ids ({exc}); expected int -> list of int") from exc
    return out


def _shape_of(path: Path) -> tuple[tuple[int, ...], str]:
    """Shape and dtype of a ``.npy`` / ``.pt`` tensor, memory-mapped and without unpickling."""
    try:
        if path.suffix == ".npy":
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
            return tuple(int(s) for s in arr.shape), str(arr.dtype)
        import torch

        try:
            t = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError:  # files in torch's legacy (non-zip) format cannot be memory-mapped
            t = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # numpy/torch raise many types for foreign or damaged files
        raise DataError(f"{path}: not a readable feature tensor ({type(exc).__name__}: {exc})") from exc
    if not hasattr(t, "shape"):
        raise DataError(f"{path}: expected one tensor, found {type(t).__name__}")
    return tuple(int(s) for s in t.shape), str(t.dtype).removeprefix("torch.")


def _find_matrix(root: Path, stems: tuple[str, ...]) -> Path | None:
    for stem in stems:
        for ext in (".pt", ".npy"):
            if (root / f"{stem}{ext}").is_file():
                return root / f"{stem}{ext}"
    return None


def _features(root: Path, report: ImportReport, progress: ProgressFn | None) -> tuple[dict, dict[int, dict]]:
    """Describe the feature files: ``meta`` entries and per-item attribute additions."""
    meta: dict[str, Any] = {}
    per_item: dict[int, dict] = {}
    for name in ("cover", "frame"):
        matrix = _find_matrix(root, MATRIX_FILES[name])
        if matrix is not None:
            shape, dtype = _shape_of(matrix)
            meta[name] = {"kind": "matrix", "path": matrix.name, "shape": list(shape), "dtype": dtype}
            for i in range(shape[0]):
                per_item.setdefault(i, {})[f"{name}_feature_row"] = i
            continue
        folder = next((root / d for d in PER_ITEM_DIRS[name] if (root / d).is_dir()), None)
        if folder is None:
            report.note(f"no {name} features ({'/'.join(MATRIX_FILES[name])}.pt|.npy or {PER_ITEM_DIRS[name][0]}/)")
            continue
        files = sorted(p for p in folder.iterdir() if p.suffix in (".npy", ".pt") and p.stem.isdigit())
        shapes: dict[tuple[int, ...], int] = {}
        for n, f in enumerate(files):
            if progress:
                progress(n, len(files), f"{folder.name}/{f.name}")
            shape, dtype = _shape_of(f)
            shapes[shape] = shapes.get(shape, 0) + 1
            per_item.setdefault(int(f.stem), {})[f"{name}_feature"] = f"{folder.name}/{f.name}"
        common = max(shapes, key=shapes.get) if shapes else ()
        meta[name] = {"kind": "per_item", "dir": folder.name, "files": len(files), "shape": list(common)}
        if len(shapes) > 1:
            report.note(f"{folder.name}/ holds tensors of {len(shapes)} different shapes; most are {list(common)}")
    return meta, per_item


def _events(splits: dict[str, dict[int, list[int]]], prefix: str) -> pd.DataFrame:
    """One click per listed pair, at ordinal times: each user's train items, then valid, then test."""
    rows = []
    for user in sorted(set().union(*splits.values())):
        listed = [(item, split) for split in ("train", "valid", "test") for item in splits.get(split, {}).get(user, [])]
        rows += [(user, item, float(t), split) for t, (item, split) in enumerate(listed)]
    ev = pd.DataFrame(rows, columns=["user", "item", "ts", "session_id"])
    return pd.DataFrame(
        {
            "user_id": prefix + ev["user"].astype(str),
            "item_id": prefix + ev["item"].astype(str),
            "kind": "click",
            "ts": ev["ts"],
            "session_id": ev["session_id"],
        }
    )


def import_generec_official(
    directory: str | os.PathLike[str],
    *,
    trust_pickle: bool = False,
    prefix: str = "generec-",
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Read the official GeneRec data folder into a validated :class:`Dataset` (layout in the module docstring)."""
    check_prefix(prefix)
    root = Path(directory)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder; pass the GeneRec data folder that holds training_dict.npy")
    present = [(split, root / f) for split, f in SPLIT_FILES if (root / f).is_file()]
    if not any(split == "train" for split, _ in present):
        raise DataError(f"{root}: no training_dict.npy; is this the official GeneRec data folder?")
    if not trust_pickle:
        raise DataError(f"{', '.join(p.name for _, p in present)} in {root} {PICKLE_WARNING}")
    report = ImportReport("generec-official")
    splits = {split: _load_dict(path) for split, path in present}
    feature_meta, per_item = _features(root, report, progress)
    n_rows = min((m["shape"][0] for m in feature_meta.values() if m["kind"] == "matrix"), default=None)
    events = _events(splits, prefix)
    seen_items = set(per_item) | {i for d in splits.values() for items in d.values() for i in items}
    if n_rows is not None and seen_items and max(seen_items) >= n_rows:
        raise DataError(
            f"{root}: interactions refer to item {max(seen_items)}, but the feature matrices have only "
            f"{n_rows} rows (items 0..{n_rows - 1}); the dicts and features do not match"
        )
    item_idx = sorted(seen_items)
    attrs = [json.dumps({"source_id": i, **per_item.get(i, {})}, sort_keys=True) for i in item_idx]
    items = pd.DataFrame({"id": [f"{prefix}{i}" for i in item_idx], "modality": "video", "attributes": attrs})
    users = pd.DataFrame({"id": [f"{prefix}{u}" for u in sorted(set().union(*splits.values()))]})
    meta = {
        "source": "generec-official",
        "folder": str(root.resolve()),
        "id_prefix": prefix,
        "features": feature_meta,
        "splits": {s: sum(len(v) for v in d.values()) for s, d in splits.items()},
        "event_mapping": "each listed (user, item) -> one click; ts is the ordinal position (train, valid, test)",
    }
    ds = Dataset(items, users, events, root=root.resolve(), name="generec-official", meta=meta).validate()
    report_counts(ds, report)
    report.counts["feature sets"] = len(feature_meta)
    return ImportResult(ds, report)
