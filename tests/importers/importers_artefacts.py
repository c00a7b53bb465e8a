"""Tiny real artefacts for the importer tests: short videos written with GeneRec's own writer, images, broken files.

A uniquely named module (not ``conftest``) so that test files can import it whatever other test folders hold.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from generec.media import write_image, write_video

COLORS = {"red_car": (200, 30, 30), "Blue Sky": (30, 30, 200), "green_field": (30, 200, 30)}


def make_video(path: Path, color: tuple[int, int, int], frames: int = 16, size: int = 32, fps: int = 8) -> Path:
    """A real ``frames``-frame H.264 MP4 of a moving bar on a flat colour (2 s at 8 fps by default)."""
    out = []
    for t in range(frames):
        img = np.full((size, size, 3), color, np.uint8)
        img[:, (t * 2) % size] = 255
        out.append(img)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_video(out, path, fps=fps)


def make_image(path: Path, color: tuple[int, int, int], size: int = 16) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_image(np.full((size, size, 3), color, np.uint8), path)


def text_as_mp4(path: Path) -> Path:
    path.write_text("this is a text file, not a video\n" * 20, encoding="utf-8")
    return path


def truncated_copy(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def db_snapshot(db: Path) -> dict[str, int]:
    """Row counts of every table of a SQLite store (read-only), to prove a failed import changed nothing."""
    if not db.exists():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}
    finally:
        con.close()


def media_snapshot(home: Path) -> list[str]:
    root = home / "media"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
