"""Render media test cases from a JSON spec, and the edits a copier makes to images and clips.

A case's ``source`` is one of: ``{"photo": i, "box": [y, x, side]}`` (a square crop of
:func:`generec.fidelity.evalset.photos`), ``{"gradient": [rgb, rgb], "angle": deg}``,
``{"shapes": seed, "palette": [rgb, ...]}`` (discs and boxes on a background), ``{"noise": seed}``,
``{"solid": rgb}`` or ``{"checker": [rgb, rgb], "cells": n}``.

Image edits (:func:`edit_image`): ``hflip``, ``crop`` (keep a share of each side, anchored at a
corner), ``rotate`` (degrees, cropped to the largest inner square), ``overlay`` (a caption in a
bar), ``recompress`` (downscale + JPEG), ``tone`` (gain on all channels).
Clip attacks (:func:`attack_clip`) decode a marked file, change its frames and write a new file
with our writer (H.264 MP4 CRF 23 unless the attack is a re-encode): ``downscale50``,
``crop20``, ``rot90``, ``crf35``.

Example
-------
>>> from generec.fidelity.distortions import render_source, edit_image
>>> img = render_source({"gradient": [[0, 0, 255], [0, 255, 0]], "angle": 0}, 64)
>>> edit_image(img, {"edit": "hflip"})[0, 0].tolist() == img[0, -1].tolist()
True
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from generec.fidelity import evalset
from generec.fidelity.base import FidelityError


def load_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A held-out spec (JSON), with a clear error if it is missing or malformed."""
    p = Path(path)
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise FidelityError(f"{p}: cannot read the held-out spec ({exc}); pass a JSON file like "
                            "tests/fidelity/heldout/media.json") from exc  # fmt: skip


def _resize(img: np.ndarray, w: int, h: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(img).resize((w, h), Image.BICUBIC))


def render_source(source: dict[str, Any], size: int) -> np.ndarray:
    """A ``size`` x ``size`` RGB image for a case's ``source`` (see the module docstring)."""
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    if "photo" in source:
        y, x, side = source["box"]
        return _resize(evalset.photos()[source["photo"]][y : y + side, x : x + side], size, size)
    if "gradient" in source:
        a, b = (np.array(c, np.float64) for c in source["gradient"])
        ang = np.deg2rad(source.get("angle", 0))
        t = (np.cos(ang) * xx + np.sin(ang) * yy) / (abs(np.cos(ang)) + abs(np.sin(ang)))
        t = (t - t.min()) / max(t.max() - t.min(), 1e-9)
        return np.rint(a + (b - a) * t[..., None]).astype(np.uint8)
    if "shapes" in source:
        rng = np.random.default_rng(source["shapes"])
        pal = [np.array(c, np.uint8) for c in source["palette"]]
        img = np.empty((size, size, 3), np.uint8)
        img[:] = pal[0]
        for k in range(6):
            cy, cx, r = rng.uniform(0.15, 0.85, 2).tolist() + [float(rng.uniform(0.08, 0.22))]
            mask = ((yy - cy) ** 2 + (xx - cx) ** 2 < r * r) if k % 2 else ((abs(yy - cy) < r) & (abs(xx - cx) < r))
            img[mask] = pal[1 + k % (len(pal) - 1)]
        return img
    if "noise" in source:
        return np.random.default_rng(source["noise"]).integers(0, 256, (size, size, 3), dtype=np.uint8)
    if "solid" in source:
        return np.tile(np.array(source["solid"], np.uint8), (size, size, 1))
    if "checker" in source:
        cells = int(source["cells"])
        on = ((np.floor(yy * cells * 0.999) + np.floor(xx * cells * 0.999)) % 2).astype(bool)
        first, second = (np.array(c, np.uint8) for c in source["checker"])
        return np.where(on[..., None], first, second)
    raise FidelityError(f"unknown source {sorted(source)}; see generec.fidelity.distortions")


def _corner_crop(img: np.ndarray, keep: float, corner: str) -> np.ndarray:
    h, w = img.shape[:2]
    ch, cw = int(round(h * keep)), int(round(w * keep))
    y = 0 if corner.startswith("top") else h - ch
    x = 0 if corner.endswith("left") else w - cw
    return img[y : y + ch, x : x + cw]


def _rotate(img: np.ndarray, degrees: float) -> np.ndarray:
    """Rotated about the centre and cropped to the largest square with no empty corners."""
    from PIL import Image

    h, w = img.shape[:2]
    out = np.asarray(Image.fromarray(img).rotate(degrees, resample=Image.BICUBIC))
    a = np.deg2rad(abs(degrees))
    side = int(min(h, w) / (np.cos(a) + np.sin(a)))
    y, x = (h - side) // 2, (w - side) // 2
    return out[y : y + side, x : x + side]


def _overlay(img: np.ndarray, text: str, where: str) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    h, w = img.shape[:2]
    pil = Image.fromarray(img.copy())
    draw = ImageDraw.Draw(pil)
    bar = max(12, h // 6)
    y0 = {"top": 0, "middle": (h - bar) // 2}.get(where, h - bar)
    draw.rectangle([0, y0, w, y0 + bar], fill=(0, 0, 0))
    font = ImageFont.load_default(size=int(bar * 0.7))
    draw.text((4, y0 + bar * 0.1), text, fill=(255, 255, 255), font=font)
    return np.asarray(pil)


def edit_image(img: np.ndarray, edit: dict[str, Any]) -> np.ndarray:
    """``img`` after one copier's edit (see the module docstring)."""
    kind = edit["edit"]
    if kind == "hflip":
        return np.ascontiguousarray(img[:, ::-1])
    if kind == "crop":
        return _corner_crop(img, float(edit.get("keep", 0.9)), edit.get("corner", "top-left"))
    if kind == "rotate":
        return _rotate(img, float(edit["degrees"]))
    if kind == "overlay":
        return _overlay(img, str(edit["text"]), edit.get("where", "bottom"))
    if kind == "recompress":
        h, w = img.shape[:2]
        scale = float(edit.get("scale", 0.5))
        small = _resize(img, max(8, int(w * scale)), max(8, int(h * scale)))
        return evalset.jpeg(small, int(edit.get("quality", 60)))
    if kind == "tone":
        return np.clip(img.astype(np.float32) * float(edit["gain"]), 0, 255).astype(np.uint8)
    raise FidelityError(f"unknown edit {kind!r}; see generec.fidelity.distortions")


# ------------------------------------------------------------------ clips
def clip_frames(case: dict[str, Any]) -> list[np.ndarray]:
    """The frames of a held-out clip: its source at ``size`` px panning ``pan`` px a frame (wrapping)."""
    img = render_source(case["source"], int(case["size"]))
    dy, dx = case.get("pan", [0, 0])
    return [np.roll(img, (i * dy, i * dx), axis=(0, 1)) for i in range(int(case.get("frames", 8)))]


def _frames_of(path: Path) -> list[np.ndarray]:
    from generec.media import iter_frames

    return [f.image for f in iter_frames(path)]


def attack_clip(path: str | os.PathLike[str], attack: str, case: dict[str, Any], dst: str | os.PathLike[str]) -> Path:
    """Write ``path`` after ``attack`` (``downscale50``, ``crop20``, ``rot90``, ``crf35``) to ``dst`` (MP4)."""
    from generec.media import probe, write_video

    frames = _frames_of(Path(path))
    fps = probe(path).fps or 8
    if attack == "crf35":
        return write_video(frames, dst, fps=fps, crf=35)
    if attack == "downscale50":
        h, w = frames[0].shape[:2]
        frames = [_resize(f, w // 2 // 2 * 2, h // 2 // 2 * 2) for f in frames]
    elif attack == "crop20":
        fy, fx = case.get("crop20", [0.1, 0.1])
        h, w = frames[0].shape[:2]
        ch, cw = int(h * 0.8) // 2 * 2, int(w * 0.8) // 2 * 2
        y, x = int(fy * h), int(fx * w)
        frames = [f[y : y + ch, x : x + cw] for f in frames]
    elif attack == "rot90":
        frames = [np.ascontiguousarray(np.rot90(f, int(case.get("rot90", 1)))) for f in frames]
    else:
        raise FidelityError(f"unknown clip attack {attack!r}; use downscale50, crop20, rot90 or crf35")
    return write_video(frames, dst, fps=fps)
