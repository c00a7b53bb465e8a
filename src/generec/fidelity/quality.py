"""Quality (black, frozen and flickering frames, resolution, blur) and relevance (item vs guidance cosine).

Blur is the variance of the Laplacian of the grey frame (low = few edges); black is mean
luma under 16 with little texture; frozen is a consecutive-frame mean absolute difference
under 0.5 grey levels; flicker is a luma jump over 25 levels that reverses on the next frame.

Example
-------
>>> import numpy as np
>>> from generec.types import Item
>>> from generec.fidelity.base import Subject
>>> from generec.fidelity.quality import QualityCheck
>>> black = [np.zeros((64, 64, 3), np.uint8)] * 4
>>> QualityCheck().check(Subject(Item(id="a"), frames=black)).passed
False
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from generec.fidelity.base import Subject, not_applicable, register_check, verdict
from generec.types import Verdict


def _grey(frame: np.ndarray) -> np.ndarray:
    f = np.asarray(frame, np.float32)
    return f[..., 0] * 0.299 + f[..., 1] * 0.587 + f[..., 2] * 0.114


def sharpness(frame: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of the grey frame."""
    g = _grey(frame)
    lap = -4 * g[1:-1, 1:-1] + g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:]
    return float(lap.var())


def frame_stats(frames: Sequence[np.ndarray]) -> dict[str, object]:
    """Per-video statistics the quality check judges."""
    greys = [_grey(f) for f in frames]
    means = np.array([g.mean() for g in greys])
    black = [i for i, g in enumerate(greys) if g.mean() < 16 and g.std() < 8]
    diffs = np.array([np.abs(a - b).mean() for a, b in zip(greys, greys[1:], strict=False)])
    steps = np.diff(means)
    flicker = [i + 1 for i in range(len(steps) - 1) if abs(steps[i]) > 25 and abs(steps[i + 1]) > 25
               and np.sign(steps[i]) != np.sign(steps[i + 1])]  # fmt: skip
    return {
        "black": black,
        "frozen_fraction": float((diffs < 0.5).mean()) if len(diffs) else 0.0,
        "flicker": flicker,
        "sharpness": float(np.median([sharpness(f) for f in frames])),
    }


def _as_made(frames: list[np.ndarray], subject: Subject) -> list[np.ndarray]:
    """The frames at the size the model made them (provenance ``native_size``), when shown upscaled.

    A generator works at its own size and the runner upscales for display; the upscale adds no
    detail, so resolution and blur are judged on what the model made.
    """
    params = subject.provenance.params if subject.provenance is not None else {}
    native = int(params.get("native_size") or 0)
    if not frames or native <= 0 or native >= min(frames[0].shape[:2]):
        return frames
    from PIL import Image

    return [np.asarray(Image.fromarray(f).resize((native, native), Image.BOX)) for f in frames]


@register_check("quality")
class QualityCheck:
    """Fail media that is mostly black, frozen, flickering, too small or blurred.

    Parameters
    ----------
    min_side : smallest allowed frame side in pixels.
    min_sharpness : smallest median Laplacian variance (a flat or heavily blurred frame is ~0-20).
    max_black, max_frozen, max_flicker : allowed fractions of black frames, frozen transitions,
        and flicker events per transition.
    """

    name = "quality"

    def __init__(self, min_side: int = 32, min_sharpness: float = 20.0, max_black: float = 0.2,
                 max_frozen: float = 0.9, max_flicker: float = 0.1) -> None:  # fmt: skip
        self.min_side = min_side
        self.min_sharpness = min_sharpness
        self.max_black = max_black
        self.max_frozen = max_frozen
        self.max_flicker = max_flicker

    def check(self, subject: Subject) -> Verdict:
        frames = _as_made(list(subject.frames or []), subject)
        if not frames:
            return not_applicable(self.name, subject, "no frames")
        h, w = frames[0].shape[:2]
        st = frame_stats(frames)
        n, problems = len(frames), []
        if min(h, w) < self.min_side:
            problems.append(f"resolution {w}x{h} below {self.min_side} px")
        if len(st["black"]) / n > self.max_black:
            problems.append(f"{len(st['black'])} of {n} frames black")
        if n > 2 and st["frozen_fraction"] > self.max_frozen:
            problems.append(f"frozen: {st['frozen_fraction']:.0%} of transitions unchanged")
        if n > 2 and len(st["flicker"]) / (n - 1) > self.max_flicker:
            problems.append(f"flicker at frames {st['flicker'][:10]}")
        if st["sharpness"] < self.min_sharpness:
            problems.append(f"blurred: Laplacian variance {st['sharpness']:.1f} < {self.min_sharpness}")
        score = 1.0 - len(problems) / 5
        ok_text = f"{n} frame(s) {w}x{h}, sharpness {st['sharpness']:.0f}, no black/frozen/flicker problems"
        return verdict(self.name, subject, not problems, score, "; ".join(problems) or ok_text, **st)


@register_check("relevance")
class RelevanceCheck:
    """Cosine between the item's features and the guidance vector it was generated for, against a floor."""

    name = "relevance"

    def __init__(self, min_cosine: float = 0.2) -> None:
        self.min_cosine = min_cosine

    def check(self, subject: Subject) -> Verdict:
        if subject.features is None or subject.guidance is None:
            return not_applicable(self.name, subject, "no item features or guidance vector")
        a = np.asarray(subject.features, np.float64).ravel()
        b = np.asarray(subject.guidance, np.float64).ravel()
        if a.shape != b.shape:
            return verdict(self.name, subject, False, 0.0,
                           f"features ({a.size}-d) and guidance ({b.size}-d) are in different spaces")  # fmt: skip
        denom = np.linalg.norm(a) * np.linalg.norm(b)
        cos = float(a @ b / denom) if denom > 0 else 0.0
        ok = cos >= self.min_cosine
        text = f"cosine to guidance {cos:.3f} ({'>=' if ok else '<'} {self.min_cosine})"
        return verdict(self.name, subject, ok, (cos + 1) / 2, text, cosine=cos)
