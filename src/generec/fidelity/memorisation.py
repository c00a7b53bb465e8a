"""Memorisation: a created image must not be a near-copy of an image the generator was trained on.

The paper's §3.3 asks created products to be new; a diffusion model can instead
reproduce a training image. :class:`MemorisationIndex` holds the training images and
finds each query's nearest neighbour in two spaces:

- *pixels*: root-mean-square difference in 0..1 intensity, the least over the query
  moved by a pixel each way and mirrored (:func:`variants`): catches exact, noisy,
  shifted and flipped copies;
- *features*: cosine distance of an embedding (e.g. the fashion classifier's feature
  layer; catches re-lit copies that pixels miss).

The thresholds are not guessed: :meth:`MemorisationIndex.calibrate` sets each one at
a low quantile (default 1 %) of the nearest-neighbour distances of *held-out real*
images, which are new by construction. A query closer to a training image than
99 % of genuinely new real images are, in either space, is flagged.

Example
-------
>>> rng = np.random.default_rng(0)
>>> train = rng.integers(0, 255, (50, 8, 8), dtype=np.uint8)
>>> index = MemorisationIndex(train).calibrate(rng.integers(0, 255, (20, 8, 8), dtype=np.uint8))
>>> bool(index.flags(train[:3]).all()), bool(index.flags(rng.integers(0, 255, (3, 8, 8), dtype=np.uint8)).any())
(True, False)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from generec.fidelity.base import Subject, not_applicable, register_check, verdict
from generec.types import Verdict

Embed = Callable[[np.ndarray], np.ndarray]


def _gray(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images, dtype=np.float32)
    return x.mean(axis=-1) if x.ndim == 4 else x


def variants(gray: np.ndarray) -> list[np.ndarray]:
    """A grayscale batch ``[n, H, W]`` as given, shifted by one pixel each way, and mirrored.

    A copy moved by a pixel or flipped is still a copy; comparing every variant makes the
    pixel distance blind to those cheap disguises (held-out real images get the same treatment,
    so the thresholds stay honest).
    """
    shifts = [np.roll(gray, d, axis=a) for a in (1, 2) for d in (-1, 1)]
    return [gray, *shifts, gray[:, :, ::-1]]


class MemorisationIndex:
    """Training images ``[n, H, W]`` (or ``[n, H, W, 3]``) uint8 and, optionally, an ``embed`` function.

    ``prepare`` turns one query image into the training images' shape (default: as given).
    """

    def __init__(
        self,
        train: np.ndarray,
        embed: Embed | None = None,
        prepare: Callable[[np.ndarray], np.ndarray] | None = None,
        batch: int = 256,
    ) -> None:
        gray = _gray(train)
        self.shape = gray.shape[1:]
        self.pixels = gray.reshape(len(gray), -1) / 255.0
        self._sq = (self.pixels**2).sum(axis=1)
        self.embed = embed
        self.features = embed(np.asarray(train)) if embed is not None else None
        self.prepare = prepare
        self.batch = batch
        self.thresholds: dict[str, float] = {}
        self.held_out: dict[str, np.ndarray] = {}
        """Per space, the held-out real images' nearest-neighbour distances, sorted (set by :meth:`calibrate`)."""

    def _queries(self, images: np.ndarray) -> np.ndarray:
        if self.prepare is not None:
            images = np.stack([self.prepare(im) for im in images])
        return np.asarray(images)

    def nearest(self, images: np.ndarray) -> dict[str, np.ndarray]:
        """Per image: ``pixel`` RMS distance and ``pixel_index`` of the nearest training image; with ``embed``,
        ``feature`` cosine distance and ``feature_index``."""
        q = self._queries(images)
        out: dict[str, list[np.ndarray]] = {"pixel": [], "pixel_index": [], "feature": [], "feature_index": []}
        qf = self.embed(q) if self.embed is not None else None
        moved = [v.reshape(len(q), -1) / 255.0 for v in variants(_gray(q))]
        for s in range(0, len(q), self.batch):
            d2 = np.full((len(moved[0][s : s + self.batch]), len(self.pixels)), np.inf, dtype=np.float32)
            for v in moved:
                g = v[s : s + self.batch]
                d2 = np.minimum(d2, (g**2).sum(axis=1)[:, None] + self._sq[None] - 2.0 * g @ self.pixels.T)
            k = d2.argmin(axis=1)
            out["pixel"].append(np.sqrt(np.maximum(d2[np.arange(len(k)), k], 0.0) / self.pixels.shape[1]))
            out["pixel_index"].append(k)
            if qf is not None and self.features is not None:
                sim = qf[s : s + self.batch] @ self.features.T
                j = sim.argmax(axis=1)
                out["feature"].append(1.0 - sim[np.arange(len(j)), j])
                out["feature_index"].append(j)
        return {k: np.concatenate(v) for k, v in out.items() if v}

    def calibrate(self, held_out: np.ndarray, quantile: float = 0.01) -> MemorisationIndex:
        """Set thresholds at ``quantile`` of held-out real images' nearest-neighbour distances; returns self."""
        near = self.nearest(held_out)
        self.held_out = {k: np.sort(near[k]) for k in ("pixel", "feature") if k in near}
        self.thresholds = {k: float(np.quantile(d, quantile)) for k, d in self.held_out.items()}
        return self

    def novelty(self, images: np.ndarray, within: float = 0.1) -> np.ndarray:
        """``[n]`` in [0, 1]: how far each image stands from the training images, next to new real images.

        In each space, the share of the held-out real images that lie nearer to a training image than
        this one does, divided by ``within`` and capped at 1; the lower of the spaces. 1: no more
        typical of the training set than the ``1 - within`` of new real images that lie farthest from
        it; towards 0: as close as the nearest new real images come (a flagged near-copy lies below the
        calibration quantile). Among candidates that all pass :meth:`flags`, the one of higher novelty
        is the one a stricter check would flag last.
        """
        return self.screen(images, within)[1]

    def flags(self, images: np.ndarray) -> np.ndarray:
        """``[n]`` bool: which images are near-copies of a training image (closer than a threshold in any space)."""
        return self.screen(images)[0]

    def screen(self, images: np.ndarray, within: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`flags` and :meth:`novelty` of ``images`` from one nearest-neighbour search."""
        if not self.thresholds:
            raise ValueError("the memorisation index is not calibrated; call calibrate(held_out_real_images)")
        if not 0 < within <= 1:
            raise ValueError(f"within must lie in (0, 1], got {within}")
        near = self.nearest(images)
        hit = np.zeros(len(images), dtype=bool)
        for space, t in self.thresholds.items():
            hit |= near[space] < t
        share = [np.searchsorted(held, near[space]) / len(held) for space, held in self.held_out.items()]
        return hit, np.minimum(np.min(share, axis=0) / within, 1.0)


@register_check("memorisation")
class MemorisationCheck:
    """Fails an image item whose image is a near-copy of a training image of the generator that made it."""

    name = "memorisation"

    def __init__(self, index: MemorisationIndex | None = None) -> None:
        self.index = index

    def check(self, subject: Subject) -> Verdict:
        if self.index is None or not self.index.thresholds:
            return not_applicable(self.name, subject, "no calibrated index of the generator's training images")
        if not subject.frames:
            return not_applicable(self.name, subject, "no image to compare")
        image = np.asarray(subject.frames[0])
        near = self.index.nearest(image[None])
        details: dict[str, Any] = {"thresholds": self.index.thresholds}
        copied = []
        for space, t in self.index.thresholds.items():
            d, k = float(near[space][0]), int(near[f"{space}_index"][0])
            details[space] = {"distance": round(d, 5), "nearest": k}
            if d < t:
                copied.append(f"{space} distance {d:.4f} to training image {k} < {t:.4f}")
        if copied:
            return verdict(
                self.name, subject, False, 0.0, "near-copy of a training image: " + "; ".join(copied), **details
            )
        return verdict(self.name, subject, True, 1.0, "no training image is this close", **details)
