"""Import a folder of video files, with an optional CSV of interactions.

Layout::

    my_videos/
      red_car.mp4            -> item "red-car", title "red car"
      red_car.jpg            -> its thumbnail (an image with the same stem, optional)
      trips/snow day.webm    -> item "trips-snow-day"
    interactions.csv         user_id,item_id,kind,timestamp   (kind optional, default "click")
    users.csv                user_id,name,...                 (optional: the known users)

``item_id`` in the interactions may be an item id (``red-car``) or a file name relative
to the folder (``red_car.mp4``). Every video is probed (:func:`generec.media.probe`);
a corrupt, truncated or non-video file is skipped with its reason, or, with
``strict=True``, fails the whole import. Names that leave the folder (``../x.mp4``,
symlinks pointing outside) are refused with :class:`~generec.errors.DataError`.

Example
-------
>>> from generec.data.importers import import_videos
>>> ds, report = import_videos("my_videos", interactions="interactions.csv")  # doctest: +SKIP
>>> report.counts["items"], report.skipped[:1]  # doctest: +SKIP
(12, [('broken.mp4', 'not a video: ...')])
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
    inside,
    parse_timestamps,
    probe_or_skip,
    read_csv,
    report_counts,
    row_of,
    slugify,
    title_from_name,
    video_attributes,
)
from generec.errors import DataError
from generec.types import EventKind

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
INTERACTION_COLUMNS = {"user_id": ("userID", "user", "uid"), "item_id": ("videoID", "item", "video_id", "video")}
TS_COLUMN = {"timestamp": ("ts", "time", "datetime", "date")}
INTERACTION_OPTIONAL = {"kind": ("event", "action", "type"), "value": ("dwell", "dwell_s"), "session_id": ("session",)}
_EXAMPLE = "user_id,item_id,kind,timestamp"


def _candidate_files(folder: Path) -> list[Path]:
    """Every non-hidden file under ``folder`` (symlinks included, not followed into directories), sorted."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith("."))
    return out


def _unique_id(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _probe_videos(
    folder: Path, files: list[Path], report: ImportReport, strict: bool, progress: ProgressFn | None
) -> tuple[list[dict], dict[str, str]]:
    """Probe each video; return item rows and a map from every accepted name (file, id) to the item id."""
    images = {
        f.relative_to(folder).with_suffix("").as_posix(): f for f in files if f.suffix.lower() in IMAGE_EXTENSIONS
    }
    videos = [f for f in files if f.suffix.lower() in VIDEO_EXTENSIONS]
    for f in files:
        if f.suffix.lower() not in VIDEO_EXTENSIONS + IMAGE_EXTENSIONS:
            report.skip(f.relative_to(folder).as_posix(), f"not a video file: extension {f.suffix or '(none)'!r}")
    rows: list[dict] = []
    names: dict[str, str] = {}
    taken: set[str] = set()
    for n, f in enumerate(videos):
        rel = f.relative_to(folder).as_posix()
        if progress:
            progress(n, len(videos), rel)
        inside(folder, rel, f"video {rel!r}")  # refuses symlinks that leave the folder
        info = probe_or_skip(f, rel, "video", report, strict)
        if info is None:
            continue
        item_id = _unique_id(slugify(Path(rel).with_suffix("").as_posix()), taken)
        thumb = images.get(Path(rel).with_suffix("").as_posix())
        attrs = {"source_file": rel, **video_attributes(info)}
        rows.append(
            {
                "id": item_id,
                "title": title_from_name(f.stem),
                "modality": "video",
                "media": rel,
                "thumbnail": thumb.relative_to(folder).as_posix() if thumb else None,
                "created_at": float(f.stat().st_mtime),
                "attributes": json.dumps(attrs, sort_keys=True),
            }
        )
        names[rel] = names[item_id] = item_id
    if progress:
        progress(len(videos), len(videos), "done")
    return rows, names


def _read_users(path: Path) -> pd.DataFrame:
    """The known users: ``user_id`` plus optional ``name``; other columns become attributes."""
    df = read_csv(
        path,
        {"id": ("user_id", "userID", "user", "uid")},
        {"name": ("username", "user_name")},
        example="user_id,name",
        keep_extra=True,
    )
    ids = [check_id(v, "user_id", f"{path}, row {i + 2}") for i, v in enumerate(df["id"])]
    extra = [c for c in df.columns if c not in ("id", "name")]
    attrs = [json.dumps({c: row[c] for c in extra if row[c] == row[c]}, sort_keys=True) for _, row in df.iterrows()]
    names = df["name"].fillna("") if "name" in df else [""] * len(ids)
    return pd.DataFrame({"id": ids, "name": names, "attributes": attrs}).drop_duplicates("id")


def _resolve_item(folder: Path, raw: str, names: dict[str, str], where: str) -> str | None:
    """The item id ``raw`` refers to (an id or a file name), or ``None`` when no such name is known."""
    if raw in names:
        return names[raw]
    if "/" in raw or "\\" in raw or raw.startswith("."):
        rel = inside(folder, raw, where).relative_to(folder.resolve()).as_posix()
        return names.get(rel)
    return None


def _read_interactions(
    path: Path, folder: Path, names: dict[str, str], skipped_files: set[str], report: ImportReport
) -> pd.DataFrame:
    df = read_csv(path, {**INTERACTION_COLUMNS, **TS_COLUMN}, INTERACTION_OPTIONAL, example=_EXAMPLE)
    df["ts"] = parse_timestamps(df.pop("timestamp"), path)
    kinds = df["kind"].fillna(EventKind.CLICK.value).str.strip().str.lower() if "kind" in df else EventKind.CLICK.value
    df["kind"] = kinds
    valid = {k.value for k in EventKind}
    bad = ~df["kind"].isin(valid)
    if bad.any():
        raise DataError(
            f"{path}, row {row_of(df, bad)}: kind {df['kind'][bad].iloc[0]!r} is unknown; use one of {sorted(valid)}"
        )
    df["user_id"] = [check_id(v, "user_id", f"{path}, row {i + 2}") for i, v in enumerate(df["user_id"])]
    keep, items = [], []
    for i, raw in enumerate(df["item_id"]):
        where = f"{path}, row {i + 2}"
        if raw is None or raw != raw:
            raise DataError(f"{where}: item_id is empty; every row needs one")
        item = _resolve_item(folder, str(raw).strip(), names, where)
        if item is None and str(raw).strip() in skipped_files:
            report.skip(f"{path.name} row {i + 2}", f"event on a skipped video: {raw}")
        elif item is None:
            raise DataError(f"{where}: item_id {str(raw)[:80]!r} matches no video in {folder}; use a file name or id")
        keep.append(item is not None)
        items.append(item)
    df["item_id"] = items
    if "value" in df:
        df["value"] = pd.to_numeric(df["value"], errors="coerce").fillna(0.0)
    return df[keep].reset_index(drop=True)


def import_videos(
    folder: str | os.PathLike[str],
    interactions: str | os.PathLike[str] | None = None,
    users: str | os.PathLike[str] | None = None,
    *,
    strict: bool = False,
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Read a folder of videos (and optional interactions/users CSVs) into a validated :class:`Dataset`.

    Raises :class:`DataError` for a missing folder, path traversal, missing CSV columns, unknown
    event kinds, item names that match no video and, when ``users`` is given, unknown user ids.
    """
    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder; pass the folder that holds your video files")
    report = ImportReport("videos")
    files = _candidate_files(root)
    items, names = _probe_videos(root, files, report, strict, progress)
    if not items:
        example = f", e.g. {report.skipped[0][0]} ({report.skipped[0][1]})" if report.skipped else ""
        raise DataError(
            f"{root}: no readable video files ({', '.join(VIDEO_EXTENSIONS)}); "
            f"{report.n_skipped} file(s) skipped{example}"
        )
    # Events may name a skipped file by its name or by the id it would have had.
    skipped_files = {n for thing, _ in report.skipped for n in (thing, slugify(Path(thing).with_suffix("").as_posix()))}
    events = pd.DataFrame(columns=["user_id", "item_id", "kind", "ts"])
    if interactions is not None:
        events = _read_interactions(Path(interactions), root, names, skipped_files, report)
    if users is not None:
        user_df = _read_users(Path(users))
        unknown = ~events["user_id"].isin(user_df["id"])
        if unknown.any():
            raise DataError(
                f"{interactions}: {int(unknown.sum())} event(s) refer to user id(s) not in {users}, "
                f"e.g. {events['user_id'][unknown].iloc[0]!r}; add them to the users file or drop those rows"
            )
    else:
        user_df = pd.DataFrame({"id": sorted(events["user_id"].unique())})
    ds = Dataset(
        pd.DataFrame(items),
        user_df,
        events,
        root=root.resolve(),
        name=root.resolve().name,
        meta={"source": "videos", "folder": str(root.resolve())},
    ).validate()
    report_counts(ds, report)
    return ImportResult(ds, report)
