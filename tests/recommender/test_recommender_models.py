"""The models learn, are deterministic by seed, round-trip through save/load, and reject bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generec.data.dataset import Split
from generec.errors import DataError, ModelError
from generec.evaluation.ranking import evaluate
from generec.recommender import BPRMF, MMGCN, Recommender, load_model

LEARNED = ("bpr", "lightgcn", "mmgcn", "mmgcn_light")


@pytest.mark.parametrize("name", (*LEARNED, "userhist"))
def test_model_beats_random_and_popularity(planted, fitted, name, rand_ndcg):
    split, _ = planted
    ndcg = evaluate(fitted[name], split, ks=(20,))["ndcg@20"]
    pop = evaluate(fitted["pop"], split, ks=(20,))["ndcg@20"]
    assert ndcg > 2.5 * rand_ndcg(split)
    assert ndcg > pop + 0.1


@pytest.mark.parametrize("name", LEARNED)
def test_same_seed_same_numbers_other_seed_differs(planted, fitted, name, make):
    split, feats = planted
    again = make(name, seed=0).fit(split, features=feats)
    np.testing.assert_array_equal(again.score(np.arange(10)), fitted[name].score(np.arange(10)))
    other = make(name, seed=1).fit(split, features=feats)
    assert not np.array_equal(other.score(np.arange(10)), fitted[name].score(np.arange(10)))


@pytest.mark.parametrize("name", ("pop", "userhist", *LEARNED))
def test_save_load_roundtrip_gives_identical_scores(planted, fitted, name, tmp_path):
    split, feats = planted
    model = fitted[name]
    model.save(tmp_path / name)
    loaded = load_model(str(tmp_path / name))
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.score(np.arange(split.n_users)), model.score(np.arange(split.n_users)))
    np.testing.assert_array_equal(loaded.recommend([0, 5], k=7), model.recommend([0, 5], k=7))
    new = {m: f[:5] + 0.01 for m, f in feats.items()}
    np.testing.assert_array_equal(loaded.score_items([1, 2], new), model.score_items([1, 2], new))


def test_training_history_and_early_stopping(fitted):
    model = fitted["lightgcn"]
    assert model.history_ and all("valid_ndcg@20" in h for h in model.history_)
    assert model.best_epoch_ < len(model.history_)
    best = max(h["valid_ndcg@20"] for h in model.history_)
    assert model.history_[model.best_epoch_]["valid_ndcg@20"] == best


def test_empty_split_is_refused(planted):
    split, feats = planted
    empty = Split(split.user_ids, split.item_ids, np.zeros((0, 2), np.int64), split.valid, split.test)
    with pytest.raises(DataError, match="no training interactions"):
        BPRMF(verbose=False).fit(empty)


def test_feature_matrix_with_wrong_rows_is_refused(planted):
    split, feats = planted
    with pytest.raises(DataError, match=r"expected \(80, d\)"):
        MMGCN(verbose=False).fit(split, features={"text": feats["text"][:-1]})
    with pytest.raises(DataError, match="needs item features"):
        MMGCN(verbose=False).fit(split)
    with pytest.raises(DataError, match="NaN"):
        BPRMF(verbose=False).fit(split, features={"text": np.full((80, 3), np.nan)})


def test_out_of_range_pairs_and_users_are_refused(planted, fitted):
    split, _ = planted
    bad = Split(split.user_ids, split.item_ids, np.array([[0, 999]]), split.valid, split.test)
    with pytest.raises(DataError, match="outside"):
        BPRMF(verbose=False).fit(bad)
    with pytest.raises(DataError, match="unknown user"):
        fitted["bpr"].score([10_000])


def test_cold_features_must_match_training_modalities(fitted):
    with pytest.raises(DataError, match="lack modality"):
        fitted["mmgcn"].score_items([0], {"text": np.zeros((2, 16))})
    with pytest.raises(DataError, match=r"expected \(n, 16\)"):
        fitted["lightgcn"].score_items([0], {"text": np.zeros((2, 5)), "visual": np.zeros((2, 24))})


def test_unfitted_and_missing_models_raise_model_error(tmp_path, planted):
    with pytest.raises(ModelError, match="not fitted"):
        BPRMF().score([0])
    with pytest.raises(ModelError, match="no saved recommender"):
        Recommender.load(tmp_path)
    split, _ = planted
    model = BPRMF(epochs=1, verbose=False).fit(split)
    with pytest.raises(ModelError, match="without item features"):
        model.score_items([0], {"text": np.zeros((1, 16))})
    model.save(tmp_path / "bpr")
    with pytest.raises(ModelError, match="not a MMGCN"):
        MMGCN.load(tmp_path / "bpr")


def test_mmgcn_gcn_aggregation_learns_and_unknown_aggregation_is_refused(planted, rand_ndcg):
    split, feats = planted
    model = MMGCN(aggregation="gcn", embedding_dim=16, latent_dim=16, lr=0.02, epochs=15, patience=5, verbose=False)
    model.fit(split, features=feats)
    assert evaluate(model, split, ks=(20,))["ndcg@20"] > 2.5 * rand_ndcg(split)
    with pytest.raises(ModelError, match="aggregation"):
        MMGCN(aggregation="max", verbose=False).fit(split, features=feats)


def test_mmgcn_additive_combination_learns_and_bad_options_are_refused(planted, rand_ndcg):
    split, feats = planted
    model = MMGCN(combination="add", embedding_dim=16, latent_dim=16, lr=0.02, epochs=15, patience=5, verbose=False)
    model.fit(split, features=feats)
    assert evaluate(model, split, ks=(20,))["ndcg@20"] > 2.5 * rand_ndcg(split)
    with pytest.raises(ModelError, match="combination"):
        MMGCN(combination="max", verbose=False).fit(split, features=feats)
    with pytest.raises(ModelError, match="cold_scoring"):
        MMGCN(cold_scoring="magic", verbose=False).fit(split, features=feats)


def test_mmgcn_light_layers_only_aggregate(planted, fitted):
    split, feats = planted
    light, paper = fitted["mmgcn_light"], fitted["mmgcn"]
    assert light.get_params()["layers"] == "light" and paper.get_params()["layers"] == "paper"
    # Per modality: a user preference and a feature projection, no per-layer weights.
    names = {k.split(".")[2] if k.startswith("branches.") else k for k in light.module_.state_dict()}
    assert names == {"id_embedding", "preference", "project", "features_text", "features_visual"}
    assert any(".conv." in k for k in paper.module_.state_dict())
    # Layer 0 of a new item is its projected features; the aggregating layers have nothing to add.
    module = light.module_
    new = {m: f[:3] for m, f in feats.items()}
    want = torch.cat(
        [module.branches[m].project(torch.as_tensor(new[m])) / (light.n_layers + 1) for m in module.modalities], dim=1
    )
    np.testing.assert_allclose(light.item_embeddings_from_features(new).numpy(), want.detach().numpy(), rtol=1e-6)
    with pytest.raises(ModelError, match="layers"):
        MMGCN(layers="deep", verbose=False).fit(split, features=feats)


def test_user_hist_needs_features(planted):
    from generec.recommender import UserHist

    split, _ = planted
    with pytest.raises(DataError, match="needs item features"):
        UserHist().fit(split)
