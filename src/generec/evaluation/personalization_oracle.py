"""Ground-truth oracles of Tables 1-2: the frame / clip the world's simulator says each user likes best.

They read the users' hidden weights (never available to a real system), so they bound what any
selection rule can reach on the user-side scores. ``data`` is a
:class:`~generec.evaluation.personalization.PersonalizationData`.

Example
-------
>>> w, tau = true_weights(data)                                      # doctest: +SKIP
>>> util = frame_utility(data, w, items, 0)                          # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np


def true_weights(data) -> tuple[np.ndarray, float]:
    """The evaluated users' hidden weights ``[U, F]`` and the soft-max temperature (oracles only)."""
    sim = data.simulator()
    return sim.weights[sim.user_index(data.user_ids)], sim.model.temperature


def frame_utility(data, w: np.ndarray, items: np.ndarray, k: int) -> np.ndarray:
    """Ground-truth utility ``[U, T]`` of every frame of item ``items[:, k]`` for each user (-inf past its end)."""
    col = items[:, k]
    util = np.einsum("uf,utf->ut", w, data.attrs.features[col], dtype=np.float64)
    return np.where(np.arange(util.shape[1])[None] < data.attrs.lengths[col][:, None], util, -np.inf)


def oracle_clip(data, truth: tuple[np.ndarray, float], items: np.ndarray,
                starts: np.ndarray, valid: np.ndarray, win: np.ndarray) -> np.ndarray:  # fmt: skip
    """Start of the clip with the highest ground-truth utility (the simulator's soft-max over its frames)."""
    w, tau = truth
    out = np.empty(items.shape, dtype=np.int64)
    for j in range(items.shape[1]):
        u = frame_utility(data, w, items, j)
        top = np.max(u, axis=1, keepdims=True)
        cs = np.concatenate([np.zeros((len(u), 1)), np.cumsum(np.exp((u - top) / tau), axis=1)], axis=1)
        n = win[items[:, j]][:, None]
        ends = np.minimum(starts[None, :] + n, cs.shape[1] - 1)
        score = np.take_along_axis(cs, ends, 1) - cs[:, starts]
        out[:, j] = starts[np.where(valid[items[:, j]], score, -np.inf).argmax(axis=1)]
    return out
