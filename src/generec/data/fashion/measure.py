"""The attribute vocabulary of the fashion domain, and attributes measured from a product photo's pixels.

Fashion-MNIST gives each photo only its category. Two more attributes are measured
from the pixels, so user taste and instructions have something beyond the category
to be about (the paper's §3.3 asks for "colour accuracy ... style consistency" in
fashion; in grayscale, brightness and surface texture are what is left):

- ``brightness``: mean intensity of the garment's pixels (those above
  :data:`GARMENT_LEVEL`), in thirds: ``dark`` / ``medium`` / ``light``;
- ``texture``: mean absolute difference between neighbouring garment pixels (edges of
  prints, stripes, laces, folds), in thirds: ``plain`` / ``textured`` / ``patterned``.

The cut points are the terciles of the 60,000 training photos, measured once with
:func:`measure` and fixed here so that a world, a classifier and a created image
are all read with the same rule.

Example
-------
>>> import numpy as np
>>> img = np.zeros((28, 28), np.uint8); img[4:24, 8:20] = 240
>>> describe(img)
{'brightness': 'light', 'texture': 'plain'}
"""

from __future__ import annotations

import numpy as np

from generec.data.fashion.source import CATEGORIES

VERSION = 1
"""Bump when values, their order or the cut points change: saved fashion worlds depend on them."""
BRIGHTNESS = ("dark", "medium", "light")
TEXTURE = ("plain", "textured", "patterned")
VOCAB: dict[str, tuple[str, ...]] = {"category": CATEGORIES, "brightness": BRIGHTNESS, "texture": TEXTURE}
"""Attribute name -> its values, in feature order (the fashion counterpart of GeneRec-Sim's vocabulary)."""
FEATURES: tuple[str, ...] = tuple(f"{a}={v}" for a, values in VOCAB.items() for v in values)
IMPORTANCE = {"category": 1.6, "brightness": 0.9, "texture": 0.9}
"""How much each attribute matters to a typical simulated shopper (what a product is matters most)."""
GARMENT_LEVEL = 0.05
"""Pixels brighter than this (0..1) belong to the product; Fashion-MNIST's background is 0."""
BRIGHTNESS_CUTS = (0.547, 0.709)
TEXTURE_CUTS = (0.190, 0.259)


def measure(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Brightness and texture ``[n]`` (float64) of grayscale images ``[n, H, W]`` (uint8 or 0..1 floats)."""
    x = np.asarray(images, dtype=np.float64)
    if np.asarray(images).dtype == np.uint8:
        x = x / 255.0
    x = x.reshape((-1, *x.shape[-2:]))
    mask = x > GARMENT_LEVEL
    brightness = (x * mask).sum((1, 2)) / np.maximum(mask.sum((1, 2)), 1)
    gx = np.abs(np.diff(x, axis=2))[:, :-1, :]
    gy = np.abs(np.diff(x, axis=1))[:, :, :-1]
    inner = mask[:, 1:, 1:] & mask[:, :-1, 1:] & mask[:, 1:, :-1]
    texture = ((gx + gy) * inner).sum((1, 2)) / np.maximum(inner.sum((1, 2)), 1)
    return brightness, texture


def levels(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Brightness and texture value indices ``[n]`` (into :data:`BRIGHTNESS` and :data:`TEXTURE`)."""
    brightness, texture = measure(images)
    return np.digitize(brightness, BRIGHTNESS_CUTS), np.digitize(texture, TEXTURE_CUTS)


def describe(image: np.ndarray) -> dict[str, str]:
    """The measured attributes of one grayscale image ``[H, W]``, as vocabulary values."""
    b, t = levels(image[None])
    return {"brightness": BRIGHTNESS[int(b[0])], "texture": TEXTURE[int(t[0])]}


def features(category: np.ndarray, brightness: np.ndarray, texture: np.ndarray) -> np.ndarray:
    """One-hot feature vectors ``[n, len(FEATURES)]`` float32 from value indices per attribute."""
    n = len(category)
    out = np.zeros((n, len(FEATURES)), dtype=np.float32)
    offsets = np.cumsum([0, *(len(v) for v in VOCAB.values())])[:-1]
    for offset, idx in zip(offsets, (category, brightness, texture), strict=True):
        out[np.arange(n), offset + np.asarray(idx, dtype=np.int64)] = 1.0
    return out
