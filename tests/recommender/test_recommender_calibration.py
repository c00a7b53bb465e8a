"""New items' content scores are calibrated onto the scale of known items' scores, per user."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generec.recommender import MMGCN, UserHist, load_model
from generec.recommender.calibration import quantile_map
from generec.recommender.synthetic import planted_split, planted_topics


def test_quantile_map_sends_order_statistics_to_order_statistics():
    rng = np.random.default_rng(0)
    ref = torch.tensor(rng.normal(size=(3, 50)))
    tgt = torch.tensor(rng.normal(loc=5, scale=3, size=(3, 50)))
    out = quantile_map(ref, ref, tgt)  # each reference value lands on the target value of the same rank
    np.testing.assert_allclose(np.sort(out.numpy(), axis=1), np.sort(tgt.numpy(), axis=1), rtol=1e-5)
    same = quantile_map(ref[:, :7], ref, ref)
    np.testing.assert_allclose(same.numpy(), ref[:, :7].numpy(), rtol=1e-5)


def test_quantile_map_is_increasing_inside_and_beyond_the_reference():
    ref = torch.tensor([[0.0, 1.0, 2.0, 4.0]])
    tgt = torch.tensor([[-3.0, 10.0, 11.0, 40.0]])
    x = torch.linspace(-5, 9, 200)[None, :]
    y = quantile_map(x, ref, tgt)[0].numpy()
    assert np.isfinite(y).all()
    assert (np.diff(y) > 0).all()
    assert y[0] < -3.0 and y[-1] > 40.0  # extrapolated, not clamped: a better new item stays better


@pytest.mark.parametrize("name", ["bpr", "lightgcn", "mmgcn"])
def test_calibrated_new_item_takes_its_content_rank_among_the_corpus(planted, fitted, name):
    split, feats = planted
    model = fitted[name]
    users = np.arange(split.n_users)
    new = {m: f[:6] + 0.05 for m, f in feats.items()}
    raw = model.score_items(users, new, calibrated=False)
    cal = model.score_items(users, new)
    want = (model.user_emb_ @ model.item_embeddings_from_features(new).T).numpy()
    np.testing.assert_allclose(raw, want, rtol=1e-5, atol=1e-6)
    assert np.isfinite(cal).all()
    # The per-user order of new items is unchanged ...
    assert (np.argsort(raw, axis=1, kind="stable") == np.argsort(cal, axis=1, kind="stable")).mean() > 0.99
    # ... and a new item beats as many known items by its learned score as it beats by content.
    content = (model.user_emb_ @ model.content_item_emb_.T).numpy()
    warm = model.score(users)
    by_content = (content[:, :, None] > raw[:, None, :]).sum(axis=1)
    by_warm = (warm[:, :, None] > cal[:, None, :]).sum(axis=1)
    assert np.abs(by_content - by_warm).max() <= 1


def test_calibration_puts_a_taste_matched_new_item_near_the_top(planted, fitted):
    split, feats = planted
    model = fitted["mmgcn"]
    users = np.arange(split.n_users)
    user_topics, item_topics = planted_topics(split.n_users, split.n_items, 4)
    own = {m: np.stack([f[item_topics == t].mean(axis=0) for t in user_topics]) for m, f in feats.items()}
    scores = np.stack([model.score_items([u], {m: f[u : u + 1] for m, f in own.items()})[0, 0] for u in users])
    rank = (model.score(users) > scores[:, None]).sum(axis=1)  # a topic centre: as typical as it gets
    assert np.mean(rank < 0.25 * split.n_items) > 0.8


def test_popularity_gives_new_items_zero(fitted, planted):
    _, feats = planted
    assert not fitted["pop"].score_items([0, 1], {m: f[:3] for m, f in feats.items()}).any()


@pytest.mark.parametrize("cold", ["map", "branch", None])
def test_save_load_keeps_the_modality_order(cold, tmp_path):
    split, feats = planted_split(n_users=40, n_items=30, seed=0)
    unsorted = {"visual": feats["visual"], "text": feats["text"]}  # config.json sorts keys: order must survive
    small = {"embedding_dim": 8, "latent_dim": 8, "epochs": 3, "verbose": False}
    model = UserHist() if cold is None else MMGCN(cold_scoring=cold, **small)
    model.fit(split, features=unsorted)
    model.save(tmp_path / "m")
    loaded = load_model(str(tmp_path / "m"))
    new = {m: f[:4] + 0.1 for m, f in unsorted.items()}
    np.testing.assert_array_equal(loaded.score_items([0, 3], new), model.score_items([0, 3], new))
    np.testing.assert_array_equal(
        loaded.score_items([0, 3], new, calibrated=False), model.score_items([0, 3], new, calibrated=False)
    )


def test_new_item_ranks_count_the_unseen_known_items_above(planted, fitted):
    split, feats = planted
    model = fitted["bpr"]
    new = {m: f[:3] + 0.05 for m, f in feats.items()}
    ranks = model.new_item_ranks([0, 7], new)
    scores = model.score_items([0, 7], new)
    for row, user in enumerate([0, 7]):
        corpus = model.score([user])[0]
        seen = split.train[split.train[:, 0] == user, 1]
        corpus[seen] = -np.inf
        assert ranks[row].tolist() == [(corpus > s).sum() for s in scores[row]]
    assert (model.new_item_ranks([0], new, exclude_train=False) >= ranks[:1]).all()
