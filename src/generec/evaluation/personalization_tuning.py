"""Choosing the cover prior's settings on a validation split of users, never on the reported ones.

The users of a :class:`~generec.evaluation.personalization.PersonalizationData` are split once
by a seeded permutation; every setting of a small grid is scored on the validation users over a
few draws of K unseen items, and the one with the highest user-side score (Click@K) wins among
those that keep Cosine@K above the un-personalised baseline (Original / Unclipped): a setting
may not buy clicks by giving up the paper's own metric. The reported table then uses only the
other users.

Example
-------
>>> valid, test = split_users(data, 0.3, seed=0)                    # doctest: +SKIP
>>> settings = tune_prior(valid, "thumbnails")                      # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from generec.editor.cover_prior import PriorSettings
from generec.errors import ConfigError, DataError

COVER_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
SIMILARITIES = (0.0, 0.5, 1.0)
MARGINS = (0.0, 0.05, 0.1, 0.2, math.inf)


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


def tune_prior(data, task: str, k: int = 10, runs: int = 3, seed: int = 0, clip_len: int = 8,
               stride: int = 1) -> PriorSettings:  # fmt: skip
    """The grid setting with the best Click@k on ``data``'s users whose Cosine@k beats the baseline's.

    ``task`` is ``"thumbnails"`` (baseline Original) or ``"clipping"`` (baseline Unclipped). When no
    setting beats the baseline on Cosine@k, the paper's plain Eq. 1 / Eq. 2 is returned.
    """
    from generec.editor.batch import batch_clip_prior, batch_select_prior
    from generec.evaluation.personalization import _run, clipping_methods, thumbnail_methods

    if task not in ("thumbnails", "clipping"):
        raise ConfigError(f"task must be 'thumbnails' or 'clipping', got {task!r}")
    k = min(k, min(len(c) for c in data.candidates))
    baseline = "Original" if task == "thumbnails" else "Unclipped"
    prior = data.cover_prior()
    score = {}  # method name -> (Cosine@k, Click@k) per run, on the same draws of items
    best, best_click = PriorSettings.paper(), -math.inf
    for weight, sim in itertools.product(COVER_WEIGHTS, SIMILARITIES):
        base = PriorSettings(cover_weight=weight, similarity=sim)
        guide = prior.guidance(data.t_star, base)
        if task == "thumbnails":
            pick = batch_select_prior(guide, data.frames, prior, base)
        else:
            pick = batch_clip_prior(guide, data.frames, prior, base, clip_len, stride)
        for margin in MARGINS:
            settings = PriorSettings(cover_weight=weight, similarity=sim, margin=margin)
            if task == "thumbnails":
                methods = thumbnail_methods(data, settings, pick)
            else:
                methods = clipping_methods(data, settings, clip_len, stride, pick)
            name = next(m for m in methods if "cover prior" in m)
            wanted = {m: methods[m] for m in (baseline, name) if m not in score or m == name}
            res = _run(data, "tuning", wanted, (k,), runs, seed + 1000, "", like=False, ps=False)
            score.update({m: (res.runs[(m, f"Cosine@{k}")], res.runs[(m, f"Click@{k}")]) for m in wanted})
            cos_gap = float((score[name][0] - score[baseline][0]).mean())
            click = float(score[name][1].mean())
            if cos_gap > 0 and click > best_click:
                best, best_click = settings, click
    return best
