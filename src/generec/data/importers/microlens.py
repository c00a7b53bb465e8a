"""Import the MicroLens layout (Ni et al., "A Content-Driven Micro-Video Recommendation Dataset at Scale").

Layout (any part but the pairs file may be missing or partial; what is missing is reported)::

    MicroLens-100k/
      MicroLens-100k_pairs.csv      userID,videoID,timestamp     (one interaction per row)
      MicroLens-100k_title_en.csv   item,title                   (header variants accepted, or none)
      covers/{videoID}.jpg          the uploader's cover image   (becomes the item's thumbnail)
      videos/{videoID}.mp4          the micro-video

Each pair becomes one ``click`` event (MicroLens records that a user engaged with a video;
it has no explicit likes). Timestamps in milliseconds are converted to seconds. Items are
every video named in the pairs or the titles file; a video or cover that is absent, corrupt
or truncated leaves that item without it and is reported (``strict=True`` fails instead).
Ids are prefixed (default ``"microlens-"``) so that several datasets can share one store.

Example
-------
>>> from generec.data.importers import import_microlens
>>> ds, report = import_microlens("MicroLens-100k")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from generec.data.dataset import Dataset
from generec.data.importers._common import (
    ImportReport,
    ImportResult,
    ProgressFn,
    check_id,
    check_prefix,
    inside,
    parse_timestamps,
    probe_or_skip,
    read_csv,
    rename_columns,
    report_counts,
    video_attributes,
)
from generec.errors import DataError

PAIRS_NAME = "MicroLens-100k_pairs.csv"
TITLES_NAME = "MicroLens-100k_title_en.csv"
_USER = ("userID", "user_id", "user", "uid")
_ITEM = ("videoID", "item_id", "item", "video_id", "video", "iid", "id")
_PAIR_COLUMNS = {"user_id": _USER, "item_id": _ITEM, "timestamp": ("ts", "time", "datetime")}
_TITLE_COLUMNS = {"item_id": _ITEM, "title": ("title_en", "text", "name", "caption")}
_MS_THRESHOLD = 1e11  # POSIX seconds pass 1e11 only in the year 5138: larger values are milliseconds


def _find(root: Path, name: str, pattern: str) -> Path | None:
    if (root / name).is_file():
        return root / name
    hits = sorted(p for p in root.glob(pattern) if p.is_file())
    return hits[0] if hits else None


def _read_titles(path: Path) -> pd.DataFrame:
    """``item_id, title``; accepts the common headers, or no header when the first cell is an id."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], header=None)
    if raw.empty:
        return pd.DataFrame(columns=["item_id", "title"])
    if raw.shape[1] < 2:
        raise DataError(f"{path}: expected two columns (item, title), found {raw.shape[1]}")
    first = str(raw.iloc[0, 0]).strip()
    if first.isdigit():  # no header row
        df = raw.iloc[:, :2].set_axis(["item_id", "title"], axis=1)
    else:
        df = rename_columns(
            raw.iloc[1:].set_axis(list(raw.iloc[0]), axis=1).reset_index(drop=True),
            path,
            _TITLE_COLUMNS,
            {},
            example="item,title",
        )
    df["title"] = df["title"].fillna("").str.strip()
    return df


def _titles(root: Path, report: ImportReport) -> tuple[Path | None, pd.DataFrame]:
    path = _find(root, TITLES_NAME, "*title*.csv")
    if path is None:
        report.note(f"no titles file ({TITLES_NAME}); items have no titles")
        return None, pd.DataFrame(columns=["item_id", "title"])
    titles = _read_titles(path)
    titles["item_id"] = [check_id(v, "item", f"{path}, row {i + 2}") for i, v in enumerate(titles["item_id"])]
    return path, titles.drop_duplicates("item_id", keep="first")


def _read_pairs(path: Path, report: ImportReport) -> pd.DataFrame:
    df = read_csv(path, _PAIR_COLUMNS, example="userID,videoID,timestamp")
    ts = parse_timestamps(df.pop("timestamp"), path)
    if len(ts) and ts.median() > _MS_THRESHOLD:
        ts = ts / 1000.0
        report.note("timestamps were in milliseconds; converted to seconds")
    df["ts"] = ts
    df["user_id"] = [check_id(v, "userID", f"{path}, row {i + 2}") for i, v in enumerate(df["user_id"])]
    df["item_id"] = [check_id(v, "videoID", f"{path}, row {i + 2}") for i, v in enumerate(df["item_id"])]
    return df


def _attach_media(
    root: Path, item_ids: list[str], report: ImportReport, strict: bool, progress: ProgressFn | None
) -> tuple[list[str | None], list[str | None], list[dict]]:
    """Probe ``videos/{id}.mp4`` and ``covers/{id}.jpg`` of each item; return media, thumbnail, attributes."""
    media: list[str | None] = []
    thumbs: list[str | None] = []
    attrs: list[dict] = []
    missing = {"videos": 0, "covers": 0}
    for n, raw in enumerate(item_ids):
        if progress and n % 16 == 0:
            progress(n, len(item_ids), raw)
        found: dict[str, str | None] = {}
        info_attrs: dict = {"source_id": raw}
        for sub, ext in (("videos", ".mp4"), ("covers", ".jpg")):
            rel = f"{sub}/{raw}{ext}"
            path = inside(root, rel, f"{sub[:-1]} of item {raw!r}")
            found[sub] = None
            if not path.is_file():
                missing[sub] += 1
                continue
            info = probe_or_skip(path, rel, sub[:-1], report, strict)
            if info is None:
                continue
            found[sub] = rel
            if sub == "videos":
                info_attrs.update(video_attributes(info))
        media.append(found["videos"])
        thumbs.append(found["covers"])
        attrs.append(info_attrs)
    if progress:
        progress(len(item_ids), len(item_ids), "done")
    for sub, count in missing.items():
        if count:
            report.note(f"{count} of {len(item_ids)} items have no {sub}/ file")
    return media, thumbs, attrs


def import_microlens(
    directory: str | os.PathLike[str],
    *,
    prefix: str = "microlens-",
    strict: bool = False,
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Read a MicroLens folder into a validated :class:`Dataset` (see the module docstring for the layout)."""
    check_prefix(prefix)
    root = Path(directory)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder; pass the MicroLens folder that holds {PAIRS_NAME}")
    report = ImportReport("microlens")
    pairs_path = _find(root, PAIRS_NAME, "*pairs*.csv")
    if pairs_path is None:
        raise DataError(f"{root}: no {PAIRS_NAME} (userID,videoID,timestamp); is this a MicroLens folder?")
    pairs = _read_pairs(pairs_path, report)
    titles_path, titles = _titles(root, report)
    raw_ids = list(dict.fromkeys([*pairs["item_id"], *titles["item_id"]]))
    no_title = len(set(raw_ids) - set(titles["item_id"]))
    if titles_path is not None and no_title:
        report.note(f"{no_title} items have no title in {titles_path.name}")
    media, thumbs, attrs = _attach_media(root, raw_ids, report, strict, progress)
    title_of = dict(zip(titles["item_id"], titles["title"], strict=True))
    items = pd.DataFrame(
        {
            "id": [prefix + r for r in raw_ids],
            "title": [title_of.get(r, "") for r in raw_ids],
            "caption": [title_of.get(r, "") for r in raw_ids],
            "modality": "video",
            "media": media,
            "thumbnail": thumbs,
            "attributes": [json.dumps(a, sort_keys=True) for a in attrs],
        }
    )
    events = pd.DataFrame(
        {"user_id": prefix + pairs["user_id"], "item_id": prefix + pairs["item_id"], "kind": "click", "ts": pairs["ts"]}
    )
    users = pd.DataFrame({"id": sorted(events["user_id"].unique())})
    meta = {
        "source": "microlens",
        "folder": str(root.resolve()),
        "id_prefix": prefix,
        "event_mapping": "each (userID, videoID, timestamp) pair -> one click",
    }
    ds = Dataset(items, users, events, root=root.resolve(), name=root.resolve().name, meta=meta).validate()
    report_counts(ds, report)
    return ImportResult(ds, report)
