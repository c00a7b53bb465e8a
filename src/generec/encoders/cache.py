"""An on-disk feature cache: one ``.npy`` file per (encoder id, media hash, sampling parameters).

Extracting features from video is the slow part of every experiment, and the same
file is encoded again and again (ranking, editing, evaluation). The cache keys on the
encoder's stable ``id`` and the media's content hash, so a retrained encoder or an
edited video never reads stale vectors. Files are written to a temporary name and
renamed into place (atomic on POSIX and Windows), so concurrent readers and writers
never see half a file; two writers of the same key simply write the same bytes.

Example
-------
>>> import numpy as np, tempfile
>>> cache = FeatureCache(tempfile.mkdtemp())
>>> v = cache.get_or_compute("enc-1", "abc123", lambda: np.ones(4, np.float32), params={"frames": 8})
>>> cache.get("enc-1", "abc123", params={"frames": 8}).tolist()
[1.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from generec.errors import StoreError

_LOAD_LOCK = threading.Lock()
"""``np.load`` parses each .npy header with ``ast.literal_eval``, and CPython 3.11 can fail concurrent AST
construction ("AST constructor recursion depth mismatch"); reading one file at a time avoids it."""


def hash_bytes(data: bytes) -> str:
    """SHA-256 hex digest, the same content hash :class:`generec.types.Media` uses.

    For files use :func:`generec.media.content_hash` (chunked, constant memory).
    """
    return hashlib.sha256(data).hexdigest()


def hash_array(arr: np.ndarray) -> str:
    """Content hash of an array (shape and dtype included, so a reshape is a different key)."""
    arr = np.ascontiguousarray(arr)
    h = hashlib.sha256(f"{arr.dtype.str}{arr.shape}".encode())
    h.update(arr.tobytes())
    return h.hexdigest()


def hash_text(text: str) -> str:
    return hash_bytes(text.encode("utf-8"))


class FeatureCache:
    """Features on disk under ``root/<encoder id>/<2 hex>/<key>.npy``.

    Parameters
    ----------
    root
        Cache directory; created on first write.

    Example
    -------
    >>> import numpy as np, tempfile
    >>> c = FeatureCache(tempfile.mkdtemp())
    >>> c.put("enc", "h1", np.zeros((3, 2), np.float32))
    >>> c.get("enc", "h1").shape, c.get("enc", "missing")
    ((3, 2), None)
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, encoder_id: str, media_hash: str, params: Mapping[str, Any] | None = None) -> Path:
        """Where the features for this key live (whether or not they exist yet)."""
        if not encoder_id or not media_hash:
            raise StoreError("a feature-cache key needs a non-empty encoder id and media hash")
        # Params are canonical JSON so {"a":1,"b":2} and {"b":2,"a":1} are the same key.
        key = json.dumps([media_hash, dict(params or {})], sort_keys=True, default=str)
        digest = hashlib.sha256(key.encode()).hexdigest()
        # The encoder id is hashed too: ids may contain ':' or '/', which are not safe in file names.
        folder = hashlib.sha256(encoder_id.encode()).hexdigest()[:16]
        return self.root / folder / digest[:2] / f"{digest}.npy"

    def get(self, encoder_id: str, media_hash: str, params: Mapping[str, Any] | None = None) -> np.ndarray | None:
        """The cached array, or ``None`` when absent (an unreadable file counts as absent and is rewritten)."""
        p = self.path(encoder_id, media_hash, params)
        try:
            with _LOAD_LOCK:
                return np.load(p, allow_pickle=False)
        except FileNotFoundError:
            return None
        except (ValueError, OSError, EOFError):
            return None

    def put(self, encoder_id: str, media_hash: str, value: np.ndarray, params: Mapping[str, Any] | None = None) -> None:
        """Store ``value`` atomically (temporary file in the same folder, then rename)."""
        p = self.path(encoder_id, media_hash, params)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".tmp-", suffix=".npy")
            try:
                with os.fdopen(fd, "wb") as fh:
                    np.save(fh, np.asarray(value), allow_pickle=False)
                os.replace(tmp, p)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StoreError(f"cannot write feature cache under {self.root}: {exc}; check the cache directory") from exc

    def get_or_compute(
        self,
        encoder_id: str,
        media_hash: str,
        compute: Callable[[], np.ndarray],
        params: Mapping[str, Any] | None = None,
    ) -> np.ndarray:
        """Return the cached array, computing and storing it on a miss."""
        hit = self.get(encoder_id, media_hash, params)
        if hit is not None:
            return hit
        value = np.asarray(compute())
        self.put(encoder_id, media_hash, value, params)
        return value

    def __contains__(self, key: tuple[str, str]) -> bool:
        return self.path(*key).is_file()
