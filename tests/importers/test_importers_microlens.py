"""The MicroLens importer: pairs, titles (header variants), covers and videos, partly missing or broken."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from importers_artefacts import make_image, make_video, text_as_mp4, truncated_copy

from generec.data.importers import import_microlens
from generec.errors import DataError, MediaError

PAIRS = "userID,videoID,timestamp\n7,1,1583000000000\n7,2,1583000100000\n9,1,1583000200000\n9,3,1583000300000\n"


def microlens_dir(
    root: Path, titles: str | None = 'item,title\n1,a red car\n2,"snow, and a dog"\n4,only a title\n'
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "MicroLens-100k_pairs.csv").write_text(PAIRS, encoding="utf-8")
    if titles is not None:
        (root / "MicroLens-100k_title_en.csv").write_text(titles, encoding="utf-8")
    make_video(root / "videos" / "1.mp4", (200, 0, 0))
    truncated_copy(make_video(root / "tmp.mp4", (0, 200, 0)), root / "videos" / "2.mp4")
    (root / "tmp.mp4").unlink()
    make_image(root / "covers" / "1.jpg", (255, 0, 0))
    text_as_mp4(root / "covers" / "2.jpg")  # a text file pretending to be a cover
    return root


def test_layout_with_partial_and_broken_media(tmp_path: Path) -> None:
    ds, report = import_microlens(microlens_dir(tmp_path / "ml"))
    items = ds.items.set_index("id")
    assert sorted(items.index) == ["microlens-1", "microlens-2", "microlens-3", "microlens-4"]
    assert items.loc["microlens-2", "title"] == "snow, and a dog"
    assert (
        items.loc["microlens-1", "media"] == "videos/1.mp4" and items.loc["microlens-1", "thumbnail"] == "covers/1.jpg"
    )
    assert pd.isna(items.loc["microlens-2", "media"]) and pd.isna(items.loc["microlens-2", "thumbnail"])
    assert json.loads(items.loc["microlens-1", "attributes"])["frames"] == 16
    reasons = dict(report.skipped)
    assert "truncated" in reasons["videos/2.mp4"] and "bad cover" in reasons["covers/2.jpg"]
    assert any("have no videos/" in n for n in report.notes) and any("milliseconds" in n for n in report.notes)
    assert any("1 items have no title" in n for n in report.notes)
    ev = ds.events
    assert len(ev) == 4 and set(ev["kind"]) == {"click"} and ev["ts"].iloc[0] == pytest.approx(1583000000.0)
    assert sorted(ds.users["id"]) == ["microlens-7", "microlens-9"]


@pytest.mark.parametrize(
    "titles",
    [
        "item_id,title_en\n1,a red car\n",
        "videoID,Title\n1,a red car\n",
        "1,a red car\n",  # no header at all
    ],
)
def test_title_header_variants(tmp_path: Path, titles: str) -> None:
    ds, _ = import_microlens(microlens_dir(tmp_path / "ml", titles))
    assert ds.items.set_index("id").loc["microlens-1", "title"] == "a red car"


def test_missing_titles_file_is_reported(tmp_path: Path) -> None:
    ds, report = import_microlens(microlens_dir(tmp_path / "ml", titles=None), prefix="")
    assert sorted(ds.items["id"]) == ["1", "2", "3"]
    assert any("no titles file" in n for n in report.notes)


def test_strict_fails_on_broken_media(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="--strict"):
        import_microlens(microlens_dir(tmp_path / "ml"), strict=True)


@pytest.mark.parametrize(
    "pairs, match",
    [
        ("userID,timestamp\n7,1\n", "missing column.*item_id"),
        ("userID,videoID,timestamp\n7,../../etc/passwd,1\n", "row 2.*path traversal"),
        ("userID,videoID,timestamp\n7,1,\n", "row 2.*timestamp"),
    ],
)
def test_bad_pairs_raise_data_error(tmp_path: Path, pairs: str, match: str) -> None:
    root = microlens_dir(tmp_path / "ml")
    (root / "MicroLens-100k_pairs.csv").write_text(pairs, encoding="utf-8")
    with pytest.raises(DataError, match=match):
        import_microlens(root)


def test_titles_with_traversal_or_missing_pairs(tmp_path: Path) -> None:
    root = microlens_dir(tmp_path / "ml", titles="item,title\n..,up\n")
    with pytest.raises(DataError, match="not a valid id"):
        import_microlens(root)
    (root / "MicroLens-100k_pairs.csv").unlink()
    with pytest.raises(DataError, match="MicroLens-100k_pairs.csv"):
        import_microlens(root)


def test_unsafe_id_prefix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="prefix"):
        import_microlens(microlens_dir(tmp_path / "ml"), prefix="../")
