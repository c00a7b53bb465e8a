"""What every importer shares: the report, safe names and paths, CSV reading with header variants.

Importers validate at the boundary (CONVENTIONS.md): anything a user's files can get
wrong raises :class:`~generec.errors.DataError` or :class:`~generec.errors.MediaError`
with a message that names the file, the row and what to do.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from generec.data.dataset import Dataset
from generec.errors import DataError, MediaError

ProgressFn = Callable[[int, int, str], None]
"""``progress(done, total, label)``: called as an importer works through its files."""

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$")
MAX_SKIPPED_SHOWN = 20


@dataclass
class ImportReport:
    """What an importer read, and what it left out and why.

    ``counts`` maps a kind of record (``items``, ``users``, ``events``, ``videos``,
    ``covers`` ...) to how many were imported; ``skipped`` lists ``(thing, reason)``
    pairs; ``notes`` are facts worth telling the user (e.g. a unit conversion).

    Example
    -------
    >>> r = ImportReport("videos")
    >>> r.skip("broken.mp4", "not a video")
    >>> r.n_skipped
    1
    """

    source: str
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, thing: str, reason: str) -> None:
        self.skipped.append((str(thing), str(reason)))

    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def n_skipped(self) -> int:
        return len(self.skipped)

    def skipped_by_reason(self) -> dict[str, int]:
        """How many things were skipped per reason's first clause (for a short summary)."""
        out: dict[str, int] = {}
        for _, reason in self.skipped:
            key = reason.split(":")[0].strip()
            out[key] = out.get(key, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "counts": dict(self.counts), "skipped": list(self.skipped), "notes": self.notes}


class ImportResult(NamedTuple):
    """A validated :class:`~generec.data.dataset.Dataset` and the :class:`ImportReport` that made it."""

    dataset: Dataset
    report: ImportReport


def report_counts(ds: Dataset, report: ImportReport) -> None:
    """Fill the standard counts of ``report`` from ``ds``."""
    report.counts["items"] = len(ds.items)
    report.counts["users"] = len(ds.users)
    report.counts["events"] = len(ds.events)
    report.counts["media files"] = int(ds.items["media"].notna().sum())
    report.counts["thumbnails"] = int(ds.items["thumbnail"].notna().sum())


# ------------------------------------------------------------------ names and paths
def check_id(value: Any, what: str, where: str) -> str:
    """Return ``value`` as an id string, or raise :class:`DataError` if it is empty or could be a path.

    Ids end up in file names (``covers/{id}.jpg``) and URLs, so only letters, digits
    and ``_ . @ + -`` are accepted, and never a leading dot (no ``..``).
    """
    if value is None or (isinstance(value, float) and value != value):
        raise DataError(f"{where}: {what} is empty; every row needs one")
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not _SAFE_ID.match(text):
        hint = (
            " (looks like a path: path traversal is refused)" if ("/" in text or "\\" in text or ".." in text) else ""
        )
        raise DataError(
            f"{where}: {what} {text[:80]!r} is not a valid id{hint}; use letters, digits and _ . @ + - only"
        )
    return text


def check_prefix(prefix: str) -> str:
    """An id prefix may be empty, else it must make valid ids (``"movielens-"``)."""
    if prefix and not _SAFE_ID.match(prefix + "0"):
        raise DataError(f"id prefix {prefix[:40]!r} is not allowed; use letters, digits and _ . @ + - only")
    return prefix


def slugify(name: str) -> str:
    """A safe, readable id from a file name: ``"My Cat (2).mp4"`` stem → ``"my-cat-2"``."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:100] or "item"


def title_from_name(stem: str) -> str:
    """A human title from a file stem: ``"red_car-in_snow"`` → ``"red car in snow"``."""
    return re.sub(r"[\s_\-]+", " ", stem).strip() or stem


def inside(root: Path, rel: str | Path, where: str) -> Path:
    """``root / rel`` resolved, refusing anything (``..``, absolute paths, symlinks) that leaves ``root``."""
    root_r = root.resolve()
    rel_s = str(rel)
    if "\x00" in rel_s or Path(rel_s).is_absolute():
        raise DataError(f"{where}: {rel_s[:80]!r} is an absolute or invalid path; path traversal is refused")
    target = (root_r / rel_s).resolve()
    if not target.is_relative_to(root_r):
        raise DataError(
            f"{where}: {rel_s[:80]!r} points outside {root} (via '..' or a symlink); path traversal is refused"
        )
    return target


# ------------------------------------------------------------------ media
def probe_complete(path: Path) -> Any:
    """:func:`generec.media.probe`, plus a demux pass (no decoding) proving the packets reach the stated end.

    ``probe`` checks the tail by seeking, which lands on the first key frame in a short
    clip with a single key frame, so a truncated 2-second MP4 passes it. Reading every
    packet header costs about as much as hashing the file, which loading does anyway.
    """
    import av

    from generec.media import probe
    from generec.media.probe import open_video

    info = probe(path)
    if info.is_image or info.duration <= 0:
        return info
    last = None
    with open_video(path) as (container, stream):
        try:
            for packet in container.demux(stream):
                if packet.pts is not None and packet.size:
                    last = packet.pts
        except av.FFmpegError as exc:
            raise MediaError(f"{path}: video is corrupt: reading its packets failed ({exc})") from exc
        end = None if last is None else float((last - (stream.start_time or 0)) * stream.time_base)
    tolerance = 0.1 + 3.0 / (info.fps or 1.0)
    if end is None or end < info.duration - tolerance:
        ends = "no frames" if end is None else f"frames up to {end:.2f} s"
        raise MediaError(
            f"{path}: video is truncated: header says {info.duration:.2f} s but the file holds {ends}; "
            "re-download or re-export it"
        )
    return info


def video_attributes(info: Any) -> dict[str, Any]:
    """The probed facts an item keeps in its attributes (the store's media record has them too)."""
    return {
        "width": info.width,
        "height": info.height,
        "fps": round(info.fps, 4),
        "duration": round(info.duration, 4),
        "frames": info.frames,
        "has_audio": info.has_audio,
    }


def probe_or_skip(path: Path, rel: str, what: str, report: ImportReport, strict: bool) -> Any | None:
    """:func:`probe_complete`, or ``None`` with ``rel`` recorded as skipped; with ``strict`` the error propagates."""
    try:
        return probe_complete(path)
    except MediaError as exc:
        if strict:
            raise MediaError(f"{exc} (import stopped: --strict; drop --strict to skip bad files)") from exc
        report.skip(rel, f"bad {what}: {str(exc).removeprefix(str(path) + ': ')}")
        return None


# ------------------------------------------------------------------ CSV reading
def read_csv(
    path: Path,
    columns: Mapping[str, Sequence[str]],
    optional: Mapping[str, Sequence[str]] | None = None,
    example: str = "",
    keep_extra: bool = False,
) -> pd.DataFrame:
    """Read a CSV as strings and rename header variants to canonical names.

    ``columns`` maps each required canonical name to accepted header spellings
    (matched case-insensitively, ignoring ``_``/``-``/spaces); ``optional`` likewise.
    Other columns are dropped unless ``keep_extra``. Raises :class:`DataError` naming
    the missing columns and the header found.
    """
    if not path.is_file():
        raise DataError(f"{path}: file does not exist; check the path")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({str(exc).splitlines()[0]})") from exc
    return rename_columns(df, path, columns, optional or {}, example, keep_extra)


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def rename_columns(
    df: pd.DataFrame,
    path: Path,
    columns: Mapping[str, Sequence[str]],
    optional: Mapping[str, Sequence[str]],
    example: str = "",
    keep_extra: bool = False,
) -> pd.DataFrame:
    found = {_norm(c): c for c in df.columns}
    rename: dict[str, str] = {}
    missing: list[str] = []
    for canon, variants in [*columns.items(), *optional.items()]:
        hit = next((found[_norm(v)] for v in (canon, *variants) if _norm(v) in found), None)
        if hit is not None:
            rename[hit] = canon
        elif canon in columns:
            missing.append(canon)
    if missing:
        header = ",".join(str(c) for c in df.columns)[:200]
        hint = f"; expected a header like {example!r}" if example else ""
        raise DataError(f"{path}: missing column(s) {', '.join(missing)} (header is {header!r}){hint}")
    df = df.rename(columns=rename)
    return df if keep_extra else df[list(rename.values())]


def parse_timestamps(values: pd.Series, path: Path) -> pd.Series:
    """POSIX seconds from numbers or date strings; a blank or unreadable one raises :class:`DataError`."""
    num = pd.to_numeric(values, errors="coerce")
    bad = num.isna()
    if bad.any():
        dates = pd.to_datetime(values[bad], errors="coerce", utc=True, format="mixed")
        num = num.astype("float64")
        num[bad] = (dates - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    still = num.isna()
    if still.any():
        row = int(still.to_numpy().nonzero()[0][0]) + 2  # +1 for the header, +1 for 1-based rows
        raise DataError(
            f"{path}, row {row}: timestamp {values[still].iloc[0]!r} is neither a number nor a date; "
            "use POSIX seconds or an ISO date"
        )
    return num.astype("float64")


def row_of(df: pd.DataFrame, mask: Any) -> int:
    """1-based CSV row (header is row 1) of the first ``True`` in ``mask``."""
    return int(pd.Series(mask).to_numpy().nonzero()[0][0]) + 2
