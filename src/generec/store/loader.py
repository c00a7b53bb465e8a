"""Loading a :class:`~generec.data.dataset.Dataset` into the store, all or nothing.

Order of work: validate the tables; turn rows into column values (bad JSON or
unsafe media paths fail here); copy media into the :class:`MediaStore`; then
insert users, media records, items and events in ONE transaction with bulk
``executemany`` inserts. Any error before the commit leaves the database as it
was. Media files already copied stay on disk, which is harmless: they are
content-addressed and unreferenced.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from sqlalchemy import insert
from sqlalchemy.orm import Session
from tqdm.auto import tqdm

from generec.errors import DataError, MediaError, StoreError
from generec.store.media_store import MediaStore
from generec.store.models import EventRow, ItemRow, MediaRow, UserRow
from generec.store.records import LoadReport
from generec.types import ItemStatus, Media, Origin, Role, Visibility

if TYPE_CHECKING:
    from generec.data.dataset import Dataset
    from generec.store.store import Store

OnExisting = Literal["error", "skip"]
OnBadMedia = Literal["error", "skip"]
_EVENT_CHUNK = 50_000


def _text(value: Any) -> str | None:
    """A cell as text, with pandas' missing values (None, NaN, NA) as ``None``."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return str(value)


def _attributes(raw: Any, what: str) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    text = _text(raw)
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{what} has attributes that are not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(value, dict):
        raise DataError(f"{what} has attributes that are not a JSON object")
    return value


def safe_media_path(root: Path, rel: str, item_id: str) -> Path:
    """``root / rel``, refusing anything that resolves outside ``root`` (``..``, absolute paths, symlinks out)."""
    base = root.resolve()
    path = (base / rel).resolve()
    if not path.is_relative_to(base):
        raise DataError(
            f"item {item_id!r} has media path {rel!r} that points outside the dataset folder {base}; "
            "media paths must be relative and stay inside it"
        )
    return path


def _user_rows(ds: Dataset, now: float) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uid),
            "name": _text(name) or "",
            "role": Role.USER.value,
            "created_at": now,
            "attributes": _attributes(attrs, f"user {uid!r}"),
        }
        for uid, name, attrs in zip(ds.users["id"], ds.users["name"], ds.users["attributes"], strict=True)
    ]


def _item_rows(ds: Dataset) -> list[dict[str, Any]]:
    rows = []
    for rec in ds.items.to_dict("records"):
        created = pd.to_numeric(rec["created_at"], errors="coerce")
        rows.append(
            {
                "id": str(rec["id"]),
                "title": _text(rec["title"]) or "",
                "caption": _text(rec["caption"]) or "",
                "modality": str(rec["modality"]),
                "origin": Origin.HUMAN.value,
                "uploader_id": _text(rec["uploader_id"]),
                "parent_id": None,
                "visibility": Visibility.PUBLIC.value,
                "visible_to": None,
                "expires_at": None,
                "created_at": 0.0 if pd.isna(created) else float(created),
                "media_hash": None,
                "thumbnail_hash": None,
                "allow_ai_edits": True,
                "license": "",
                "attributes": _attributes(rec["attributes"], f"item {rec['id']!r}"),
                "status": ItemStatus.ACTIVE.value,  # imported human items have nothing to review
                "_media": _text(rec["media"]),
                "_thumbnail": _text(rec["thumbnail"]),
            }
        )
    return rows


def _event_chunks(ds: Dataset, size: int = _EVENT_CHUNK) -> Iterator[list[dict[str, Any]]]:
    """Event rows as column dicts, ``size`` at a time (memory stays bounded for huge tables)."""
    # Sorted by (user, time): index pages fill in order (faster inserts) and one user's rows sit together.
    ev = ds.events.assign(user_id=ds.events["user_id"].astype(str), ts=pd.to_numeric(ds.events["ts"]).astype(float))
    ev = ev.sort_values(["user_id", "ts"], kind="stable")
    keys = ("user_id", "item_id", "kind", "ts", "value", "session_id")
    for start in range(0, len(ev), size):
        part = ev.iloc[start : start + size]
        value = pd.to_numeric(part["value"], errors="coerce").fillna(0.0).astype(float)
        # Plain Python lists first: iterating Arrow-backed columns element by element is slow.
        columns = (
            part["user_id"].tolist(),
            part["item_id"].astype(str).tolist(),
            part["kind"].astype(str).tolist(),
            part["ts"].tolist(),
            value.tolist(),
            [_text(s) for s in part["session_id"].tolist()],
        )
        yield [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]


def _copy_media(
    ds: Dataset, items: list[dict[str, Any]], media_store: MediaStore, on_bad: OnBadMedia, report: LoadReport, bar: bool
) -> dict[str, Media]:
    """Put every item's media/thumbnail into ``media_store``; fill the rows' hashes; return records by hash."""
    records: dict[str, Media] = {}
    jobs = [(row, key) for row in items for key in ("_media", "_thumbnail") if row[key]]
    if jobs and ds.root is None:
        raise DataError(f"dataset {ds.name!r} names media files but has no root folder to find them in")
    paths = [safe_media_path(Path(ds.root), row[key], row["id"]) for row, key in jobs]  # type: ignore[arg-type]
    with media_store.batch():  # one sync for all files, before the database refers to any of them
        for (row, key), path in zip(tqdm(jobs, desc="copying media", unit="file", disable=None if bar else True),
                                    paths, strict=True):  # fmt: skip
            try:
                media = media_store.put_file(path)
            except MediaError as exc:
                if on_bad == "error":
                    raise
                report.skip(f"bad or missing {key[1:]} file (item kept without it): {exc}", row[key])
                continue
            row["media_hash" if key == "_media" else "thumbnail_hash"] = media.hash
            records[media.hash] = media
    return records


def _existing(store: Store, s: Session, users: list, items: list, on_existing: OnExisting, report: LoadReport):
    taken_users = set(store._missing(s, UserRow.id, [u["id"] for u in users]))
    taken_users = {u["id"] for u in users} - taken_users
    taken_items = {i["id"] for i in items} - set(store._missing(s, ItemRow.id, [i["id"] for i in items]))
    if on_existing == "error" and (taken_users or taken_items):
        kind, ids = ("user", taken_users) if taken_users else ("item", taken_items)
        raise StoreError(
            f"{len(ids)} {kind} id(s) of dataset {report.dataset!r} are already in the store, e.g. {sorted(ids)[0]!r}; "
            "load into a new store, or pass on_existing='skip' to add only the new records"
        )
    for uid in sorted(taken_users):
        report.skip("user already in the store (kept as stored)", uid)
    for iid in sorted(taken_items):
        report.skip("item already in the store (kept as stored)", iid)
    return [u for u in users if u["id"] not in taken_users], [i for i in items if i["id"] not in taken_items]


def load_dataset(
    store: Store,
    ds: Dataset,
    media_store: MediaStore | None,
    *,
    on_existing: OnExisting = "error",
    on_bad_media: OnBadMedia = "error",
    progress: bool = True,
) -> LoadReport:
    """See :meth:`generec.store.Store.load_dataset`."""
    started = time.perf_counter()
    report = LoadReport(dataset=ds.name)
    ds.validate()
    now = store._now()
    users, items = _user_rows(ds, now), _item_rows(ds)
    if media_store is not None:
        media = _copy_media(ds, items, media_store, on_bad_media, report, progress)
    else:
        media = {}
        for row in items:
            if row["_media"] or row["_thumbnail"]:
                report.skip("no media store given (item kept without media)", row["id"])
    for row in items:
        del row["_media"], row["_thumbnail"]
    with store.transaction(f"loading dataset {ds.name!r}") as s:
        users, items = _existing(store, s, users, items, on_existing, report)
        # Uploaders that are nobody's user account yet get one, so every item's uploader_id resolves.
        named = {i["uploader_id"] for i in items if i["uploader_id"]} - {u["id"] for u in users}
        uploaders = store._missing(s, UserRow.id, named)
        accounts = [
            {"id": u, "name": "", "role": Role.UPLOADER.value, "created_at": now, "attributes": {}} for u in uploaders
        ]
        new_media = store._missing(s, MediaRow.hash, list(media))
        _bulk(s, UserRow, users + accounts)
        _bulk(s, MediaRow, [_media_values(media[h]) for h in new_media])
        _bulk(s, ItemRow, items)
        with tqdm(total=len(ds.events), desc="storing events", unit="event", disable=None if progress else True) as bar:
            for chunk in _event_chunks(ds):
                s.execute(insert(EventRow.__table__), chunk)
                bar.update(len(chunk))
    report.users, report.items, report.events = len(users), len(items), len(ds.events)
    report.media, report.media_reused = len(new_media), len(media) - len(new_media)
    report.uploaders_created = len(uploaders)
    report.seconds = time.perf_counter() - started
    return report


def _bulk(s: Session, model: type, rows: list[dict[str, Any]]) -> None:
    if rows:
        s.execute(insert(model.__table__), rows)


def _media_values(m: Media) -> dict[str, Any]:
    return {f: getattr(m, f) for f in Media.__dataclass_fields__}
