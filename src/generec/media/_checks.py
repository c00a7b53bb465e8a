"""Validation shared by every media reader: the file exists, is not empty, is not too large.

Every failure raises :class:`~generec.errors.MediaError` naming the file and what to do,
so the CLI and the service can print it as one line.
"""

from __future__ import annotations

import os
from pathlib import Path

from generec.config import MediaSettings
from generec.errors import MediaError

VIDEO_SUFFIXES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
                  ".mkv": "video/x-matroska", ".avi": "video/x-msvideo"}  # fmt: skip
IMAGE_SUFFIXES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
                  ".gif": "image/gif", ".bmp": "image/bmp"}  # fmt: skip


def settings_or_default(settings: MediaSettings | None) -> MediaSettings:
    return settings if settings is not None else MediaSettings()


def check_file(path: str | os.PathLike[str], settings: MediaSettings | None = None) -> Path:
    """Return ``path`` as a :class:`Path` after checking it is a readable, non-empty, not-too-large file."""
    p = Path(path)
    limits = settings_or_default(settings)
    if not p.exists():
        raise MediaError(f"{p}: file does not exist; check the path")
    if p.is_dir():
        raise MediaError(f"{p}: is a directory, not a media file; pass a video or image file")
    if not p.is_file():
        raise MediaError(f"{p}: is not a regular file; pass a video or image file")
    size = p.stat().st_size
    if size == 0:
        raise MediaError(f"{p}: file is empty (0 bytes); re-upload or re-export it")
    if size > limits.max_file_bytes:
        raise MediaError(
            f"{p}: file is {size} bytes, over the limit of {limits.max_file_bytes} bytes "
            "(raise media.max_file_bytes in the config if this is intended)"
        )
    return p


def check_dims(path: Path, width: int, height: int, settings: MediaSettings | None = None) -> None:
    """Refuse frames that are empty or have more pixels than ``settings.max_pixels``."""
    limits = settings_or_default(settings)
    if width <= 0 or height <= 0:
        raise MediaError(f"{path}: frame size {width}x{height} is invalid; the file is corrupt")
    if width * height > limits.max_pixels:
        raise MediaError(
            f"{path}: frame size {width}x{height} has more than {limits.max_pixels} pixels "
            "(raise media.max_pixels in the config if this is intended)"
        )


def check_duration(path: Path, duration: float, settings: MediaSettings | None = None) -> None:
    limits = settings_or_default(settings)
    if duration > limits.max_duration_s:
        raise MediaError(
            f"{path}: video lasts {duration:.1f} s, over the limit of {limits.max_duration_s:.0f} s "
            "(raise media.max_duration_s in the config if this is intended)"
        )


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def temp_sibling(dst: Path) -> Path:
    """A temporary name next to ``dst`` so that a finished write is an atomic rename."""
    return dst.with_name(f".{dst.name}.{os.getpid()}.partial")
