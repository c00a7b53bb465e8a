"""Where the service's trained recommender versions live, and which one is in use.

Trained versions live in ``<models_dir>/recommender/<version>/`` (the model's ``config.json`` and
``state.pt``, the attribute taste's ``taste.json``, plus ``serving.json``: the id order and how item
features were made); the file ``<models_dir>/recommender/CURRENT`` names the version in use and is
replaced atomically when a retraining publishes a new one.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

SERVING_FILE = "serving.json"
CURRENT_FILE = "CURRENT"


def recommender_dir(settings: Any) -> Path:
    """Where trained recommender versions live: ``<models_dir>/recommender``."""
    return Path(settings.models_dir) / "recommender"


def current_version(settings: Any) -> Path | None:
    """The version directory ``CURRENT`` names, or ``None`` when no recommender was trained."""
    pointer = recommender_dir(settings) / CURRENT_FILE
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = recommender_dir(settings) / name
    return path if name and (path / SERVING_FILE).is_file() else None


def publish_version(settings: Any, version: Path) -> None:
    """Make ``version`` the one in use (atomic rename of the pointer) and drop versions beyond the newest few."""
    root = recommender_dir(settings)
    tmp = root / f".{CURRENT_FILE}.{os.getpid()}.{threading.get_ident()}"
    tmp.write_text(version.name + "\n", encoding="utf-8")
    os.replace(tmp, root / CURRENT_FILE)
    keep = settings.recommender.keep_versions
    versions = sorted((d for d in root.iterdir() if (d / SERVING_FILE).is_file()), key=lambda d: d.name)
    for old in versions[:-keep]:
        if old != version:
            shutil.rmtree(old, ignore_errors=True)
