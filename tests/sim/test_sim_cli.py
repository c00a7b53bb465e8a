"""`generec world build|info`: output, help, and one-line errors for bad arguments."""

from __future__ import annotations

import subprocess
import sys

from generec.cli import main
from generec.data.sim import World


def test_world_build_and_info(tmp_path, capsys) -> None:
    out = tmp_path / "w"
    code = main(["world", "build", "--users", "12", "--items", "6", "--seed", "4", "--out", str(out), "-q"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "GeneRec-Sim world built" in printed and "events" in printed
    world = World.load(out)
    assert len(world.items) == 6 and (out / "media" / "v0000000.mp4").is_file()
    assert main(["world", "info", str(out)]) == 0
    assert "v0000000" in capsys.readouterr().out


def test_world_build_no_media_options(tmp_path) -> None:
    out = tmp_path / "w"
    args = ["world", "build", "--users", "8", "--items", "5", "--out", str(out), "--no-media", "--size", "32"]
    assert main([*args, "--fps", "4", "--impressions", "5", "--instructions", "12", "-q"]) == 0
    world = World.load(out)
    assert not (out / "media").exists() and world.config.frame_size == 32
    assert world.render("v0000001").shape[1:] == (32, 32, 3)


def test_help_teaches(capsys) -> None:
    assert main(["world", "build", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--users", "--items", "--seed", "--out", "--no-media", "--size", "--fps", "--overwrite"):
        assert option in text
    assert main(["world", "--help"]) == 0
    assert "Same seed, same bytes" in capsys.readouterr().out


def test_bad_arguments_give_one_line_errors(tmp_path, capsys) -> None:
    for bad in (["--users", "-5"], ["--items", "0"], ["--size", "4"], ["--workers", "0"]):
        code = main(["world", "build", "--out", str(tmp_path / "x"), "-q", *bad])
        err = capsys.readouterr().err.strip()
        assert code != 0 and len(err.splitlines()) == 1 and err.startswith("error:"), (bad, err)
    assert not (tmp_path / "x").exists()
    assert main(["world", "info", str(tmp_path)]) != 0
    assert "not a GeneRec-Sim world" in capsys.readouterr().err


def test_real_entry_point_exits_non_zero_without_traceback(tmp_path) -> None:
    cmd = [sys.executable, "-m", "generec", "world", "build", "--users", "-3", "--out", str(tmp_path / "w")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert proc.stderr.strip() == "error: --users must be at least 1, got -3"
