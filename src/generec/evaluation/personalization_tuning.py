"""Choosing the cover prior's settings on a validation split of users, never on the reported ones.

The users of a :class:`~generec.evaluation.personalization.PersonalizationData` are split once
by a seeded permutation; every setting of a small grid is scored on the validation users over a
few draws of K unseen items, and the one with the highest user-side score (Click@K) wins among
those that keep Cosine@K above the un-personalised baseline (Original / Unclipped): a setting
may not buy clicks by giving up the paper's own metric.

"Above" must survive the move from validation to evaluation users, so it is a *safety floor*,
not a bare ``gap > 0``: the per-user paired gap ``Cosine@K(setting) - Cosine@K(baseline)`` must
have a one-sided lower confidence bound above zero, ``mean - z * sd / sqrt(n) > 0``, with ``z``
Bonferroni-corrected for the number of settings tried (``z = Phi^-1(1 - alpha / settings)``,
3.14 for 60 settings at ``alpha = 0.05``). Picking the best Click@K among many settings favours
the ones whose Cosine@K gap is thinnest, so an uncorrected test passes settings that only
looked above the baseline on the validation users by chance. When no setting clears the floor,
the paper's plain Eq. 1 / Eq. 2 is used. The reported table then uses only the other users.

Clipping has two Eq. 2 variants (``similarity="dot"``, the paper's, and ``"cosine"``); each gets its
own prior, tuned the same way on the same validation users (:func:`resolve_priors`).

Example
-------
>>> valid, test = split_users(data, 0.3, seed=0)                    # doctest: +SKIP
>>> choice = tune_prior(valid, "thumbnails")                        # doctest: +SKIP
>>> choice.settings, choice.floor_z                                 # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from generec.editor.clipping import check_similarity
from generec.editor.cover_prior import PriorSettings
from generec.errors import ConfigError, DataError

COVER_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
SIMILARITIES = (0.0, 0.5, 1.0)
MARGINS = (0.0, 0.05, 0.1, 0.2, math.inf)


@dataclass(frozen=True)
class PriorChoice:
    """The chosen settings and the evidence: validation Cosine@K gap, its lower bound and Click@K.

    ``settings`` is :meth:`PriorSettings.paper` (and ``gap``/``bound`` refer to it) when no grid
    setting cleared the floor.
    """

    settings: PriorSettings
    gap: float  # mean per-user Cosine@K gap to the baseline on the validation users
    bound: float  # gap - floor_z * standard error
    click: float  # mean Click@K of the setting on the validation users
    floor_z: float
    n_settings: int

    def describe(self) -> str:
        if math.isnan(self.gap):
            return (f"{self.settings.describe()}: no grid setting's Cosine gap cleared the floor z={self.floor_z:.2f} "
                    f"(Bonferroni over {self.n_settings} settings)")  # fmt: skip
        return (f"{self.settings.describe()}; validation Cosine gap {self.gap:+.4f}, lower bound {self.bound:+.4f} "
                f"at z={self.floor_z:.2f} (Bonferroni over {self.n_settings} settings)")  # fmt: skip


def split_users(data, valid_fraction: float, seed: int):
    """``(validation, evaluation)`` subsets of the evaluated users, by a seeded permutation."""
    if not 0 < valid_fraction < 1:
        raise ConfigError(f"valid_fraction must be strictly between 0 and 1, got {valid_fraction}")
    n = len(data.users)
    n_valid = int(round(valid_fraction * n))
    if n_valid < 1 or n - n_valid < 1:
        raise DataError(f"{n} users cannot be split into validation and evaluation users; build a larger world")
    order = np.random.default_rng([seed, 7]).permutation(n)
    return data.subset(np.sort(order[:n_valid])), data.subset(np.sort(order[n_valid:]))


def floor_z(n_settings: int, alpha: float = 0.05) -> float:
    """One-sided ``z`` of the safety floor: family-wise level ``alpha`` over ``n_settings`` tried.

    Example
    -------
    >>> round(floor_z(60), 2)
    3.14
    """
    if not 0 < alpha < 1 or n_settings < 1:
        raise ConfigError(f"need 0 < alpha < 1 and at least one setting, got alpha={alpha}, {n_settings} settings")
    return NormalDist().inv_cdf(1 - alpha / n_settings)


def per_user_scores(data, show, k: int, runs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-user Cosine@k and Click@k ``([U], [U])`` of one method, averaged over ``runs`` draws of k items.

    The draws are those of :func:`~generec.evaluation.personalization._run` for the same seed.
    """
    from generec.evaluation.personalization import cosine_at_k, user_side_scores

    sim = data.simulator()
    cos, click = np.zeros(len(data.users)), np.zeros(len(data.users))
    for r in range(runs):
        rng = np.random.default_rng([seed, r])
        items = np.stack([rng.choice(c, size=k, replace=False) for c in data.candidates])
        feats, start, length, _ = show(np.random.default_rng([seed, r, 1]), items)
        clicked, _ = user_side_scores(sim, data.user_ids, data.attrs, data.fps, items, start, length)
        cos += cosine_at_k(feats, data.t_star) / runs
        click += clicked.mean(axis=1) / runs
    return cos, click


def _grid_methods(data, task: str, clip_len: int, stride: int, similarity: str):
    """Yield ``(settings, methods)`` for every grid setting (one prior pick per weight and similarity)."""
    from generec.editor.batch import batch_clip_prior, batch_select_prior
    from generec.evaluation.personalization import clipping_methods, thumbnail_methods

    prior = data.cover_prior()
    for weight, sim in itertools.product(COVER_WEIGHTS, SIMILARITIES):
        base = PriorSettings(cover_weight=weight, similarity=sim)
        guide = prior.guidance(data.t_star, base)
        if task == "thumbnails":
            pick = batch_select_prior(guide, data.frames, prior, base)
        else:
            pick = batch_clip_prior(guide, data.frames, prior, base, clip_len, stride, similarity=similarity)
        for margin in MARGINS:
            settings = PriorSettings(cover_weight=weight, similarity=sim, margin=margin)
            if task == "thumbnails":
                methods = thumbnail_methods(data, settings, pick)
            elif similarity == "cosine":  # the dot row's prior is never shown here, so never computed
                methods = clipping_methods(data, settings, clip_len, stride, cosine_settings=settings, cosine_pick=pick)
            else:
                methods = clipping_methods(data, settings, clip_len, stride, pick)
            yield settings, methods


def _tuned_method(task: str, similarity: str) -> str:
    """Name of the row whose prior is tuned: Eq. 1, Eq. 2 or Eq. 2 (cosine) with the cover prior."""
    from generec.evaluation.personalization import EQ1_PRIOR, EQ2_COS_PRIOR, EQ2_PRIOR

    if task not in ("thumbnails", "clipping"):
        raise ConfigError(f"task must be 'thumbnails' or 'clipping', got {task!r}")
    check_similarity(similarity)
    if task == "thumbnails":
        if similarity != "dot":  # a frame is one unit feature: cosine and dot pick the same frame
            raise ConfigError("thumbnails are scored by the dot product only; similarity='cosine' is for clipping")
        return EQ1_PRIOR
    return EQ2_COS_PRIOR if similarity == "cosine" else EQ2_PRIOR


def tune_prior(data, task: str, k: int = 10, runs: int = 3, seed: int = 0, clip_len: int = 8,
               stride: int = 1, alpha: float = 0.05, similarity: str = "dot") -> PriorChoice:  # fmt: skip
    """The grid setting with the best Click@k on ``data``'s users whose Cosine@k gap clears the floor.

    ``task`` is ``"thumbnails"`` (baseline Original) or ``"clipping"`` (baseline Unclipped); for
    clipping, ``similarity`` picks the Eq. 2 variant (``"dot"``, the paper's, or ``"cosine"``). When no
    setting clears the safety floor (module docstring), the paper's plain Eq. 1 / Eq. 2 is returned.
    Items are drawn with ``seed + 1000``: the reported runs (``seed``) use other draws.
    """
    tuned = _tuned_method(task, similarity)
    k = min(k, min(len(c) for c in data.candidates))
    n_settings = len(COVER_WEIGHTS) * len(SIMILARITIES) * len(MARGINS)
    z = floor_z(n_settings, alpha)
    baseline = "Original" if task == "thumbnails" else "Unclipped"
    base_cos, best = None, None
    for settings, methods in _grid_methods(data, task, clip_len, stride, similarity):
        if base_cos is None:  # the baseline does not depend on the settings: score it once
            base_cos, _ = per_user_scores(data, methods[baseline], k, runs, seed + 1000)
        cos, click = per_user_scores(data, methods[tuned], k, runs, seed + 1000)
        gap = cos - base_cos
        se = float(gap.std(ddof=1) / math.sqrt(len(gap))) if len(gap) > 1 else math.inf
        choice = PriorChoice(settings, float(gap.mean()), float(gap.mean()) - z * se, float(click.mean()), z,
                             n_settings)  # fmt: skip
        if choice.bound > 0 and (best is None or choice.click > best.click):
            best = choice
    if best is None:
        return PriorChoice(PriorSettings.paper(), math.nan, math.nan, math.nan, z, n_settings)
    return best


def resolve_priors(data, prior: PriorSettings | None, valid_fraction: float, seed: int, task: str,
                   clip_len: int = 8, stride: int = 1) -> tuple[object, dict[str, PriorSettings], str]:  # fmt: skip
    """``(reported data, {similarity: settings}, note)``: given settings, or settings tuned on validation users.

    Thumbnails get ``{"dot": ...}``; clipping gets ``"dot"`` and ``"cosine"`` (one prior per Eq. 2
    variant). With ``prior=None`` the users are split once; the reported data are the other users.
    """
    variants = ("dot",) if task == "thumbnails" else ("dot", "cosine")
    if prior is not None:
        return data, dict.fromkeys(variants, prior), f"; cover prior given ({prior.describe()})"
    valid, test = split_users(data, valid_fraction, seed)
    chosen = {v: tune_prior(valid, task, seed=seed, clip_len=clip_len, stride=stride, similarity=v) for v in variants}
    if task == "thumbnails":
        which = f"cover prior ({chosen['dot'].describe()})"
    else:
        which = f"cover priors (Eq. 2: {chosen['dot'].describe()}; Eq. 2, cosine: {chosen['cosine'].describe()})"
    return test, {v: c.settings for v, c in chosen.items()}, (
        f"; {which} chosen on {len(valid.users)} validation users "
        f"(best Click@10 whose Cosine@10 gap to the baseline clears the floor), reported on the other "
        f"{len(test.users)}"
    )  # fmt: skip
