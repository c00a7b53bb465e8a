"""Contact sheets: what a generator made for each request, beside a real item with the same attributes.

Numbers from a reader are not enough: a person must see what was asked for. A sheet has one
line per request: the request's text, a few evenly spaced frames of the made clip (or the made
image), and the same frames of a real clip of the world that shows what the request names.
Pixels are enlarged by whole multiples (no smoothing), so the sheet shows exactly what the
model made.

Example
-------
>>> import numpy as np
>>> made = np.zeros((2, 8, 16, 16, 3), np.uint8); real = np.full_like(made, 255)
>>> contact_sheet(["a red car", "a blue fish"], made, real, scale=1).size
(146, 86)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from generec.errors import DataError


def _strip(x: np.ndarray, frames: int) -> np.ndarray:
    """``frames`` evenly spaced frames of a clip ``[T, H, W, 3]`` (an image counts as one frame) side by side."""
    clip = x[None] if x.ndim == 3 else x
    pick = np.linspace(0, len(clip) - 1, min(frames, len(clip))).round().astype(int)
    return np.concatenate([clip[k] for k in pick], axis=1)


def contact_sheet(
    requests: Sequence[str],
    made: np.ndarray,
    real: np.ndarray | None = None,
    *,
    rows: int = 16,
    frames: int = 4,
    scale: int = 2,
    labels: tuple[str, str] = ("made", "real, same attributes"),
):  # noqa: ANN201 - a PIL image; PIL is imported lazily
    """A PIL image: per request (up to ``rows``), its text, then ``frames`` frames of ``made`` and of ``real``.

    ``made`` and ``real`` are uint8 clips ``[N, T, H, W, 3]`` or images ``[N, H, W, 3]``, aligned with ``requests``.
    """
    from PIL import Image, ImageDraw

    made = np.asarray(made)
    n = min(rows, len(requests), len(made), len(real) if real is not None else len(made))
    if n < 1 or made.dtype != np.uint8 or made.ndim not in (4, 5):
        raise DataError(
            f"a contact sheet needs uint8 clips or images and a request each, got {made.dtype} {made.shape}"
        )
    cells = [
        [_strip(made[r], frames)] + ([_strip(np.asarray(real[r]), frames)] if real is not None else [])
        for r in range(n)
    ]
    cell_h = max(c.shape[0] for row in cells for c in row) * scale
    widths = [max(row[k].shape[1] for row in cells) * scale for k in range(len(cells[0]))]
    pad, text_h = 6, 14
    width = pad + sum(w + pad for w in widths)
    sheet = Image.new("RGB", (max(width, 120), text_h + n * (text_h + cell_h + pad)), "white")
    draw = ImageDraw.Draw(sheet)
    x = pad
    for label, w in zip(labels, widths, strict=False):
        draw.text((x, 1), label, fill="black")
        x += w + pad
    for r, row in enumerate(cells):
        y = text_h + r * (text_h + cell_h + pad)
        draw.text((pad, y), str(requests[r])[: max(20, width // 6)], fill="black")
        x = pad
        for cell, w in zip(row, widths, strict=True):
            tile = Image.fromarray(cell).resize((cell.shape[1] * scale, cell.shape[0] * scale), Image.NEAREST)
            sheet.paste(tile, (x, y + text_h))
            x += w + pad
    return sheet


def save_sheet(path: str | Path, *args, **kwargs) -> Path:  # noqa: ANN002, ANN003 - the arguments of contact_sheet
    """Write :func:`contact_sheet` to ``path`` (PNG); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(*args, **kwargs).save(p)
    return p
