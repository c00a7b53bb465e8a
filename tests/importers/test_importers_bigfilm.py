"""Importing the 10-minute Big Buck Bunny film, then sampling 64 frames, stays under 1 GiB peak RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PEAK_RSS_LIMIT_KIB = 1024 * 1024  # 1 GiB

# Runs in a fresh interpreter and reads its own VmHWM, so the peak covers only this work (ru_maxrss would
# still carry the forking pytest process's peak after exec).
_SCRIPT = """
import json, sys
from generec.cli import main
from generec.media import sample_frames
rc = main(["import", "videos", sys.argv[1], "--home", sys.argv[2]])
times, frames = sample_frames(sys.argv[3], 64, size=256)
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"rc": rc, "frames": list(frames.shape), "peak_kib": peak}))
"""


@pytest.mark.slow
@pytest.mark.bigdata
def test_import_big_buck_bunny_in_bounded_memory(tmp_path: Path) -> None:
    from generec.data.samples import fetch_bbb
    from generec.errors import DataError

    try:
        film = fetch_bbb()
    except DataError as exc:
        pytest.skip(f"Big Buck Bunny unavailable: {exc}")
    folder = tmp_path / "films"
    folder.mkdir()
    try:  # a hard link costs nothing; a symlink would point outside the folder and be refused
        os.link(film, folder / "big_buck_bunny.mp4")
    except OSError:
        (folder / "big_buck_bunny.mp4").write_bytes(film.read_bytes())
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(folder), str(tmp_path / "home"), str(folder / "big_buck_bunny.mp4")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["rc"] == 0 and result["frames"][0] == 64
    assert result["peak_kib"] < PEAK_RSS_LIMIT_KIB, f"peak RSS {result['peak_kib'] / 1024:.0f} MiB"
    from generec.store import Store

    with Store.open(tmp_path / "home" / "generec.db") as store:
        item = store.get_item("big-buck-bunny", system=True)
        media = store.get_media(item.media_hash)
    assert media.duration == pytest.approx(596, abs=2) and (media.width, media.height) == (1280, 720)
