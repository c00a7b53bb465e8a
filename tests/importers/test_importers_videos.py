"""The folder-of-videos importer: items from files, events from a CSV, bad inputs refused or skipped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from importers_artefacts import make_video, text_as_mp4, truncated_copy

from generec.data.importers import import_videos
from generec.errors import DataError, MediaError


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_items_from_files_with_titles_ids_and_thumbnail(video_dir: Path) -> None:
    ds, report = import_videos(video_dir)
    items = ds.items.set_index("id")
    assert sorted(items.index) == ["blue-sky", "green-field", "red-car"]
    assert items.loc["blue-sky", "title"] == "Blue Sky"
    assert items.loc["red-car", "media"] == "red_car.mp4"
    assert items.loc["red-car", "thumbnail"] == "red_car.jpg"
    assert pd.isna(items.loc["green-field", "thumbnail"])
    attrs = json.loads(items.loc["red-car", "attributes"])
    assert (attrs["width"], attrs["height"], attrs["fps"], attrs["frames"]) == (32, 32, 8.0, 16)
    assert attrs["duration"] == pytest.approx(2.0)
    assert ds.media_path("red-car") == video_dir.resolve() / "red_car.mp4"
    assert report.counts["items"] == 3 and report.skipped == []


def test_interactions_by_file_name_or_id_with_kinds_and_dates(video_dir: Path, tmp_path: Path) -> None:
    csv = write_csv(
        tmp_path / "inter.csv",
        "userID,videoID,kind,timestamp\nu1,red_car.mp4,like,10\nu2,blue-sky,,2020-01-01T00:00:00Z\nu1,green-field,DISLIKE,5\n",
    )
    ds, report = import_videos(video_dir, interactions=csv)
    ev = ds.events
    assert list(ev["item_id"]) == ["red-car", "blue-sky", "green-field"]
    assert list(ev["kind"]) == ["like", "click", "dislike"]
    assert ev["ts"].iloc[1] == pytest.approx(1577836800.0)
    assert sorted(ds.users["id"]) == ["u1", "u2"]
    assert report.counts["events"] == 3


def test_bad_files_are_skipped_with_reasons(video_dir: Path, tmp_path: Path) -> None:
    text_as_mp4(video_dir / "fake.mp4")
    truncated_copy(video_dir / "red_car.mp4", video_dir / "cut.mp4")
    (video_dir / "empty.mp4").write_bytes(b"")
    (video_dir / "readme.txt").write_text("hello")
    csv = write_csv(tmp_path / "i.csv", "user_id,item_id,timestamp\nu1,fake.mp4,1\nu1,red-car,2\nu2,cut,3\n")
    ds, report = import_videos(video_dir, interactions=csv)
    reasons = dict(report.skipped)
    assert set(reasons) >= {"fake.mp4", "cut.mp4", "empty.mp4", "readme.txt"}
    assert "truncated" in reasons["cut.mp4"]
    assert "not a readable video" in reasons["fake.mp4"]
    assert "empty" in reasons["empty.mp4"]
    assert "event on a skipped video" in reasons["i.csv row 2"] and "cut" in reasons["i.csv row 4"]
    assert len(ds.items) == 3 and list(ds.events["item_id"]) == ["red-car"]


@pytest.mark.parametrize("bad", ["text", "truncated"])
def test_strict_fails_on_the_first_bad_file(video_dir: Path, bad: str) -> None:
    if bad == "text":
        text_as_mp4(video_dir / "fake.mp4")
    else:
        truncated_copy(video_dir / "red_car.mp4", video_dir / "cut.mp4")
    with pytest.raises(MediaError, match="--strict"):
        import_videos(video_dir, strict=True)


@pytest.mark.parametrize("name", ["../../etc/passwd", "../outside.mp4", "/etc/passwd", "sub/../../x.mp4"])
def test_path_traversal_in_csv_is_refused(video_dir: Path, tmp_path: Path, name: str) -> None:
    make_video(tmp_path / "outside.mp4", (1, 2, 3))
    csv = write_csv(tmp_path / "i.csv", f"user_id,item_id,timestamp\nu1,red-car,1\nu1,{name},2\n")
    with pytest.raises(DataError, match="row 3.*(path traversal|outside)"):
        import_videos(video_dir, interactions=csv)


def test_symlink_out_of_the_folder_is_refused(video_dir: Path, tmp_path: Path) -> None:
    make_video(tmp_path / "secret.mp4", (9, 9, 9))
    os.symlink(tmp_path / "secret.mp4", video_dir / "link.mp4")
    with pytest.raises(DataError, match="path traversal"):
        import_videos(video_dir)


def test_symlink_inside_the_folder_is_fine(video_dir: Path) -> None:
    os.symlink(video_dir / "red_car.mp4", video_dir / "alias.mp4")
    ds, _ = import_videos(video_dir)
    assert "alias" in set(ds.items["id"])


@pytest.mark.parametrize(
    "text, match",
    [
        ("user_id,timestamp\nu1,1\n", "missing column.*item_id"),
        ("user_id,item_id\nu1,red-car\n", "missing column.*timestamp"),
        ("user_id,item_id,timestamp\nu1,red-car,yesterday-ish\n", "row 2.*timestamp"),
        ("user_id,item_id,kind,timestamp\nu1,red-car,love,1\n", "row 2.*kind 'love'"),
        ("user_id,item_id,timestamp\nu1,no_such_video.mp4,1\n", "matches no video"),
        ("user_id,item_id,timestamp\n../u1,red-car,1\n", "row 2.*user_id"),
        ("", "not a readable CSV"),
    ],
)
def test_malformed_interactions_raise_data_error(video_dir: Path, tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(DataError, match=match):
        import_videos(video_dir, interactions=write_csv(tmp_path / "i.csv", text))


def test_unknown_user_ids_against_a_users_file(video_dir: Path, tmp_path: Path) -> None:
    users = write_csv(tmp_path / "users.csv", "user_id,name,age\nu1,Ann,31\n")
    ok = write_csv(tmp_path / "ok.csv", "user_id,item_id,timestamp\nu1,red-car,1\n")
    ds, _ = import_videos(video_dir, interactions=ok, users=users)
    assert ds.users.iloc[0]["name"] == "Ann" and json.loads(ds.users.iloc[0]["attributes"]) == {"age": "31"}
    bad = write_csv(tmp_path / "bad.csv", "user_id,item_id,timestamp\nu1,red-car,1\nghost,red-car,2\n")
    with pytest.raises(DataError, match="user id.*'ghost'"):
        import_videos(video_dir, interactions=bad, users=users)


def test_folder_without_videos_or_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a folder"):
        import_videos(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    text_as_mp4(empty / "fake.mp4")
    with pytest.raises(DataError, match="no readable video"):
        import_videos(empty)


def test_same_input_same_dataset(video_dir: Path) -> None:
    a, _ = import_videos(video_dir)
    b, _ = import_videos(video_dir)
    assert a.items.equals(b.items)
