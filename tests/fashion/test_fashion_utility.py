"""Created products against retrieved ones for requests the shop cannot meet, and FID against the null condition."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generec.cli import main
from generec.creator.fashion import fit_photo
from generec.data.fashion import measure
from generec.data.fashion.build import FashionConfig, build_fashion_world
from generec.data.fashion.classifier import FashionClassifier
from generec.data.fashion.source import CATEGORIES, load_split
from generec.data.sim.world import World
from generec.encoders.dual import GeneRecEncoder
from generec.errors import DataError
from generec.evaluation.fashion.utility import Shop, Shoppers, created_utility, utility_report


@pytest.fixture(scope="module")
def world(fashion_files: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    out = tmp_path_factory.mktemp("fashion-utility") / "world"
    return World.load(build_fashion_world(out, FashionConfig(items=80, users=60, seed=2), data_dir=fashion_files))


@pytest.fixture(scope="module")
def test_photos(fashion_files: Path) -> tuple[np.ndarray, np.ndarray]:
    photos, labels = load_split("test", fashion_files)
    return photos[:400], labels[:400]


@pytest.fixture(scope="module")
def classifier(fashion_files: Path) -> FashionClassifier:
    train, labels = load_split("train", fashion_files)
    return FashionClassifier(epochs=1, width=4, batch_size=50).fit(train[:1500], labels[:1500])


@pytest.fixture(scope="module")
def user_emb(world: World) -> dict[str, np.ndarray]:
    from generec.evaluation.ps_model import fit_mmgcn

    return fit_mmgcn(world.root, GeneRecEncoder(seed=0), seed=0, epochs=2)[1]


def test_unmet_requests_are_ones_the_shop_has_no_favourite_look_for(world: World, user_emb) -> None:
    shoppers = Shoppers(world, GeneRecEncoder(seed=0), user_emb)
    shop = Shop(world, GeneRecEncoder(seed=0), 25, seed=0)
    who, cats = shop.unmet(shoppers, 50, seed=0)
    for k, c in zip(who, cats, strict=True):
        look = (int(c), int(shoppers.favourite["brightness"][k]), int(shoppers.favourite["texture"][k]))
        assert look not in shop.combos and c in shop.category  # the shop has the category, not the look
    got = shop.retrieve(shoppers, who, cats)
    assert (got["oracle"] >= got["either retrieval"] - 1e-6).all()  # no retrieval beats the shop's best product
    hist, taste = got["retrieval (User_Hist)"], got["retrieval (taste)"]
    assert np.array_equal(got["either retrieval"], np.maximum(hist, taste))  # the better of the two per request
    stronger = hist if hist.mean() > taste.mean() else taste
    assert np.array_equal(got["retrieval"], stronger)  # the best retrieved item: the stronger retrieval's top
    assert np.array_equal(shop.unmet(shoppers, 50, seed=0)[1], cats)  # seeded
    with pytest.raises(DataError, match="--shop must be between 1"):
        Shop(world, GeneRecEncoder(seed=0), 0, seed=0)


def test_the_taste_names_a_look_beside_the_asked_category(world: World, user_emb) -> None:
    shoppers = Shoppers(world, GeneRecEncoder(seed=0), user_emb)
    leanings = shoppers.leanings
    assert set(leanings) == set(shoppers.users) and sum(bool(v) for v in leanings.values()) >= len(leanings) // 2
    for weights in leanings.values():
        for a, by_value in weights.items():
            assert a in ("brightness", "texture") and set(by_value) <= set(measure.VOCAB[a])
    k = next(k for k, u in enumerate(shoppers.users) if leanings[u])
    mine = leanings[shoppers.users[k]]
    guided = shoppers.guidance(k, 3, ("user_hist", "taste")).constraints
    favourite = {a: [max(w, key=w.__getitem__)] for a, w in mine.items()}
    # As the product gives a creation: the asked category, the favourite look, the weights of every look.
    assert guided == {"attributes": {"category": [CATEGORIES[3]], **favourite}, "taste": sorted(mine),
                      "leanings": mine}  # fmt: skip
    assert shoppers.guidance(k, 3, ("user_hist",)).constraints == {"attributes": {"category": [CATEGORIES[3]]}}


def test_the_taste_recovers_the_hidden_favourite_look_better_than_chance(fashion_files: Path, tmp_path: Path) -> None:
    world = World.load(build_fashion_world(tmp_path / "w", FashionConfig(items=300, users=400, seed=3),
                                           data_dir=fashion_files))  # fmt: skip
    shoppers = Shoppers(world, GeneRecEncoder(seed=0), None)
    for a in ("brightness", "texture"):
        lean = shoppers.leanings
        hits = [max(lean[u][a], key=lean[u][a].__getitem__) == measure.VOCAB[a][int(shoppers.favourite[a][k])]
                for k, u in enumerate(shoppers.users) if a in lean[u]]  # fmt: skip
        assert len(hits) >= 100 and np.mean(hits) > 1.4 / len(measure.VOCAB[a]), a  # chance: 1 / values


def test_a_created_image_is_read_back_and_a_wrong_category_is_a_failed_request(
    world: World, classifier: FashionClassifier, test_photos, user_emb
) -> None:
    shoppers = Shoppers(world, GeneRecEncoder(seed=0), user_emb)
    photos, labels = test_photos
    read = classifier.predict(photos[:40])
    k = int(np.flatnonzero(read == labels[:40])[0])  # a photo the classifier reads right
    images = np.stack([fit_photo(photos[k], 32)] * 2)
    wrong = (int(labels[k]) + 1) % len(CATEGORIES)
    util, ok = created_utility(shoppers, classifier, np.array([0, 0]), np.array([labels[k], wrong]), images)
    b, t = measure.levels(photos[k][None])
    expected = shoppers.sim.utility(shoppers.users[0], measure.features(np.array([labels[k]]), b, t))
    assert ok.tolist() == [True, False]
    assert util[0] == pytest.approx(float(np.ravel(expected)[0]), abs=1e-5)
    assert util[1] == pytest.approx(shoppers.worst[0])  # asked for another category: the least liked product


@pytest.mark.slow
def test_the_report_pairs_created_rows_with_retrieval_and_gives_fid(
    world: World, classifier: FashionClassifier, test_photos, user_emb, tmp_path: Path
) -> None:
    from generec.creator.image import ImageCreator

    emb_file = tmp_path / "user_emb.npz"
    np.savez(emb_file, user_ids=np.asarray(list(user_emb)), vectors=np.stack(list(user_emb.values())))
    args = ["train", "creation", "--world", str(world.root), "--out", str(tmp_path / "m"), "--encoder", "untrained",
            "--kind", "image", "--preset", "tiny", "--steps", "3", "--batch-size", "4", "--attributes",
            "--guidance", "user_hist+user_emb", "--user-emb", str(emb_file), "-q"]  # fmt: skip
    assert main(args) == 0
    creator = ImageCreator.load(tmp_path / "m", GeneRecEncoder(seed=0), steps=2)
    report = utility_report(creator, classifier, world, user_emb, test_photos, requests=24, shop=25, seeds=(0, 1))
    assert [r["seed"] for r in report["per_seed"]] == [0, 1]
    first = report["per_seed"][0]
    rows = ["Instruction", "Instruction + User_Hist", "Instruction + User_Emb", "Instruction + User_Hist + taste"]
    retrievals = {"retrieval", "retrieval (User_Hist)", "retrieval (taste)", "either retrieval", "oracle"}
    assert set(first["utility"]) == {*retrievals, *rows}
    assert first["utility"]["oracle"] >= first["utility"]["either retrieval"] >= first["utility"]["retrieval"]
    assert first["paired"]["Instruction"]["vs instruction only"] == {"mean": 0.0, "p": None}
    assert set(first["paired"]["Instruction"]) == {"vs retrieval", "vs either retrieval", "vs instruction only"}
    assert all(0 <= first[f"{r}: category read as asked"] <= 1 for r in rows)
    fid = first["fid"]
    assert fid["Instruction + User_Hist"] > 0 and fid["Unconditional"] > 0
    assert "FID protocol: 24 real vs 24 generated" in fid["protocol"]
