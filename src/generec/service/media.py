"""Serving media files with HTTP range requests, so a browser's video player can seek."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import Response, StreamingResponse

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024
INLINE = 1024 * 1024


def parse_range(header: str, size: int) -> tuple[int, int]:
    """``(first, last)`` inclusive byte positions of a single ``bytes=`` range; 416 if unsatisfiable."""
    m = _RANGE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        raise HTTPException(416, "bad Range header; use one range like 'bytes=0-1023'",
                            headers={"Content-Range": f"bytes */{size}"})  # fmt: skip
    if not m.group(1):  # suffix range: the last n bytes
        n = int(m.group(2))
        if n == 0:
            raise HTTPException(416, "empty suffix range", headers={"Content-Range": f"bytes */{size}"})
        return max(0, size - n), size - 1
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else size - 1
    if first >= size or last < first:
        raise HTTPException(416, f"range {first}-{last} is outside the file ({size} bytes)",
                            headers={"Content-Range": f"bytes */{size}"})  # fmt: skip
    return first, min(last, size - 1)


def _read(path: Path, first: int, last: int) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(first)
        left = last - first + 1
        while left > 0:
            chunk = f.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def file_response(path: Path, mime: str, range_header: str | None, etag: str) -> Response:
    """200 with the whole file, or 206 with the requested range; private caching, keyed by content hash.

    Up to ``INLINE`` bytes are read at once and sent as one body (micro-videos and thumbnails: no
    per-chunk thread hops); larger ones stream in ``CHUNK`` pieces.
    """
    size = path.stat().st_size
    headers = {"Accept-Ranges": "bytes", "ETag": f'"{etag}"', "Cache-Control": "private, max-age=3600"}
    status, first, last = 200, 0, size - 1
    if range_header:
        status, (first, last) = 206, parse_range(range_header, size)
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    if last - first + 1 <= INLINE:
        with open(path, "rb") as f:
            f.seek(first)
            return Response(f.read(last - first + 1), status, headers=headers, media_type=mime)
    headers["Content-Length"] = str(last - first + 1)
    return StreamingResponse(_read(path, first, last), status, headers=headers, media_type=mime)
