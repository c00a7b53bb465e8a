"""Still images: read, write (PNG/JPEG, atomically and deterministically), resize, contact sheets.

Arrays are ``uint8`` ``H x W x 3`` RGB everywhere in GeneRec.

Example
-------
>>> import numpy as np, tempfile, pathlib
>>> from generec.media import write_image, read_image
>>> img = np.zeros((8, 12, 3), np.uint8)
>>> p = write_image(img, pathlib.Path(tempfile.mkdtemp()) / "black.png")
>>> read_image(p).shape
(8, 12, 3)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from generec.config import MediaSettings
from generec.errors import MediaError
from generec.media._checks import check_dims, check_file, temp_sibling

Size = tuple[int, int] | int
"""A target size: ``(width, height)`` exactly, or an ``int`` for the longest side (aspect kept)."""

_WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def as_rgb(array: np.ndarray, what: str = "image") -> np.ndarray:
    """Return ``array`` as a contiguous ``uint8`` ``H x W x 3`` array (gray and RGBA are converted)."""
    a = np.asarray(array)
    if a.dtype != np.uint8:
        raise MediaError(f"{what} must be uint8 (0-255), got dtype {a.dtype}; convert with np.clip(x, 0, 255)")
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    elif a.ndim == 3 and a.shape[2] == 4:
        a = a[:, :, :3]
    if a.ndim != 3 or a.shape[2] != 3 or a.shape[0] == 0 or a.shape[1] == 0:
        raise MediaError(f"{what} must have shape HxWx3 (RGB), got {a.shape}")
    return np.ascontiguousarray(a)


def fit_size(width: int, height: int, size: Size | None) -> tuple[int, int]:
    """The output ``(width, height)`` for a source of ``width x height`` and a target ``size``."""
    if size is None:
        return width, height
    if isinstance(size, int):
        if size <= 0:
            raise MediaError(f"size must be positive, got {size}")
        scale = size / max(width, height)
        return max(1, round(width * scale)), max(1, round(height * scale))
    w, h = (int(v) for v in size)
    if w <= 0 or h <= 0:
        raise MediaError(f"size must be positive, got {size}")
    return w, h


def resize(image: np.ndarray, size: Size) -> np.ndarray:
    """Resize an RGB image to ``(w, h)`` exactly, or so its longest side is ``size`` (aspect kept)."""
    img = as_rgb(image)
    w, h = fit_size(img.shape[1], img.shape[0], size)
    if (w, h) == (img.shape[1], img.shape[0]):
        return img
    return np.asarray(Image.fromarray(img).resize((w, h), Image.Resampling.BILINEAR))


def read_image(path: str | os.PathLike[str], *, settings: MediaSettings | None = None) -> np.ndarray:
    """Read a PNG/JPEG/WebP/... file as ``uint8`` ``H x W x 3`` RGB; :class:`MediaError` if it is not one."""
    p = check_file(path, settings)
    try:
        with Image.open(p) as im:
            check_dims(p, im.width, im.height, settings)  # header only: refuse before decoding pixels
            im.load()
            return np.asarray(im.convert("RGB"))
    except UnidentifiedImageError as exc:
        raise MediaError(f"{p}: not a readable image (PNG, JPEG, WebP, GIF, BMP)") from exc
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError(f"{p}: image is corrupt or truncated ({exc})") from exc


def image_info(path: str | os.PathLike[str], *, settings: MediaSettings | None = None) -> tuple[int, int, str]:
    """``(width, height, mime)`` of an image file, reading only its header."""
    p = check_file(path, settings)
    try:
        with Image.open(p) as im:
            check_dims(p, im.width, im.height, settings)
            mime = Image.MIME.get(im.format or "", "application/octet-stream")
            return im.width, im.height, mime
    except UnidentifiedImageError as exc:
        raise MediaError(f"{p}: not a readable image (PNG, JPEG, WebP, GIF, BMP)") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"{p}: image is corrupt or truncated ({exc})") from exc


def write_image(array: np.ndarray, path: str | os.PathLike[str], *, quality: int = 90) -> Path:
    """Write an RGB array as PNG or JPEG (by suffix); same array, same bytes.

    The file appears atomically (written to a temporary sibling, then renamed), so a
    reader never sees half an image. ``quality`` applies to JPEG only.
    """
    dst = Path(path)
    fmt = _WRITE_FORMATS.get(dst.suffix.lower())
    if fmt is None:
        raise MediaError(f"{dst}: cannot write images with suffix '{dst.suffix}'; use .png, .jpg or .jpeg")
    img = Image.fromarray(as_rgb(array))
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(dst)
    try:
        # No metadata, no timestamps: PNG and JPEG written by Pillow depend only on the pixels.
        opts = {"optimize": False} if fmt == "PNG" else {"quality": int(quality), "optimize": False}
        img.save(tmp, format=fmt, **opts)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    return dst


def contact_sheet(
    images: Sequence[np.ndarray], cols: int = 4, *, cell: Size | None = None, pad: int = 2, background: int = 0
) -> np.ndarray:
    """Tile images into one RGB grid (row-major), e.g. to show sampled frames or candidate thumbnails.

    Every image is resized to ``cell`` (default: the first image's size) and placed with ``pad`` pixels
    between cells.

    >>> import numpy as np
    >>> contact_sheet([np.zeros((4, 6, 3), np.uint8)] * 5, cols=2, pad=1).shape
    (14, 13, 3)
    """
    if len(images) == 0:
        raise MediaError("contact_sheet needs at least one image")
    if cols <= 0:
        raise MediaError(f"cols must be positive, got {cols}")
    first = as_rgb(images[0])
    cw, ch = fit_size(first.shape[1], first.shape[0], cell)
    cols = min(cols, len(images))
    rows = math.ceil(len(images) / cols)
    sheet = np.full((rows * ch + (rows - 1) * pad, cols * cw + (cols - 1) * pad, 3), background, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        y, x = r * (ch + pad), c * (cw + pad)
        sheet[y : y + ch, x : x + cw] = resize(im, (cw, ch))
    return sheet
