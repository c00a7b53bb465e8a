"""Request sheets: what the generators made for each request, column beside column, for a person to judge.

Numbers from a reader are not enough: a person must see what was asked for. A sheet has one
line per request: its text, then per column (a method's output, or a real item with the same
attributes) a few evenly spaced frames of the clip (or the image). Pixels are enlarged by whole
multiples, never smoothed, so the sheet shows exactly what a model made.

Example
-------
>>> import numpy as np
>>> made = np.zeros((2, 8, 16, 16, 3), np.uint8); real = np.full_like(made, 255)
>>> request_sheet(["a red car", "a blue fish"], {"made": made, "real": real}, scale=1).size
(146, 86)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from generec.errors import DataError


def _strip(x: np.ndarray, frames: int) -> np.ndarray:
    """``frames`` evenly spaced frames of a clip ``[T, H, W, 3]`` (an image counts as one frame) side by side."""
    clip = x[None] if x.ndim == 3 else x
    pick = np.linspace(0, len(clip) - 1, min(frames, len(clip))).round().astype(int)
    return np.concatenate([clip[k] for k in pick], axis=1)


def request_sheet(
    requests: Sequence[str], columns: Mapping[str, np.ndarray], *, rows: int = 16, frames: int = 4, scale: int = 2
) -> Any:
    """A PIL image: per request (up to ``rows``), its text, then ``frames`` frames of each column's item.

    ``columns`` maps a label to uint8 clips ``[N, T, H, W, 3]`` or images ``[N, H, W, 3]`` aligned with ``requests``.
    """
    from PIL import Image, ImageDraw

    arrays = {k: np.asarray(v) for k, v in columns.items()}
    if not arrays or any(a.dtype != np.uint8 or a.ndim not in (4, 5) for a in arrays.values()):
        raise DataError("a request sheet needs columns of uint8 clips [N, T, H, W, 3] or images [N, H, W, 3]")
    n = min(rows, len(requests), *(len(a) for a in arrays.values()))
    if n < 1:
        raise DataError("a request sheet needs at least one request with an item in every column")
    cells = [[_strip(a[r], frames) for a in arrays.values()] for r in range(n)]
    cell_h = max(c.shape[0] for row in cells for c in row) * scale
    widths = [max(row[k].shape[1] for row in cells) * scale for k in range(len(arrays))]
    pad, text_h = 6, 14
    width = max(pad + sum(w + pad for w in widths), 120)
    sheet = Image.new("RGB", (width, text_h + n * (text_h + cell_h + pad)), "white")
    draw = ImageDraw.Draw(sheet)
    x = pad
    for label, w in zip(arrays, widths, strict=True):
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


def save_sheet(path: str | Path, requests: Sequence[str], columns: Mapping[str, np.ndarray], **kw: Any) -> Path:
    """Write :func:`request_sheet` to ``path`` (PNG, parent folders made); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    request_sheet(requests, columns, **kw).save(p)
    return p
