"""Chunked full ranking equals a dense brute-force computation, and masking holds."""

from __future__ import annotations

import numpy as np
import pytest

from generec.recommender.ranking import csr_rows, dot_scorer, ranking_metrics, topk_chunked


def dense_metrics(scores, truth, exclude, ks):
    """Reference implementation: the whole score matrix at once, per-user Python loops."""
    scores = scores.astype(np.float64).copy()
    scores[exclude[:, 0], exclude[:, 1]] = -np.inf
    out = {f"{m}@{k}": [] for k in ks for m in ("recall", "ndcg", "precision")}
    for u in np.unique(truth[:, 0]):
        rel = set(truth[truth[:, 0] == u, 1].tolist())
        order = np.argsort(-scores[u], kind="stable")
        for k in ks:
            top = order[:k]
            gains = np.array([1.0 if i in rel else 0.0 for i in top])
            dcg = (gains / np.log2(np.arange(2, k + 2))).sum()
            idcg = (1 / np.log2(np.arange(2, min(len(rel), k) + 2))).sum()
            out[f"recall@{k}"].append(gains.sum() / len(rel))
            out[f"precision@{k}"].append(gains.sum() / k)
            out[f"ndcg@{k}"].append(dcg / idcg)
    return {name: float(np.mean(v)) for name, v in out.items()}


@pytest.mark.parametrize("chunk_size", [1, 7, None])
def test_chunked_metrics_equal_dense_brute_force(chunk_size):
    rng = np.random.default_rng(3)
    n_users, n_items = 37, 60
    user_emb, item_emb = rng.normal(size=(n_users, 5)), rng.normal(size=(n_items, 5))
    pairs = np.unique(np.stack([rng.integers(0, n_users, 600), rng.integers(0, n_items, 600)], 1), axis=0)
    pairs = pairs[rng.permutation(len(pairs))]
    truth, exclude = pairs[:150], pairs[150:]
    ks = (5, 10, 20)
    got = ranking_metrics(
        dot_scorer(user_emb, item_emb), truth, n_users, n_items, exclude=exclude, ks=ks, chunk_size=chunk_size
    )
    want = dense_metrics((user_emb @ item_emb.T).astype(np.float32), truth, exclude, ks)
    assert got["n_users"] == len(np.unique(truth[:, 0]))
    for name, value in want.items():
        assert got[name] == pytest.approx(value, abs=1e-9), name


def test_masked_items_never_ranked_and_perfect_model_scores_one():
    n_users, n_items = 4, 10
    # User u's score for item i is high exactly for items u and u + 4.
    scores = np.zeros((n_users, n_items), dtype=np.float32)
    for u in range(n_users):
        scores[u, [u, u + 4]] = [2.0, 1.0]
    scorer = lambda users: __import__("torch").as_tensor(scores[users])  # noqa: E731
    truth = np.array([[u, u + 4] for u in range(n_users)])
    exclude = np.array([[u, u] for u in range(n_users)])  # the top item is a training item
    m = ranking_metrics(scorer, truth, n_users, n_items, exclude=exclude, ks=(1,))
    assert m["ndcg@1"] == 1.0 and m["recall@1"] == 1.0
    unmasked = ranking_metrics(scorer, truth, n_users, n_items, exclude=None, ks=(1,))
    assert unmasked["recall@1"] == 0.0


def test_topk_respects_exclude_and_allow_and_fills_with_minus_one():
    user_emb, item_emb = np.ones((2, 1)), np.arange(5, dtype=float)[:, None]
    indptr, indices = np.array([0, 1, 1]), np.array([4])
    allow = lambda users: np.array([[True, False, True, False, True]] * len(users))  # noqa: E731
    ((_, top, scores),) = topk_chunked(
        dot_scorer(user_emb, item_emb), np.array([0, 1]), 5, 4, exclude=(indptr, indices), allow=allow
    )
    assert top[0].tolist() == [2, 0, -1, -1]  # item 4 masked for user 0, items 1 and 3 not visible
    assert top[1].tolist() == [4, 2, 0, -1]
    assert np.isneginf(scores[0, 2:]).all()


def test_csr_rows_gathers_exactly_the_requested_rows():
    indptr, indices = np.array([0, 2, 2, 5]), np.array([1, 3, 0, 2, 4])
    rows, cols = csr_rows(indptr, indices, np.array([2, 0]))
    assert rows.tolist() == [0, 0, 0, 1, 1] and cols.tolist() == [0, 2, 4, 1, 3]


def test_recommend_excludes_training_items(planted, fitted):
    split, _ = planted
    top = fitted["lightgcn"].recommend(np.arange(split.n_users), k=10)
    train = {(int(u), int(i)) for u, i in split.train}
    assert not any((u, int(i)) in train for u in range(split.n_users) for i in top[u])
