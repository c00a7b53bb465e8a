"""Experiment tables and the random per-user split."""

from __future__ import annotations

import numpy as np
import pytest

from generec.errors import DataError
from generec.evaluation.experiment import Experiment, random_split
from generec.evaluation.ranking import evaluate


def test_experiment_returns_one_row_per_model(planted, make):
    split, feats = planted
    table = Experiment(
        split, [make("pop"), make("bpr")], metrics=["ndcg", "recall"], ks=(10, 20), features=feats, verbose=False
    ).run()
    assert list(table.index) == ["pop", "bpr"]
    assert {"ndcg@10", "recall@20", "epoch_s", "fit_s", "eval_s"} <= set(table.columns)
    assert "precision@10" not in table.columns
    assert table.loc["bpr", "ndcg@20"] > table.loc["pop", "ndcg@20"]


def test_experiment_refuses_unknown_metric_and_no_models(planted, make):
    split, _ = planted
    with pytest.raises(DataError, match="unknown metric"):
        Experiment(split, [make("pop")], metrics=["auc"])
    with pytest.raises(DataError, match="at least one"):
        Experiment(split, [])


def test_evaluate_refuses_a_split_of_another_size(planted, fitted):
    from generec.recommender.synthetic import planted_split

    other, _ = planted_split(n_users=50, n_items=40)
    with pytest.raises(DataError, match="evaluate on the split it was trained on"):
        evaluate(fitted["bpr"], other)


def test_random_split_is_per_user_disjoint_and_seeded():
    rng = np.random.default_rng(0)
    pairs = np.stack([np.repeat(np.arange(30), 20), rng.integers(0, 500, 600)], 1)
    users, items = np.arange(30).astype(str), np.arange(500).astype(str)
    a = random_split(pairs, users, items, seed=1)
    b = random_split(pairs, users, items, seed=1)
    c = random_split(pairs, users, items, seed=2)
    np.testing.assert_array_equal(a.test, b.test)
    assert not np.array_equal(a.test, c.test)
    every = {tuple(p) for p in np.unique(pairs, axis=0)}
    parts = [{tuple(p) for p in s} for s in (a.train, a.valid, a.test)]
    assert set.union(*parts) == every and sum(map(len, parts)) == len(every)
    per_user = np.bincount(a.test[:, 0], minlength=30)
    assert per_user.min() >= 1 and set(np.unique(a.train[:, 0])) == set(range(30))
    with pytest.raises(DataError, match="sum to 1"):
        random_split(pairs, users, items, ratios=(0.5, 0.1, 0.1))
