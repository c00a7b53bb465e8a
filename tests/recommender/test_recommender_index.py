"""Retrieval over human + AI items never shows a private item to anyone but its viewer."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from generec.errors import DataError, ModelError
from generec.recommender import RetrievalIndex, VisibilityFilter
from generec.types import Item, Origin, Visibility

HAS_USEARCH = importlib.util.find_spec("usearch") is not None


def corpus(n_items=200, d=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_items, d)).astype(np.float32), rng.normal(size=(6, d)).astype(np.float32)


def test_visibility_filter_from_items():
    items = [
        Item(id="a"),
        Item(id="b", origin=Origin.AI, visibility=Visibility.PRIVATE, visible_to="u2"),
        Item(id="c", origin=Origin.AI, visibility=Visibility.PRIVATE, visible_to="someone-else"),
    ]
    vis = VisibilityFilter.from_items(items, ["u1", "u2"])
    assert vis(np.array([0, 1])).tolist() == [[True, False, False], [True, True, False]]


@pytest.mark.parametrize(
    "backend",
    [
        "exact",
        pytest.param(
            "usearch", marks=pytest.mark.skipif(not HAS_USEARCH, reason="usearch not installed (generec[ann])")
        ),
    ],
)
def test_private_items_of_other_users_are_never_returned(backend):
    items, users = corpus()
    owner = np.full(len(items), -1)
    owner[::3] = np.arange(len(items))[::3] % 6  # a third of the corpus is private to one of 6 users
    index = RetrievalIndex(items, visibility=VisibilityFilter(owner), backend=backend)
    top, scores = index.search(users, k=50, users=np.arange(6))
    for u in range(6):
        got = top[u][top[u] >= 0]
        assert len(got) == 50
        assert np.all((owner[got] == -1) | (owner[got] == u))
        assert np.all(np.diff(scores[u]) <= 1e-6)  # best first
    # A user's own private item that matches them best is returned first.
    mine = index.add(users[2] * 10, owner=2)
    top, _ = index.search(users, k=5, users=np.arange(6))
    assert top[2, 0] == mine[0]
    assert mine[0] not in top[[0, 1, 3, 4, 5]]


@pytest.mark.skipif(not HAS_USEARCH, reason="usearch not installed (generec[ann])")
def test_ann_backend_agrees_with_exact_search():
    items, users = corpus(n_items=500)
    exact = RetrievalIndex(items).search(users, k=10)[0]
    approx = RetrievalIndex(items, backend="usearch").search(users, k=10)[0]
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx, strict=True)])
    assert overlap >= 0.9


def test_exclude_removes_seen_items_and_bad_queries_are_refused():
    items, users = corpus()
    index = RetrievalIndex(items)
    first = index.search(users[:1], k=3)[0][0]
    again = index.search(users[:1], k=3, exclude=[first[:1]])[0][0]
    assert first[0] not in again and again[0] == first[1]
    with pytest.raises(DataError, match="width"):
        index.search(np.zeros((1, 3)), k=3)
    private = RetrievalIndex(items, visibility=VisibilityFilter(np.full(len(items), -1)))
    with pytest.raises(DataError, match="users="):
        private.search(users, k=3)
    with pytest.raises(ModelError, match="VisibilityFilter"):
        index.add(users[:1], owner=3)
    with pytest.raises(ModelError, match="unknown retrieval backend"):
        RetrievalIndex(items, backend="annoy")


def test_index_from_fitted_model_matches_recommend(fitted):
    model = fitted["bpr"]
    index = RetrievalIndex.from_model(model)
    seen = [model.train_[model.train_[:, 0] == u, 1] for u in range(3)]
    top, _ = index.search(model.user_emb_[:3].numpy(), k=10, users=np.arange(3), exclude=seen)
    np.testing.assert_array_equal(top, model.recommend([0, 1, 2], k=10))
