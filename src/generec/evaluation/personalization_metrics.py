"""The metrics of Tables 1-2: Cosine@K, PS@K (MMGCN) and the simulator's Click/Like (user side).

See :mod:`generec.evaluation.personalization` for the protocol these serve.

Example
-------
>>> import numpy as np
>>> shown = np.eye(2, dtype=np.float32)[None]             # one user, K=2 shown features
>>> float(cosine_at_k(shown, np.asarray([[1.0, 0.0]]))[0])  # mean of cos 1 and cos 0
0.5
"""

from __future__ import annotations

import numpy as np
import torch

from generec.editor.batch import PackedFrames
from generec.encoders import l2_normalize
from generec.errors import DataError

__all__ = ["cosine_at_k", "ps_scores", "user_side_scores"]


def cosine_at_k(shown: np.ndarray, t_star: np.ndarray) -> np.ndarray:
    """Per-user Cosine@K: mean over the K shown features ``[U, K, d]`` of their cosine with each liked thumbnail.

    ``t_star [U, d]`` is the (unnormalised) mean of the user's unit liked-thumbnail features, so
    ``cos(x, mean) `` summed this way equals the mean of the pairwise cosines.
    """
    return np.einsum("ukd,ud->u", l2_normalize(shown), t_star) / shown.shape[1]


def ps_scores(model, users: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Per-user PS@K: mean prediction score of the model for items with visual features ``shown [U, K, d]``."""
    n_u, k, d = shown.shape
    with torch.no_grad():
        items = model.item_embeddings_from_features({"visual": l2_normalize(shown.reshape(-1, d))})
        u = model.user_emb_[torch.as_tensor(users)]
        return (items.view(n_u, k, -1) * u[:, None, :]).sum(-1).mean(-1).numpy()


def user_side_scores(
    sim, user_ids: np.ndarray, attrs: PackedFrames, fps: np.ndarray, items: np.ndarray, start: np.ndarray,
    length: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Click and like probability ``[U, K]`` of each user for frames ``start .. start+length-1`` of ``items``.

    The simulator scores the per-frame ground-truth features of exactly the frames shown as an
    ``[n, length, F]`` array of equally long segments, so its soft-max over shots applies. Windows of
    different lengths are scored in groups of one length: the simulator takes no padding mask for
    segment arrays. Its segment path assumes a default duration, so the like probability applies the
    world's click model (``sim.model``) to the utility net of the time cost of ``length / fps`` seconds.

    Example
    -------
    >>> click, like = user_side_scores(sim, ids, data.attrs, data.fps, items, start, length)  # doctest: +SKIP
    """
    from generec.data.sim import clickmodel as cm

    items, start, length = (np.asarray(a, dtype=np.int64) for a in (items, start, length))
    if not items.shape == start.shape == length.shape or items.ndim != 2 or len(items) != len(user_ids):
        raise DataError(f"items, start and length must all be [users={len(user_ids)}, K]")
    if (length < 1).any() or (start < 0).any() or (start + length > attrs.lengths[items]).any():
        raise DataError("every shown window must have at least one frame and lie inside its item")
    it, st, ln = items.ravel(), start.ravel(), length.ravel()
    users = np.repeat(np.asarray(user_ids), items.shape[1])
    util = np.empty(len(it), dtype=np.float64)
    for n_frames in np.unique(ln):
        sel = np.flatnonzero(ln == n_frames)
        segments = attrs.features[it[sel, None], st[sel, None] + np.arange(n_frames)]  # [n, L, F]
        util[sel] = sim.utility(users[sel], segments.astype(np.float32, copy=False), pairwise=True)
    click = cm.click_prob(util, 0.0, sim.model)  # = sim.click_prob(..., popularity=False): no time cost
    like = cm.like_prob(cm.satisfaction(util, ln / fps[it], sim.model), sim.model)
    return click.reshape(items.shape), like.reshape(items.shape)
