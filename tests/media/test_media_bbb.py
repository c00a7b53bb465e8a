"""The 10-minute Big Buck Bunny film: sampling and cutting run in bounded memory (measured in a child process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from generec.data.samples import fetch_bbb
from generec.errors import DataError

GIB = 1024**3

# The child prints its own peak RSS so the number covers only that work. VmHWM, not ru_maxrss: after
# fork+exec Linux's ru_maxrss still carries the forking parent's peak (a big pytest process), VmHWM does not.
_CHILD = """
import json, sys, time
from generec.media import cut, media_record, probe, sample_frames
film, task, out = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
if task == "sample":  # what an importer does: record (streamed SHA-256) and sample 64 frames
    record = media_record(film)
    times, frames = sample_frames(film, 64)
    result = {"shape": list(frames.shape), "times": times.tolist(), "hash": record.hash}
else:
    info = probe(cut(film, out, 300.0, 312.0, size=480))
    result = {"duration": info.duration, "has_audio": info.has_audio, "frames": info.frames, "width": info.width}
result["seconds"] = time.perf_counter() - t0
result["peak_rss"] = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps(result))
"""


def run_child(film: Path, task: str, out: Path) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, str(film), task, str(out)], capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.bigdata
def test_recording_and_sampling_64_frames_from_the_film_stays_under_1_gib(bbb_film: Path, tmp_path: Path) -> None:
    r = run_child(bbb_film, "sample", tmp_path / "unused")
    assert r["shape"] == [64, 720, 1280, 3]  # the frames themselves are 177 MB of the peak
    assert r["hash"] == "475fbbf34c4c367998f80c29ea03b15a743941179b12da3373fc6706e68621d0"
    assert r["peak_rss"] < 1 * GIB, f"peak RSS {r['peak_rss'] / 2**20:.0f} MiB"
    gaps = [b - a for a, b in zip(r["times"], r["times"][1:], strict=False)]
    assert all(abs(g - 596.46 / 64) < 0.1 for g in gaps)  # evenly spaced over the whole film


@pytest.mark.slow
@pytest.mark.bigdata
def test_cutting_a_clip_from_the_film_streams(bbb_film: Path, tmp_path: Path) -> None:
    r = run_child(bbb_film, "cut", tmp_path / "clip.mp4")
    assert r["duration"] == pytest.approx(12.0, abs=0.05) and r["frames"] == 288
    assert r["has_audio"] and r["width"] == 480
    # decoding 720p from minute 5 never holds more than a few frames: far below the film's 50 MB
    assert r["peak_rss"] < 400 * 2**20, f"peak RSS {r['peak_rss'] / 2**20:.0f} MiB"


def test_fetch_bbb_reports_an_unreachable_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    (tmp_path / "bbb.mp4").write_bytes(b"not the film")  # a damaged cache entry is not trusted
    with pytest.raises(DataError, match="pip could not download moviepy==2.2.1.*PyPI"):
        fetch_bbb(tmp_path)


@pytest.mark.slow
@pytest.mark.bigdata
def test_fetch_bbb_uses_the_verified_cache(bbb_film: Path) -> None:
    again = fetch_bbb(bbb_film.parent)  # a cache hit: no pip run, the SHA-256 is checked
    assert again == bbb_film and again.stat().st_size == 50_195_281
