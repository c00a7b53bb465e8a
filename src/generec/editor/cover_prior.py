"""A prior toward the uploader's cover for personalized selection and clipping (beyond Eq. 1-2).

Eq. 1 replaces every uploader's cover by the frame closest to ``t*``, the mean feature of the
user's liked thumbnails. But a *deliberate* cover is itself information: the uploader chose it
for the audience at large, knowing the video, while ``t*`` is a noisy average of a dozen covers
that mostly encodes what everybody likes (the covers were chosen for everybody) plus encoder
noise. Overriding a deliberate choice with that estimate loses more often than it wins.
A *default* cover (the first frame, nobody chose it) carries no such information.

:class:`CoverPrior` learns two things from the catalogue alone (no user, no label):

- which covers are defaults: the cover looks like the video's first frame at least as much as
  like any other frame (within ``default_tolerance`` in cosine);
- a *cover-worthiness* direction: the mean of ``f(deliberate cover) - mean f(frames of its
  video)``, i.e. what uploaders pick for a cover when they do pick.

:class:`PriorSettings` then scores frame (or clip) ``x`` for user ``u`` as
``(t*_u / |t*_u| + cover_weight * p) . x + similarity * (f(cover) . x)`` and keeps a deliberate
cover unless the best frame beats the cover's frame by more than ``margin``; a default cover is
replaced whenever another frame scores higher. ``cover_weight = similarity = 0`` and
``margin = -inf`` give back Eq. 1 exactly.

Example
-------
>>> import numpy as np
>>> from generec.editor.batch import PackedFrames
>>> frames = PackedFrames.pack([np.eye(3, dtype=np.float32), np.eye(3, dtype=np.float32)[::-1]])
>>> prior = CoverPrior().fit(np.eye(3, dtype=np.float32)[[0, 1]], frames)
>>> prior.default_.tolist(), prior.cover_frame_.tolist()     # item 0's cover is its first frame
([True, False], [0, 1])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from generec.encoders import l2_normalize
from generec.errors import ConfigError, ModelError


@dataclass(frozen=True)
class PriorSettings:
    """How much the uploader's cover counts (see the module docstring).

    Parameters
    ----------
    cover_weight : weight of the learnt cover-worthiness direction added to the unit ``t*``.
    similarity : weight of the similarity to the item's own cover (a soft pull toward it).
    margin : a deliberate cover is kept unless the best candidate beats it by more than this
        (``inf``: always keep it; ``-inf``: never, as Eq. 1). Default covers use ``min(margin, 0)``.

    Example
    -------
    >>> PriorSettings.paper().margin
    -inf
    """

    # Defaults: what validation users of the demo world chose for both tasks (personalise default
    # covers only); `generec reproduce thumbnails/clipping` re-chooses them on each world.
    cover_weight: float = 2.0
    similarity: float = 0.0
    margin: float = math.inf

    def __post_init__(self) -> None:
        for name in ("cover_weight", "similarity"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"{name} must be a finite number >= 0, got {value}")
        if math.isnan(self.margin):
            raise ConfigError("margin must be a number (inf keeps every deliberate cover), got nan")

    @classmethod
    def paper(cls) -> PriorSettings:
        """No prior at all: plain Eq. 1 / Eq. 2."""
        return cls(cover_weight=0.0, similarity=0.0, margin=-math.inf)

    def describe(self) -> str:
        return f"cover_weight={self.cover_weight:g}, similarity={self.similarity:g}, margin={self.margin:g}"


class CoverPrior:
    """Default-cover detection and the cover-worthiness direction, fitted on a catalogue.

    Parameters
    ----------
    default_tolerance : a cover is a default when its cosine with the first frame is within
        this of its best cosine with any frame (decoded video frames differ a little from the
        cover image, so equality would be too strict).

    Example
    -------
    >>> prior = CoverPrior().fit(cover_features, packed_frames)             # doctest: +SKIP
    >>> guides = prior.guidance(t_star, PriorSettings(cover_weight=1.0))    # doctest: +SKIP
    """

    def __init__(self, default_tolerance: float = 0.002) -> None:
        if not default_tolerance >= 0:
            raise ConfigError(f"default_tolerance must be >= 0, got {default_tolerance}")
        self.default_tolerance = default_tolerance

    def fit(self, covers: np.ndarray, frames) -> CoverPrior:  # frames: generec.editor.batch.PackedFrames
        """Learn from ``covers [I, d]`` (unit cover features) and the items' frame features."""
        c = np.asarray(covers, dtype=np.float32)
        if c.ndim != 2 or len(c) != frames.n_items or c.shape[1] != frames.features.shape[2]:
            raise ModelError(
                f"covers must be [{frames.n_items}, {frames.features.shape[2]}] (one per item), got {list(c.shape)}"
            )
        valid = np.arange(frames.t_max)[None, :] < frames.lengths[:, None]
        sims = np.where(valid, np.einsum("itd,id->it", frames.features, c), -np.inf)
        self.cover_frame_ = sims.argmax(axis=1).astype(np.int64)
        self.default_ = sims[:, 0] >= sims.max(axis=1) - self.default_tolerance
        self.covers_ = c
        means = frames.features.sum(axis=1) / frames.lengths[:, None]
        chosen = ~self.default_
        # With no deliberate cover in the catalogue there is nothing to learn: a zero direction.
        lift = (c[chosen] - means[chosen]).mean(axis=0) if chosen.any() else np.zeros(c.shape[1], np.float32)
        norm = float(np.linalg.norm(lift))
        self.direction_ = (lift / norm if norm > 0 else lift).astype(np.float32)
        return self

    def _check(self) -> None:
        if not hasattr(self, "direction_"):
            raise ModelError("CoverPrior is not fitted: call fit(covers, frames) first")

    def guidance(self, t_star: np.ndarray, settings: PriorSettings) -> np.ndarray:
        """Per-user scoring vectors ``[U, d]``: unit ``t*`` plus ``cover_weight`` times the direction."""
        self._check()
        t = np.atleast_2d(np.asarray(t_star, dtype=np.float32))
        return l2_normalize(t) + settings.cover_weight * self.direction_[None, :]

    def margins(self, settings: PriorSettings) -> np.ndarray:
        """Per-item margin ``[I]``: ``settings.margin`` for deliberate covers, at most 0 for defaults."""
        self._check()
        return np.where(self.default_, min(settings.margin, 0.0), settings.margin)
