"""On a small GeneRec-Sim world: a created item made to a user's hidden taste scores above one made against it."""

from __future__ import annotations

import numpy as np
import pytest

from generec.evaluation.ranking import evaluate, ps_at_k
from generec.recommender import MMGCN, UserHist

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    world_mod = pytest.importorskip("generec.data.sim.world")
    world = world_mod.World.build(
        tmp_path_factory.mktemp("sim") / "world",
        users=300,
        items=250,
        seed=0,
        media=False,
        progress=False,
        instructions=0,
    )
    split = world.dataset().split()
    features = {"attributes": world.item_features(list(split.item_ids))}
    mmgcn = MMGCN(embedding_dim=32, latent_dim=32, cold_dropout=0.5, lr=0.01, epochs=100, patience=10, verbose=False)
    models = {"mmgcn": mmgcn.fit(split, features=features), "userhist": UserHist().fit(split, features=features)}
    return world, split, models


def made_for(world, user_id: str, liked: bool) -> np.ndarray:
    """Features of a brand-new item built from the user's most (or least) preferred value of each attribute."""
    from generec.data.sim.clickmodel import featurize
    from generec.data.sim.vocab import ATTRIBUTES

    prefs = world.user_preferences(user_id)
    pick = max if liked else min
    return featurize({a: pick(prefs[a], key=prefs[a].get) for a in ATTRIBUTES})


def created_for_everyone(world, split):
    users = np.arange(split.n_users)
    liked = np.stack([made_for(world, split.user_ids[u], True) for u in users])
    disliked = np.stack([made_for(world, split.user_ids[u], False) for u in users])
    return users, liked, disliked


def test_simulator_agrees_the_created_items_are_liked_and_disliked(sim):
    world, split, _ = sim
    users, liked, disliked = created_for_everyone(world, split)
    utility = world.simulator().utility(list(split.user_ids), np.concatenate([liked, disliked]).astype(float))
    assert (utility[users, users] > utility[users, users + len(users)]).all()


def test_created_item_matching_taste_is_scored_and_ranked_high_by_user_hist(sim):
    world, split, models = sim
    users, liked, disliked = created_for_everyone(world, split)
    model = models["userhist"]
    s_liked = ps_at_k(model, users, item_features={"attributes": liked[:, None, :]}, reduce="none")
    s_disliked = ps_at_k(model, users, item_features={"attributes": disliked[:, None, :]}, reduce="none")
    assert np.isfinite(s_liked).all()
    assert (s_liked > s_disliked).mean() > 0.75
    # Ranked with the whole human corpus, the liked new item is in the top quarter for most users.
    rank = (model.score(users) > s_liked[:, None]).sum(axis=1)
    assert np.median(rank) < 0.25 * split.n_items


def test_mmgcn_scores_created_items_finitely(sim):
    world, split, models = sim
    users, liked, _ = created_for_everyone(world, split)
    model = models["mmgcn"]
    assert evaluate(model, split, ks=(20,))["ndcg@20"] > 0.05
    scores = model.score_items(users, {"attributes": liked})
    assert np.isfinite(scores).all() and scores.std() > 0
