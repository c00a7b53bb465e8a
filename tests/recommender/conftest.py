"""Shared fixtures: a small planted-topic dataset and models fitted on it once per session."""

from __future__ import annotations

import numpy as np
import pytest

from generec.recommender import BPRMF, MMGCN, LightGCN, Popularity, UserHist
from generec.recommender.synthetic import planted_split


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """These models are tiny: one thread avoids oversubscribing a shared 2-core machine (and is faster)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


FAST = {"lr": 0.02, "epochs": 30, "patience": 5, "embedding_dim": 16, "verbose": False}


def make_model(name: str, seed: int = 0):
    if name == "pop":
        return Popularity()
    if name == "userhist":
        return UserHist()
    if name == "bpr":
        return BPRMF(seed=seed, **FAST)
    if name == "lightgcn":
        return LightGCN(n_layers=2, seed=seed, **FAST)
    if name == "mmgcn":
        return MMGCN(latent_dim=12, cold_dropout=0.2, seed=seed, **FAST)
    if name == "mmgcn_light":
        return MMGCN(layers="light", aggregation="gcn", cold_dropout=0.2, seed=seed, **FAST)
    raise KeyError(name)


@pytest.fixture(scope="session")
def planted():
    return planted_split(n_users=120, n_items=80, n_topics=4, seed=0)


@pytest.fixture(scope="session")
def fitted(planted):
    split, feats = planted
    names = ("pop", "userhist", "bpr", "lightgcn", "mmgcn", "mmgcn_light")
    return {name: make_model(name).fit(split, features=feats) for name in names}


def random_ndcg(split, k: int = 20, seed: int = 0) -> float:
    from generec.recommender.ranking import dot_scorer, ranking_metrics

    rng = np.random.default_rng(seed)
    scorer = dot_scorer(rng.normal(size=(split.n_users, 8)), rng.normal(size=(split.n_items, 8)))
    exclude = np.concatenate([split.train, split.valid])
    return ranking_metrics(scorer, split.test, split.n_users, split.n_items, exclude=exclude, ks=(k,))[f"ndcg@{k}"]


@pytest.fixture(scope="session")
def make():
    """Factory of small, fast models by name: ``make("lightgcn", seed=1)``."""
    return make_model


@pytest.fixture(scope="session")
def rand_ndcg():
    return random_ndcg
