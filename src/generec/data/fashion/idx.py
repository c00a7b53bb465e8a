"""A reader for the IDX format of (Fashion-)MNIST, gzip-compressed or not, that trusts nothing in the file.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the values in C order.
Only unsigned bytes (type ``0x08``) are read: that is all Fashion-MNIST holds. A
wrong magic number, a size that disagrees with the header, a truncated gzip
stream or trailing bytes each raise one :class:`~generec.errors.DataError` naming
the file and what to do.

Example
-------
>>> import gzip, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte.gz"
>>> _ = p.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 9])))
>>> read_idx(p).tolist()
[7, 2, 9]
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from generec.errors import DataError

UBYTE = 0x08
MAX_DIMS = 4
MAX_VALUES = 1 << 31


def _payload(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the IDX file ({exc.strerror or exc})") from None
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: the gzip stream is corrupt or truncated ({exc}); reinstall the dataset") from None


def read_idx(path: str | Path, dims: int | None = None) -> np.ndarray:
    """The array stored in an IDX file (``uint8``); ``dims`` is the number of dimensions expected.

    Raises :class:`DataError` for a wrong magic number, an unexpected number of
    dimensions, or a body whose size is not the header's.
    """
    path = Path(path)
    data = _payload(path)
    fix = "; the file is corrupt: reinstall the dataset"
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise DataError(f"{path}: not an IDX file (bad magic number {data[:4].hex() or 'none'}){fix}")
    kind, n_dims = data[2], data[3]
    if kind != UBYTE:
        raise DataError(f"{path}: IDX value type 0x{kind:02x} is not unsigned bytes (0x08){fix}")
    if not 1 <= n_dims <= MAX_DIMS or (dims is not None and n_dims != dims):
        want = f"{dims}" if dims is not None else f"1 to {MAX_DIMS}"
        raise DataError(f"{path}: IDX header says {n_dims} dimensions, expected {want}{fix}")
    header = 4 + 4 * n_dims
    if len(data) < header:
        raise DataError(f"{path}: the IDX header is cut short ({len(data)} bytes){fix}")
    shape = struct.unpack(f">{n_dims}I", data[4:header])
    size = int(np.prod(shape, dtype=np.int64))
    if size > MAX_VALUES:
        raise DataError(f"{path}: IDX header claims {size:,} values, more than any real dataset{fix}")
    body = len(data) - header
    if body != size:
        what = "truncated" if body < size else "longer than its header says"
        raise DataError(f"{path}: IDX file is {what}: header {list(shape)} needs {size:,} bytes, found {body:,}{fix}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()
