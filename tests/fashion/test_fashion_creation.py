"""Creating fashion products: training rows from a fashion world, a classifier trained on real photos that
judges created images, and the memorisation check (near-copies of training photos flagged, new photos not)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from generec.cli import main
from generec.creator.fashion import fashion_conditions, fashion_pixels, fit_photo, unfit_photo
from generec.data.fashion.build import FashionConfig, build_fashion_world
from generec.data.fashion.classifier import FashionClassifier
from generec.data.fashion.source import load_split
from generec.data.sim.world import World
from generec.encoders.dual import GeneRecEncoder
from generec.errors import ConfigError, ModelError
from generec.evaluation.fashion.creation import altered_copies
from generec.fidelity import Subject, build_check
from generec.fidelity.memorisation import MemorisationIndex
from generec.types import Item, Origin


@pytest.fixture(scope="module")
def world(fashion_files: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    out = tmp_path_factory.mktemp("fashion-creation") / "world"
    return World.load(build_fashion_world(out, FashionConfig(items=80, users=60, seed=1), data_dir=fashion_files))


@pytest.fixture(scope="module")
def real(fashion_files: Path) -> dict[str, np.ndarray]:
    train, train_y = load_split("train", fashion_files)
    test, test_y = load_split("test", fashion_files)
    return {"train": train[:3000], "train_y": train_y[:3000], "test": test[:1000], "test_y": test_y[:1000]}


@pytest.fixture(scope="module")
def classifier(real: dict[str, np.ndarray]) -> FashionClassifier:
    return FashionClassifier(epochs=1, width=4, batch_size=50).fit(real["train"][:1500], real["train_y"][:1500])


def test_photos_pad_to_the_model_side_and_back_unchanged(real: dict[str, np.ndarray]) -> None:
    photo = real["test"][0]
    padded = fit_photo(photo, 32)
    assert padded.shape == (32, 32, 3) and padded[:2].max() == 0
    assert np.array_equal(unfit_photo(padded), photo) and np.array_equal(unfit_photo(photo), photo)
    assert unfit_photo(fit_photo(photo, 16)).shape == (28, 28)


def test_training_rows_pair_each_photo_with_its_caption_likers_and_attributes(world: World) -> None:
    conds = fashion_conditions(world, GeneRecEncoder(seed=0), attributes=True, p_drop_part=0.0, p_drop_attribute=0.0)
    spec = conds["spec"]
    assert spec.names == ("instruction", "user_hist", "attributes") and conds["cond"].shape[1] == spec.dim
    assert conds["info"]["attribute_vocabulary"]["category"][9] == "ankle-boot"
    pixels = fashion_pixels(world, conds["item_id"], 32)
    assert pixels.shape == (len(conds["item_id"]), 32, 32, 3)
    # The attribute part of row 0 names exactly its item's category, brightness and texture.
    items = world.items.set_index("id")
    attrs = json.loads(items.at[conds["item_id"][0], "attributes"])
    start = spec.dim - sum(len(v) for v in conds["info"]["attribute_vocabulary"].values())
    hot = np.flatnonzero(conds["cond"][0, start:])
    vocab = [(a, v) for a, vs in conds["info"]["attribute_vocabulary"].items() for v in vs]
    assert {vocab[k] for k in hot} == {(a, attrs[a]) for a in ("category", "brightness", "texture")}


@pytest.mark.slow
def test_a_fashion_world_trains_an_image_creator_end_to_end(world: World, tmp_path: Path) -> None:
    from generec.creator.image import ImageCreator
    from generec.types import Guidance

    args = ["train", "creation", "--world", str(world.root), "--out", str(tmp_path / "m"), "--encoder", "untrained"]
    args += ["--kind", "image", "--preset", "tiny", "--steps", "3", "--batch-size", "4", "--attributes", "-q"]
    assert main(args) == 0
    creator = ImageCreator.load(tmp_path / "m", GeneRecEncoder(seed=0), steps=2)
    made = creator.create(Guidance(instruction_text="a bag", constraints={"attributes": {"category": ["bag"]}}), n=2)
    assert made.shape == (2, 16, 16, 3) and made.dtype == np.uint8
    assert main([*args[:-9], "--kind", "video", "--preset", "tiny", "--steps", "1", "-q"]) != 0  # photos are images


def test_the_classifier_learns_categories_from_real_photos_only(
    classifier: FashionClassifier, real: dict[str, np.ndarray], tmp_path: Path
) -> None:
    accuracy = classifier.score(real["test"], real["test_y"])
    assert accuracy > 0.5  # 1 epoch on 1,500 photos at width 4; chance is 0.1
    again = FashionClassifier.load(classifier.save(tmp_path / "clf", test_accuracy=accuracy))
    assert np.array_equal(again.predict(real["test"][:50]), classifier.predict(real["test"][:50]))
    rgb = np.repeat(real["test"][:5, ..., None], 3, axis=-1)
    assert np.array_equal(classifier.predict(rgb), classifier.predict(real["test"][:5]))
    with pytest.raises(ModelError, match="28x28"):
        classifier.predict(np.zeros((2, 32, 32), np.uint8))
    with pytest.raises(ModelError, match="train one with"):
        FashionClassifier.load(tmp_path)


def test_memorisation_flags_altered_training_photos_and_passes_new_ones(
    classifier: FashionClassifier, real: dict[str, np.ndarray]
) -> None:
    index = MemorisationIndex(real["train"], embed=classifier.features, prepare=unfit_photo)
    index.calibrate(real["test"][:500])
    recall = index.flags(altered_copies(real["train"][:300], seed=0)).mean()
    false_alarms = index.flags(real["test"][500:]).mean()
    assert recall >= 0.9 and false_alarms <= 0.05
    padded = np.stack([fit_photo(p, 32) for p in real["train"][:3]])  # a created image's shape works too
    assert index.flags(padded).all()


def test_novelty_ranks_how_near_the_training_photos_an_image_stands_next_to_new_real_ones(
    classifier: FashionClassifier, real: dict[str, np.ndarray]
) -> None:
    index = MemorisationIndex(real["train"], embed=classifier.features, prepare=unfit_photo)
    with pytest.raises(ValueError, match="not calibrated"):
        index.novelty(real["test"][:2])
    index.calibrate(real["test"][:500])
    new = index.novelty(real["test"][500:], within=0.1)
    assert ((new >= 0) & (new <= 1)).all() and new.mean() > 0.8  # most new photos stand as far as new ones do
    assert (index.novelty(real["train"][:20]) == 0).all()  # a training photo itself: as near as can be
    flagged = index.flags(real["test"][500:])
    assert flagged.any() and (new[flagged] <= 0.01 / 0.1 + 1e-9).all()  # flagged: below the 1% quantile, / within
    wide = index.novelty(real["test"][500:], within=1.0)
    assert (wide <= new + 1e-12).all()  # a wider band: fewer reach the top
    with pytest.raises(ValueError, match="within must lie in"):
        index.novelty(real["test"][:2], within=0.0)


def test_a_product_is_brought_to_the_wanted_shade_and_nothing_else_moves(real: dict[str, np.ndarray]) -> None:
    from generec.creator.fashion import match_brightness, measured_attributes
    from generec.data.fashion import measure
    from generec.errors import DataError

    made = np.stack([fit_photo(p, 32) for p in real["test"][:60]])
    before = measured_attributes(made)
    wanted = [{"brightness": measure.BRIGHTNESS[(measure.BRIGHTNESS.index(b["brightness"]) + 1) % 3]}
              for b in before]  # fmt: skip
    after = match_brightness(made, wanted)
    assert [m["brightness"] for m in measured_attributes(after)] == [w["brightness"] for w in wanted]
    garment = made.mean(axis=-1) > measure.GARMENT_LEVEL * 255
    assert np.array_equal(garment, after.mean(axis=-1) > measure.GARMENT_LEVEL * 255)  # same outline
    assert np.array_equal(after[~garment], made[~garment])  # the background stays
    same = match_brightness(made, [{"brightness": b["brightness"]} for b in before])
    assert np.array_equal(same, made)  # already in the wanted shade: untouched
    assert np.array_equal(match_brightness(made, [{"texture": "plain"}] * len(made)), made)  # no shade wanted
    with pytest.raises(DataError, match="60 images but 1 sets"):
        match_brightness(made, wanted[:1])


def test_a_reader_is_trained_only_on_photos_a_fashion_model_lists(world: World, tmp_path: Path, capsys) -> None:
    bare = tmp_path / "not-a-model"
    bare.mkdir()
    assert main(["train", "fashion-classifier", "--photos-of", str(bare), "--epochs", "1", "--width", "2"]) != 0
    assert "is not a fashion creation model that lists the photos it learnt from" in capsys.readouterr().err
    assert main(["train", "fashion-classifier", "--epochs", "1"]) != 0
    assert "--photos-of MODEL" in capsys.readouterr().err
    assert not (bare / "reader").exists()  # nothing half-saved


def test_the_memorisation_check_is_a_fidelity_verdict(
    classifier: FashionClassifier, real: dict[str, np.ndarray]
) -> None:
    index = MemorisationIndex(real["train"], embed=classifier.features, prepare=unfit_photo)
    check = build_check("memorisation", index=index.calibrate(real["test"][:300]))
    item = Item(id="g1", origin=Origin.AI, title="a coat")
    copied = check.check(Subject(item, frames=[fit_photo(real["train"][7], 32)]))
    assert not copied.passed and "training image 7" in copied.evidence
    assert check.check(Subject(item, frames=[fit_photo(real["test"][900], 32)])).passed
    assert "not applicable" in build_check("memorisation").check(Subject(item)).evidence


def test_unknown_image_preset_is_refused(world: World, tmp_path: Path) -> None:
    from generec.creator.training import train_creation

    with pytest.raises(ConfigError, match="unknown image model preset"):
        train_creation(world, GeneRecEncoder(seed=0), tmp_path, kind="image", preset="nope")


def test_reproduce_fashion_refuses_bad_sampling_settings_in_one_line(world: World, tmp_path: Path, capsys) -> None:
    from generec.cli import main

    base = ["reproduce", "fashion", "--world", str(world.root), "--model", str(tmp_path), "--classifier", str(tmp_path)]
    assert main([*base, "--candidates", "0"]) != 0
    assert "--candidates must be at least 1, got 0" in capsys.readouterr().err
    assert main([*base, "--requests", "0"]) != 0
    assert "--requests, --steps and --seeds need at least one each" in capsys.readouterr().err


def _write_idx(path: Path, array: np.ndarray) -> None:
    import gzip

    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(gzip.compress(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()))


@pytest.mark.slow
def test_reproduce_fashion_reports_rates_and_writes_a_sheet(
    world: World, classifier: FashionClassifier, real: dict[str, np.ndarray], tmp_path: Path
) -> None:
    """The command on a small real subset: a trained (tiny) model, the real-photo classifier, 30 requests."""
    data = tmp_path / "subset"
    data.mkdir()
    _write_idx(data / "train-images-idx3-ubyte.gz", real["train"][:1500])
    _write_idx(data / "train-labels-idx1-ubyte.gz", real["train_y"][:1500])
    _write_idx(data / "t10k-images-idx3-ubyte.gz", real["test"][:400])
    _write_idx(data / "t10k-labels-idx1-ubyte.gz", real["test_y"][:400])
    model = tmp_path / "m"
    args = ["train", "creation", "--world", str(world.root), "--out", str(model), "--encoder", "untrained"]
    assert (
        main([*args, "--kind", "image", "--preset", "tiny", "--steps", "2", "--batch-size", "4", "--attributes", "-q"])
        == 0
    )
    clf = classifier.save(tmp_path / "clf")
    report, sheet = tmp_path / "r.json", tmp_path / "sheet.png"
    rc = main(["reproduce", "fashion", "--world", str(world.root), "--model", str(model), "--classifier", str(clf),
               "--requests", "60", "--seeds", "0", "--steps", "2", "--held-out", "200", "--data-dir", str(data),
               "--out", str(report), "--sheet", str(sheet), "--shop", "30"])  # fmt: skip
    assert rc == 0
    got = json.loads(report.read_text())
    assert got["requests"] == 60 and 0.0 <= got["read_rate"][0] <= 1.0 and got["check_recall"] >= 0.9
    utility = got["utility"]["per_seed"][0]  # a User_Hist model, no User_Emb input: no User_Emb row
    assert set(utility["utility"]) == {
        "retrieval",
        "retrieval (User_Hist)",
        "retrieval (taste)",
        "either retrieval",
        "oracle",
        "Instruction",
        "Instruction + User_Hist",
        "Instruction + User_Hist + taste",
    }
    assert "Unconditional" in utility["fid"]
    assert main(["reproduce", "fashion", "--world", str(world.root), "--model", str(model), "--classifier", str(clf),
                 "--data-dir", str(data), "--shop", "500"]) != 0  # fmt: skip  # more than the world's 80 products
    assert got["real_test_accuracy"] == pytest.approx(
        classifier.score(real["test"][:400], real["test_y"][:400]), abs=1e-4
    )
    assert sheet.stat().st_size > 1000
