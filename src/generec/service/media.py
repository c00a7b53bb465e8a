"""Serving media files with HTTP range requests, so a browser's video player can seek.

Starlette's :class:`FileResponse` streams the file and answers one range (206) or several
(``multipart/byteranges``). What it gets is checked here first, by the rules of RFC 9110 §14:
a Range header that is not ``bytes``, is malformed or asks for too many pieces is ignored (the
whole file, 200); one whose ranges all lie past the end answers 416 with ``Content-Range:
bytes */size``; unsatisfiable pieces of a list are dropped. Positions of any length are compared
without converting them to huge integers, so a header of thousands of digits is as cheap as any.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse

_SPEC = re.compile(r"[0-9]*-[0-9]*")
_HUGE = 10**18  # past the end of any file we serve; longer numbers are not converted at all
MAX_RANGES = 16  # more pieces than a player ever asks for: answered with the whole file
CHUNK = 256 * 1024


def _position(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) < 18 else _HUGE


def byte_ranges(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """The satisfiable ``(first, last)`` inclusive byte ranges a ``Range`` header asks of a ``size``-byte file.

    ``None``: serve the whole file (no header, another unit, bad syntax, more than ``MAX_RANGES``).
    Raises ``HTTPException(416)`` when the syntax is valid but no range overlaps the file.
    Overlapping or adjacent ranges are merged, as RFC 9110 §14.3 suggests.

    >>> byte_ranges("bytes=0-9,-5", 100)
    [(0, 9), (95, 99)]
    >>> byte_ranges("bytes=x-y", 100) is None
    True
    """
    if not header:
        return None
    unit, sep, spec = header.partition("=")
    parts = [p.strip(" \t") for p in spec.split(",")]
    parts = [p for p in parts if p]  # empty list elements are allowed
    if not sep or unit.strip().lower() != "bytes" or not parts or len(parts) > MAX_RANGES:
        return None
    ranges = []
    for part in parts:
        if not _SPEC.fullmatch(part) or part == "-":
            return None
        head, _, tail = part.partition("-")
        if not head:  # suffix: the last n bytes
            n = _position(tail)
            if n > 0 and size > 0:
                ranges.append((max(0, size - n), size - 1))
            continue
        first, last = _position(head), (_position(tail) if tail else _HUGE)
        if last < first:
            return None
        if first < size:
            ranges.append((first, min(last, size - 1)))
    if not ranges:
        raise HTTPException(416, f"the requested range lies outside the file ({size} bytes)",
                            headers={"Content-Range": f"bytes */{size}"})  # fmt: skip
    ranges.sort()
    merged = [ranges[0]]
    for first, last in ranges[1:]:
        if first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


class _RangedFile(FileResponse):
    """A :class:`FileResponse` that sees only the ranges :func:`byte_ranges` accepted, spelled plainly."""

    chunk_size = CHUNK

    def __init__(self, path: Path, ranges: list[tuple[int, int]] | None, **kwargs) -> None:  # noqa: ANN003
        super().__init__(path, **kwargs)
        spec = ",".join(f"{first}-{last}" for first, last in ranges or ())
        self._range = f"bytes={spec}".encode() if ranges else None

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        headers = [(k, v) for k, v in scope.get("headers", ()) if k != b"range"]
        if self._range:
            headers.append((b"range", self._range))
        await super().__call__({**scope, "headers": headers}, receive, send)


def file_response(path: Path, mime: str, range_header: str | None, etag: str) -> FileResponse:
    """200 with the whole file, 206 with the requested range(s), or 416; private caching, keyed by content hash."""
    stat = path.stat()
    headers = {"ETag": f'"{etag}"', "Cache-Control": "private, max-age=3600"}
    ranges = byte_ranges(range_header, stat.st_size)
    return _RangedFile(path, ranges, headers=headers, media_type=mime, stat_result=stat)
