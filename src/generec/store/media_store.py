"""A content-addressed media store on disk.

Files are named by the SHA-256 of their bytes and sharded two levels deep
(``ab/cd/abcd…ef.mp4``), so the same content is stored once and no name a user
chose ever becomes a path: every lookup takes a 64-hex-digit hash, checked
before it touches the filesystem. Writes go to a temporary file that is
renamed into place, so a crash never leaves a half file under a real name.

Example
-------
>>> import tempfile
>>> ms = MediaStore(tempfile.mkdtemp())
>>> media = ms.put_bytes(b"hello", ".txt")
>>> ms.path_for(media.hash).read_bytes()
b'hello'
"""

from __future__ import annotations

import dataclasses
import hashlib
import mimetypes
import os
import re
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

from generec.config import MediaSettings
from generec.errors import MediaError, NotFoundError, StoreError
from generec.types import Media

_HASH_RE = re.compile(r"[0-9a-f]{64}")
_SUFFIX_RE = re.compile(r"\.[a-z0-9]{1,10}")
_CHUNK = 1 << 20
_TMP = ".tmp"
_MIMES = {".mp4": "video/mp4", ".webm": "video/webm", ".mkv": "video/x-matroska", ".png": "image/png"}


def check_hash(media_hash: str) -> str:
    """Return ``media_hash`` if it is 64 lowercase hex digits, else raise :class:`StoreError`."""
    if not isinstance(media_hash, str) or not _HASH_RE.fullmatch(media_hash):
        raise StoreError(f"{str(media_hash)[:80]!r} is not a media hash: expected 64 lowercase hex digits (a SHA-256)")
    return media_hash


def _check_suffix(suffix: str) -> str:
    suffix = suffix.lower()
    if suffix and not suffix.startswith("."):
        suffix = "." + suffix
    if suffix and not _SUFFIX_RE.fullmatch(suffix):
        raise StoreError(f"file suffix {suffix[:20]!r} is not allowed: use a dot and 1-10 letters/digits, e.g. '.mp4'")
    return suffix


def guess_mime(suffix: str) -> str:
    return _MIMES.get(suffix) or mimetypes.guess_type(f"file{suffix}")[0] or "application/octet-stream"


def describe(path: Path, digest: str, size: int, settings: MediaSettings | None = None) -> Media:
    """The :class:`Media` record of a stored file; videos/images are probed with :mod:`generec.media`.

    A file that claims to be a video or image but is not raises :class:`MediaError`.
    """
    mime = guess_mime(path.suffix.lower())
    if not mime.startswith(("video/", "image/")):
        return Media(hash=digest, mime=mime, size_bytes=size)
    try:
        from generec.media import media_record
    except ImportError:  # pragma: no cover - generec.media ships with the package; kept for partial installs
        return Media(hash=digest, mime=mime, size_bytes=size)
    return dataclasses.replace(media_record(path, settings=settings), hash=digest, size_bytes=size)


class MediaStore:
    """Media files on disk under ``root``, addressed by SHA-256.

    Parameters
    ----------
    root:
        Folder for the files (created if missing).
    settings:
        Size and format limits (:class:`generec.config.MediaSettings`); defaults apply when omitted.

    Example
    -------
    >>> import tempfile
    >>> ms = MediaStore(tempfile.mkdtemp())
    >>> m = ms.put_bytes(b"x", ".bin")
    >>> ms.exists(m.hash), m.size_bytes
    (True, 1)
    """

    def __init__(self, root: str | os.PathLike[str], settings: MediaSettings | None = None) -> None:
        self.root = Path(root)
        self.settings = settings or MediaSettings()
        # Inside batch(): files written but not yet fsynced, synced together when the batch ends.
        self._pending: list[Path] | None = None
        self._shards: set[Path] = set()  # shard folders known to exist (saves a mkdir per file)
        try:
            (self.root / _TMP).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the media store folder {self.root}: {exc.strerror}") from exc

    # ----------------------------------------------------------------- writes
    def put_file(self, path: str | os.PathLike[str]) -> Media:
        """Copy a file into the store (hashing while copying) and return its :class:`Media` record.

        Storing the same content again returns the same record and writes nothing new.
        Raises :class:`MediaError` for a missing, unreadable, oversized or corrupt file.
        """
        src = Path(path)
        if not src.is_file():
            raise MediaError(f"{src}: no such file (or it is not a regular file)")
        suffix = _check_suffix(src.suffix)
        try:
            with open(src, "rb") as f:
                return self._put_stream(f, suffix, str(src))
        except OSError as exc:
            raise MediaError(f"{src}: cannot read the file ({exc.strerror or exc})") from exc

    def put_bytes(self, data: bytes, suffix: str = "") -> Media:
        """Store ``data`` as a file with ``suffix`` (e.g. ``".png"``); return its :class:`Media` record."""
        import io

        return self._put_stream(io.BytesIO(data), _check_suffix(suffix), f"<{len(data)} bytes>")

    def _put_stream(self, stream: IO[bytes], suffix: str, name: str) -> Media:
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(suffix=suffix, dir=self.root / _TMP)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > self.settings.max_file_bytes:
                        raise MediaError(
                            f"{name}: larger than the limit of {self.settings.max_file_bytes} bytes "
                            "(raise media.max_file_bytes in the config if this is intended)"
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                if self._pending is None:
                    os.fsync(out.fileno())  # the bytes are on disk before the name points at them
            media = describe(tmp, digest.hexdigest(), size, self.settings)
            final = self._shard(media.hash) / f"{media.hash}{suffix}"
            if self._find(media.hash) is None:
                if final.parent not in self._shards:
                    final.parent.mkdir(parents=True, exist_ok=True)
                    self._shards.add(final.parent)
                os.replace(tmp, final)
                if self._pending is None:
                    _fsync_dir(final.parent)
                else:
                    self._pending.append(final)
            return media
        except MediaError as exc:
            if name.startswith("<"):
                raise
            raise MediaError(str(exc).replace(str(tmp), name)) from exc
        finally:
            tmp.unlink(missing_ok=True)

    @contextmanager
    def batch(self) -> Iterator[MediaStore]:
        """Put many files, then make them durable together (much faster than one fsync per file).

        Files put inside the block are synced to disk when it ends, so code that
        records them in the database after the block never points at a file a
        power cut could lose.

        Example
        -------
        >>> import tempfile
        >>> ms = MediaStore(tempfile.mkdtemp())
        >>> with ms.batch():
        ...     hashes = [ms.put_bytes(bytes([i]), ".bin").hash for i in range(3)]
        >>> all(ms.exists(h) for h in hashes)
        True
        """
        if self._pending is not None:  # nested: the outer batch syncs
            yield self
            return
        self._pending = []
        try:
            yield self
        finally:
            pending, self._pending = self._pending, None
            _sync_all(pending)

    # ------------------------------------------------------------------ reads
    def _shard(self, media_hash: str) -> Path:
        return self.root / media_hash[:2] / media_hash[2:4]

    def _find(self, media_hash: str) -> Path | None:
        shard = self._shard(check_hash(media_hash))
        if not shard.is_dir():
            return None
        for candidate in sorted(shard.iterdir()):
            if candidate.name == media_hash or candidate.name.startswith(media_hash + "."):
                return candidate
        return None

    def path_for(self, media_hash: str) -> Path:
        """Where the file with this hash is stored.

        Raises :class:`StoreError` for anything but 64 lowercase hex digits (so no
        user string becomes a path) and :class:`NotFoundError` if the file is absent.
        """
        found = self._find(media_hash)
        if found is None:
            raise NotFoundError(f"media {media_hash} is not in the media store at {self.root}; store it with put_file")
        return found

    def exists(self, media_hash: str) -> bool:
        return self._find(media_hash) is not None

    def open(self, media_hash: str) -> BinaryIO:
        """Open the stored file for reading (binary)."""
        return open(self.path_for(media_hash), "rb")  # noqa: SIM115 - the caller closes it

    def verify(self, media_hash: str) -> bool:
        """Whether the stored file's bytes still hash to its name (detects on-disk corruption)."""
        digest = hashlib.sha256()
        with self.open(media_hash) as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest() == media_hash

    def iter_hashes(self) -> Iterator[str]:
        """Every stored hash (walks the shards; for audits and ``generec info``)."""
        for path in sorted(self.root.glob("??/??/*")):
            stem = path.name.split(".", 1)[0]
            if _HASH_RE.fullmatch(stem):
                yield stem

    def usage(self) -> tuple[int, int]:
        """``(files, bytes)`` held by the store."""
        files = total = 0
        for path in self.root.glob("??/??/*"):
            if _HASH_RE.fullmatch(path.name.split(".", 1)[0]):
                files += 1
                total += path.stat().st_size
        return files, total


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_all(paths: list[Path]) -> None:
    # Parallel fsyncs let the filesystem commit its journal once for many files.
    if not paths:
        return
    dirs = sorted({p.parent for p in paths})
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(_fsync_file, paths))
        list(pool.map(_fsync_dir, dirs))


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not every platform/filesystem allows it.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
