"""New items (no interactions) are scored from their features alone; PS@K works for any item."""

from __future__ import annotations

import numpy as np
import pytest

from generec.errors import DataError
from generec.evaluation.ranking import ps_at_k
from generec.recommender.synthetic import planted_topics


def new_items_per_topic(feats, n_topics, item_topics, rng):
    """One brand-new item per topic: an unseen mix of that topic's item features."""
    out = {}
    for m, f in feats.items():
        rows = [f[item_topics == t][:5].mean(axis=0) + 0.05 * rng.normal(size=f.shape[1]) for t in range(n_topics)]
        out[m] = np.asarray(rows, dtype=np.float32)
    return out


@pytest.mark.parametrize("name", ["mmgcn", "mmgcn_light", "lightgcn", "bpr", "userhist"])
def test_cold_item_matching_taste_ranks_high(planted, fitted, name):
    split, feats = planted
    model = fitted[name]
    user_topics, item_topics = planted_topics(split.n_users, split.n_items, 4)
    new = new_items_per_topic(feats, 4, item_topics, np.random.default_rng(0))
    users = np.arange(split.n_users)
    cold = model.score_items(users, new)  # (n_users, 4): one new item per topic
    assert np.isfinite(cold).all()
    # The new item of a user's own topic is that user's best new item for most users.
    assert (cold.argmax(axis=1) == user_topics).mean() > 0.8
    # Ranked together with the whole human corpus, it lands in the user's top 25%.
    corpus = model.score(users)
    own = cold[users, user_topics]
    rank = (corpus > own[:, None]).sum(axis=1)
    assert np.median(rank) < 0.25 * split.n_items


def test_ps_at_k_prefers_items_matching_taste(planted, fitted):
    split, feats = planted
    model = fitted["mmgcn"]
    user_topics, item_topics = planted_topics(split.n_users, split.n_items, 4)
    users = np.flatnonzero(user_topics == 0)
    on = np.flatnonzero(item_topics == 0)[:5]
    off = np.flatnonzero(item_topics == 2)[:5]
    assert ps_at_k(model, users, items=on) > ps_at_k(model, users, items=off)
    # Features of the same K items for every user, or (n_users, K, d) per user: same numbers.
    shared = {m: f[on] for m, f in feats.items()}
    per_user = {m: np.broadcast_to(f[on], (len(users), *f[on].shape)) for m, f in feats.items()}
    a = ps_at_k(model, users, item_features=shared, reduce="none")
    b = ps_at_k(model, users, item_features=per_user, reduce="none")
    np.testing.assert_allclose(a, b, rtol=1e-5)  # calibration sorts float32 scores of different batch shapes
    assert ps_at_k(model, users, item_features={m: f[on] for m, f in feats.items()}) > ps_at_k(
        model, users, item_features={m: f[off] for m, f in feats.items()}
    )


def test_ps_at_k_by_index_is_the_mean_score(planted, fitted):
    model = fitted["lightgcn"]
    items = np.array([[1, 2, 3], [4, 5, 6]])
    want = np.array([model.score([0], items[0]).mean(), model.score([1], items[1]).mean()])
    np.testing.assert_allclose(ps_at_k(model, [0, 1], items=items, reduce="none"), want)
    with pytest.raises(DataError, match="exactly one"):
        ps_at_k(model, [0], items=items, item_features={"text": np.zeros((1, 16))})
    with pytest.raises(DataError, match="out of range"):
        ps_at_k(model, [0], items=np.array([[999]]))
