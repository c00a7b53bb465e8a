"""Scratch space under ``<home>/tmp``: files that live only while one request or job runs.

:func:`scratch_dir` hands out a fresh directory and removes it, whatever it holds, when the
block ends (normally or by an exception). A process killed in the middle cannot clean up, so
every directory is named after its owner (``<pid>@<host>~...``) and :func:`clean_scratch`, run
at start-up, removes those whose process is gone. Entries of other hosts sharing the home, and
unnamed ones, are only removed once they are older than anything still running could be.

Example
-------
>>> import tempfile
>>> home = tempfile.mkdtemp()
>>> with scratch_dir(home) as tmp:
...     _ = (tmp / "upload.mp4").write_bytes(b"...")
>>> list(scratch_root(home).iterdir())
[]
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

_OWNER = re.compile(r"^(\d+)@(.+?)~")
STALE_S = 24 * 3600.0


def scratch_root(home: str | os.PathLike[str]) -> Path:
    return Path(home) / "tmp"


def _host() -> str:
    return socket.gethostname().replace("~", "-") or "localhost"


@contextlib.contextmanager
def scratch_dir(home: str | os.PathLike[str]) -> Iterator[Path]:
    """A new empty directory under ``<home>/tmp``, removed with its contents when the block ends."""
    root = scratch_root(home)
    root.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}@{_host()}~", dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def clean_scratch(home: str | os.PathLike[str], *, stale_s: float = STALE_S) -> int:
    """Remove what stopped processes left in ``<home>/tmp``; return how many entries went.

    Gone: entries of a process of this host that no longer runs, and any entry (another host's,
    or not named by :func:`scratch_dir`) untouched for ``stale_s`` seconds.
    """
    root = scratch_root(home)
    if not root.is_dir():
        return 0
    removed, now, host = 0, time.time(), _host()
    for entry in root.iterdir():
        owner = _OWNER.match(entry.name)
        try:
            old = now - entry.lstat().st_mtime > stale_s
        except FileNotFoundError:
            continue
        dead = owner is not None and owner[2] == host and not _alive(int(owner[1]))
        if not (dead or old):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    return removed
