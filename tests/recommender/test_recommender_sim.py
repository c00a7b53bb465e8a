"""On a small GeneRec-Sim world: a created item made to a user's hidden taste scores above one made against it.

Two feature sources: the world's ground-truth attribute vectors (isolates the models' content paths), and the
real pipeline — a GeneRec dual encoder trained briefly on the world's own (frame, caption) pairs, visual = mean
encoder vector of sampled video frames, text = encoder vector of title + caption, new items rendered by the sim.
"""

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


# ------------------------------------------------------------------ encoder features (the real pipeline)
SEEDS = (0, 1, 2)  # one seed of a 300-user world is noise-sized (353 test clicks); compare means over three


@pytest.fixture(scope="module")
def encoded(sim, tmp_path_factory):
    """A tiny encoder trained on the world (40 steps), item features from it, MMGCN / BPR-MF fitted per seed."""
    from generec.encoders import train_world_encoder
    from generec.recommender import BPRMF
    from generec.recommender.features import item_features_from_encoder

    world, split, _ = sim
    out = tmp_path_factory.mktemp("enc") / "encoder"
    encoder, _ = train_world_encoder(world.root, out, steps=40, batch_size=64, held_out=0.1, progress=False)
    feats = item_features_from_encoder(world, encoder, frames=4, item_ids=list(split.item_ids), progress=False)
    common = {"embedding_dim": 32, "epochs": 100, "patience": 10, "verbose": False}
    models = {
        seed: {
            "mmgcn": MMGCN(latent_dim=32, cold_dropout=0.5, lr=0.003, cold_scoring="map", seed=seed, **common).fit(
                split, features=feats
            ),
            "bpr": BPRMF(lr=0.01, seed=seed, **common).fit(split, features=feats),  # new items via its ContentMap
        }
        for seed in SEEDS
    }
    return encoder, feats, models


def held_out_click_auc(world, split, model) -> float:
    """Per held-out (test) click: the share of items the user was shown and never clicked that score lower."""
    ev = world.events
    shown = ev[ev["kind"] == "impression"][["user_id", "item_id"]].drop_duplicates()
    positive = ev[ev["kind"].isin(["click", "like"])]
    clicked = set(zip(positive["user_id"], positive["item_id"], strict=True))
    col = {i: k for k, i in enumerate(split.item_ids)}
    negatives = {
        uid: [col[j] for j in g["item_id"] if (uid, j) not in clicked and j in col]
        for uid, g in shown.groupby("user_id")
    }
    aucs = []
    for u, i in split.test:
        neg = negatives.get(split.user_ids[u], [])
        if neg:
            pos, others = model.score([u], [i])[0, 0], model.score([u], neg)[0]
            aucs.append((others < pos).mean() + 0.5 * (others == pos).mean())
    assert len(aucs) > 200
    return float(np.mean(aucs))


def test_mmgcn_on_encoder_features_beats_bpr_and_predicts_clicks(sim, encoded):
    world, split, _ = sim
    _, _, models = encoded
    ndcg = {m: [evaluate(models[s][m], split, ks=(20,))["ndcg@20"] for s in SEEDS] for m in ("mmgcn", "bpr")}
    assert np.mean(ndcg["mmgcn"]) > np.mean(ndcg["bpr"]), ndcg
    # Its user embeddings predict held-out clicks: a test click outscores the items the same user was shown
    # and never clicked (AUC; 0.5 is chance), for every seed.
    aucs = [held_out_click_auc(world, split, models[s]["mmgcn"]) for s in SEEDS]
    assert min(aucs) > 0.58, aucs


def test_created_items_rendered_by_the_sim_rank_by_taste(sim, encoded):
    """Per user, a new item made to their hidden taste (World.taste_item_meta) and one made against it."""
    from generec.data.sim import render_item
    from generec.recommender.features import meta_text, video_feature

    world, split, _ = sim
    encoder, _, models = encoded
    users = np.arange(0, split.n_users, 2)
    metas = [world.taste_item_meta(split.user_ids[u], liked, int(u)) for liked in (True, False) for u in users]
    sim_util = world.simulator().utility(list(split.user_ids[users]) * 2, metas, pairwise=True)
    assert (sim_util[: len(users)] > sim_util[len(users) :]).all()  # the ground truth agrees
    feats = {
        "visual": np.stack([video_feature(encoder, render_item(m), count=4) for m in metas]),
        "text": encoder.encode_texts([meta_text(m) for m in metas]),
    }
    n, top = len(users), split.n_items // 5  # "in the user's ranking": the top 20% of the 250 human items
    seen = np.zeros((split.n_users, split.n_items), dtype=bool)
    seen[split.train[:, 0], split.train[:, 1]] = True
    for name, model in models[0].items():
        scores = model.score_items(users, feats)  # calibrated: on the scale of model.score
        assert np.isfinite(scores).all()
        liked, disliked = scores[np.arange(n), np.arange(n)], scores[np.arange(n), n + np.arange(n)]
        assert (liked > disliked).mean() > 0.8, (name, (liked > disliked).mean())
        corpus = model.score(users)
        corpus[seen[users]] = -np.inf  # the user's ranking: items they have not interacted with
        rank_liked = (corpus > liked[:, None]).sum(axis=1)
        rank_disliked = (corpus > disliked[:, None]).sum(axis=1)
        assert (rank_liked < top).mean() > 0.5, (name, (rank_liked < top).mean())
        assert (rank_disliked < top).mean() < 0.1, (name, (rank_disliked < top).mean())
