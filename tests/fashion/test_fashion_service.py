"""Personalized creation of products in the service (paper §5.2 for images): a fashion home creates pictures.

A fashion home's creator is an image model (``<models>/creation_image``); the install then creates pictures,
not videos, and a creation job is steered by what was asked (the category, brightness and texture words the
instructor read) and by the shopper's liked photos (User_Hist), as ``generec reproduce fashion`` measures it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generec.cli import main
from generec.config import Settings
from generec.creator.checkpoint import export_checkpoint
from generec.creator.fashion import ProductReading
from generec.data.fashion.build import FashionConfig, build_fashion_world
from generec.data.fashion.source import CATEGORIES
from generec.data.sim.world import World
from generec.diffusion.candidates import Wants
from generec.encoders.dual import GeneRecEncoder
from generec.fidelity.policy import DEFAULT_CHECKS, FidelityPolicy
from generec.pipeline import GeneRec
from generec.pipeline_generators import ImageCreateRunner
from generec.pipeline_parts import Decision
from generec.pipeline_runners import default_runners
from generec.recommender.taste import favourite_values
from generec.store import MediaStore, Store
from generec.types import Guidance, JobStatus, Modality

WANTS = {"category": ("dress",), "brightness": ("dark",), "texture": ("patterned",)}


@pytest.fixture(scope="module")
def fashion_home(fashion_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fashion home: world in its store, the install's encoder, and a tiny image creator released into it."""
    root = tmp_path_factory.mktemp("fashion-service")
    home = root / "home"
    world = World.load(build_fashion_world(root / "world", FashionConfig(items=60, users=30, seed=3)))
    with Store.open(Settings(home=home)) as store:
        store.load_dataset(world.dataset(), MediaStore(home / "media"), progress=False)
    GeneRecEncoder(seed=0).save_pretrained(home / "models" / "encoder")
    trained = root / "trained"
    args = ["train", "creation", "--world", str(world.root), "--out", str(trained), "--encoder", "untrained",
            "--kind", "image", "--preset", "tiny", "--steps", "3", "--batch-size", "4", "--attributes",
            "--conditions", str(root / "cond.npz"), "-q"]  # fmt: skip
    assert main(args) == 0
    GeneRecEncoder(seed=0).save_pretrained(root / "encoder")
    export_checkpoint(trained, home / "models" / "creation_image", encoder_dir=root / "encoder",
                      conditions=root / "cond.npz", half=True)  # fmt: skip
    return home


def test_a_home_with_an_image_creator_creates_pictures(fashion_home: Path) -> None:
    runners = default_runners(Settings(home=fashion_home))
    assert isinstance(runners["create_image"], ImageCreateRunner)
    settings = Settings(home=fashion_home)
    gr = GeneRec(settings, Store.open(settings), MediaStore(fashion_home / "media"), runners=runners)
    try:
        assert gr.creates == "image" and gr.instructor.kind() == "image"
    finally:
        gr.close()


def test_a_creation_job_makes_the_asked_product_for_the_shopper(fashion_home: Path, tmp_path: Path) -> None:
    class AskingInstructor:  # the decision for "make me a dark patterned dress" (understanding is tested apart)
        def decide(self, state) -> Decision:  # noqa: ANN001
            asked = Guidance(instruction_text=state.instruction)
            return Decision("create", "I'll make it.", "create", "create_image", None, asked, wants=WANTS,
                            reason="create_requested")  # fmt: skip

    settings = Settings(home=fashion_home)
    runner = default_runners(settings)["create_image"]
    runner.creator.steps = 2  # a few DDIM steps: the wiring is under test, not the pictures
    gr = GeneRec.from_config(settings, instructor=AskingInstructor(), runners={"create_image": runner})
    gr.fidelity = FidelityPolicy.build(checks=[c for c in DEFAULT_CHECKS if c != "quality"], store=gr.store)
    try:
        shopper = next(
            u.id
            for u in gr.store.list_users(limit=100)
            if any(e.is_positive for e in gr.store.events_for_user(u.id, limit=200))
        )
        s = gr.session(shopper)
        r = s.step("make me a dark patterned dress")
        assert r.queued is not None and r.queued.kind == "create_image"
        job = gr.run_job(gr.store.claim_job("test", kinds=gr.job_kinds), "test")
        assert job.status is JobStatus.DONE, job.error
        made = gr.store.get_item(job.result_item_id, system=True)
        assert made.modality is Modality.IMAGE and made.is_ai
        assert {a: made.attributes[a] for a in WANTS} == {a: v[0] for a, v in WANTS.items()}
        params = gr.store.get_provenance(made.id).params
        assert params["attributes"] == {a: list(v) for a, v in WANTS.items()}  # the model was steered by them
        assert params["guided_by"] == ["instruction", "user_hist"] and params["native_size"] == 16
        with Image.open(gr.media.path_for(made.media_hash)) as shown:
            assert shown.size == (256, 256)  # shown at the display size, made at the model's own
    finally:
        gr.close()


def test_the_released_model_names_the_encoder_released_with_it(fashion_home: Path) -> None:
    meta = json.loads((fashion_home / "models" / "creation_image" / "config.json").read_text())["meta"]
    encoder = GeneRecEncoder.from_pretrained(fashion_home / "models" / "creation_image" / "encoder")
    assert meta["encoder"] == encoder.id != GeneRecEncoder(seed=0).id
    x = np.random.default_rng(0).integers(0, 255, (2, 28, 28, 3), dtype=np.uint8)
    assert np.allclose(encoder.encode_images(x), GeneRecEncoder(seed=0).encode_images(x), atol=1e-6)


class _AskFor:
    """The decision for a creation request naming ``wants`` (understanding is tested apart)."""

    def __init__(self, wants: dict[str, tuple[str, ...]]) -> None:
        self.wants = wants

    def decide(self, state) -> Decision:  # noqa: ANN001
        return self.decision(state.instruction)

    def decision(self, text: str) -> Decision:
        asked = Guidance(instruction_text=text)
        return Decision("create", "I'll make it.", "create", "create_image", None, asked, wants=self.wants,
                        reason="create_requested")  # fmt: skip


def test_what_a_request_leaves_open_comes_from_the_shoppers_attribute_taste(fashion_home: Path, tmp_path: Path) -> None:
    import shutil

    from generec.config import RecommenderSettings
    from generec.pipeline_retrain import train_from_store

    home = tmp_path / "home"
    shutil.copytree(fashion_home, home)
    settings = Settings(home=home, recommender=RecommenderSettings(epochs=2, patience=1, frames=1))
    with Store.open(settings) as store:
        train_from_store(settings, store, MediaStore(settings.media_dir))
    runner = default_runners(settings)["create_image"]
    runner.creator.steps = 2
    gr = GeneRec.from_config(settings, instructor=_AskFor({"category": ("dress",)}), runners={"create_image": runner})
    gr.fidelity = FidelityPolicy.build(checks=[c for c in DEFAULT_CHECKS if c != "quality"], store=gr.store)
    try:
        shopper = next(u for u in gr.ranker.served.user_index if gr.store.events_for_user(u, limit=1))
        events = gr.store.events_for_user(shopper, limit=200)
        known = gr.store.get_items(list({e.item_id for e in events}), system=True)
        choices = {a: v for a, v in runner.creator.vocabulary.attributes if a != "category"}
        leanings = gr.ranker.leanings(events, known, choices)
        favourite = favourite_values(leanings)
        assert set(favourite) == {"brightness", "texture"}  # the fashion catalogue's measured attributes
        r = gr.session(shopper).step("make me a dress")
        assert r.queued is not None
        assert r.queued.params["taste"] == {a: [v] for a, v in favourite.items()}  # what was not said: the taste
        assert r.queued.params["leanings"] == leanings  # and how it weighs every other look, for the candidates
        assert f"I went with {favourite['brightness']} and {favourite['texture']}" in r.reply  # and says so
        job = gr.run_job(gr.store.claim_job("test", kinds=gr.job_kinds), "test")
        assert job.status is JobStatus.DONE, job.error
        made = gr.store.get_item(job.result_item_id, system=True)
        shown = {a: made.attributes.get(a) for a in ("category", *favourite)}
        assert shown == {"category": "dress", **favourite}  # it is ranked by what it was made as
        assert made.attributes["attributes_from"] == "request and taste"
        params = gr.store.get_provenance(made.id).params
        assert params["attributes"] == {"category": ["dress"], **{a: [v] for a, v in favourite.items()}}
        assert params["from_taste"] == sorted(favourite)
        # What the shopper said wins over their taste, and a value they excluded is never filled in.
        said = "plain" if favourite["texture"] != "plain" else "textured"
        gr.instructor = _AskFor({"category": ("dress",), "texture": (said,)})
        job = gr.session(shopper).step("make me a plain dress").queued
        assert job is not None and job.params["taste"] == {"brightness": [favourite["brightness"]]}
        decision = _AskFor({"category": ("dress",)}).decision("make me a dress")
        other = next(v for v in ("plain", "textured", "patterned") if v != favourite["texture"])
        decision.guidance = Guidance(
            instruction_text="make me a dress",
            constraints={  # standing wishes
                "exclude": [["brightness", favourite["brightness"]]],
                "require": [["texture", other]],
            },
        )
        job = gr.enqueue(shopper, decision)
        assert job.params["taste"].get("brightness", [None])[0] not in (None, favourite["brightness"])
        assert job.params["taste"]["texture"] == [other]  # "only plain ones": the one value they keep to
    finally:
        gr.close()


def test_candidates_are_checked_against_the_asked_look_as_the_catalogue_measures_it(fashion_home: Path) -> None:
    from generec.creator.fashion import fit_photo, measured_attributes
    from generec.creator.image import ImageCreator
    from generec.errors import ConfigError

    creator = ImageCreator.load(fashion_home / "models" / "creation_image", GeneRecEncoder(seed=0), steps=2)
    # A fashion model reads what it made as the catalogue reads its photos (this one has no category reader).
    assert isinstance(creator.rules.read, ProductReading) and creator.rules.read.classifier is None
    dark, light = np.zeros((28, 28), np.uint8), np.zeros((28, 28), np.uint8)
    dark[4:24, 8:20], light[4:24, 8:20] = 90, 240
    pool = np.stack([fit_photo(p, 32) for p in (dark, light)])[:, None]  # 2 candidates of one request
    assert [m["brightness"] for m in measured_attributes(pool[:, 0])] == ["dark", "light"]
    assert creator.best_of(pool, None, [Wants({"brightness": "light", "category": "dress"})]).tolist() == [1]
    assert creator.best_of(pool, None, [Wants({"brightness": "dark"})]).tolist() == [0]
    # A look the taste filled in: the candidate read in the look it weighs more wins, even if not its favourite.
    lean = Wants({"category": "dress"}, {"brightness": {"medium": 0.9, "light": 0.2, "dark": -0.7}})
    assert creator.best_of(pool, None, [lean]).tolist() == [1]
    with pytest.raises(ConfigError, match="sets of wanted attributes"):
        creator.best_of(pool, None, [Wants({"brightness": "dark"}), Wants()])
    asked = Guidance(instruction_text="a light dress", constraints={"attributes": {"brightness": ["light"]}})
    one = creator.create(asked, seed=3, candidates=1)
    best = creator.create(asked, seed=3, candidates=4)
    assert one.shape == best.shape == (1, 16, 16, 3) and np.array_equal(
        best, creator.create(asked, seed=3, candidates=4)
    )
    with pytest.raises(ConfigError, match="candidates must be at least 1"):
        creator.create(asked, candidates=0)


def test_a_fashion_creator_screens_near_copies_of_the_photos_it_learnt_from(fashion_home: Path, tmp_path: Path) -> None:
    import shutil

    from PIL import Image as PILImage

    from generec.creator.fashion import fit_photo, measured_attributes
    from generec.creator.image import ImageCreator
    from generec.data.fashion.source import load_split
    from generec.fidelity.base import Subject
    from generec.types import Item, Origin

    # A 32 px model (the product's size: the 28 px photo padded, nothing lost), released into a copy of the home.
    home, trained = tmp_path / "home", tmp_path / "trained"
    shutil.copytree(fashion_home, home)
    args = ["train", "creation", "--world", str(fashion_home.parent / "world"), "--out", str(trained), "--encoder",
            "untrained", "--kind", "image", "--preset", "fashion-32", "--steps", "1", "--batch-size", "2",
            "--attributes", "--conditions", str(fashion_home.parent / "cond.npz"), "-q"]  # fmt: skip
    assert main(args) == 0
    shutil.rmtree(home / "models" / "creation_image")
    export_checkpoint(trained, home / "models" / "creation_image", encoder_dir=fashion_home.parent / "encoder",
                      conditions=fashion_home.parent / "cond.npz", half=True)  # fmt: skip
    path = home / "models" / "creation_image"
    meta = json.loads((path / "config.json").read_text())["meta"]["data"]
    learnt = meta["train_photos"]
    assert learnt and len(learnt) == meta["train_items"]  # the world's training split, as training-file indices
    creator = ImageCreator.load(path, GeneRecEncoder(seed=0), steps=2)
    train, _ = load_split("train")
    test, _ = load_split("test")
    copy = fit_photo(train[learnt[0]], 32)  # a photo it learnt from, as the model would make it ...
    new = fit_photo(test[5000], 32)  # ... and a real photo it never saw
    assert creator.rules.screen(np.stack([copy, new]))[0].tolist() == [True, False]
    pool = np.stack([copy, new])[:, None]  # two candidates of one request: the copy never wins ...
    assert creator.best_of(pool, None, None).tolist() == [1]
    look = measured_attributes(pool[:, 0])[0]  # ... not even when it is exactly the asked look
    assert creator.best_of(pool, None, [Wants(look)]).tolist() == [1]
    assert set(creator.memorisation.thresholds) == {"pixel"}  # no reader of its own: pixels only
    # Its own category reader, trained on the photos it learnt from: the category is read and counts most,
    # and the screen compares the reader's features too.
    args = ["train", "fashion-classifier", "--photos-of", str(path), "--epochs", "1", "--width", "4"]
    assert main(args) == 0 and (path / "reader" / "config.json").exists()
    creator = ImageCreator.load(path, GeneRecEncoder(seed=0), steps=2)
    assert set(creator.memorisation.thresholds) == {"pixel", "feature"}
    read = creator.rules.read(pool[:, 0])
    assert all(r["category"] in CATEGORIES for r in read) and creator.rules.importance["category"] > 1
    assert creator.best_of(pool, None, [Wants(read[0])]).tolist() == [1]  # still: the copy never wins
    flags, novelty = creator.rules.screen(pool[:, 0])
    assert flags.tolist() == [True, False] and novelty[0] == 0.0 and 0.0 <= novelty[1] <= 1.0
    # The service's memorisation check reads the same index, on the picture as shown (256 px).
    settings = Settings(home=home)
    gr = GeneRec(settings, Store.open(settings), MediaStore(home / "media"), runners=default_runners(settings))
    try:
        assert "memorisation" in gr.fidelity.names
        made = Item(id="made", title="a dress", origin=Origin.AI)

        def shown(image: np.ndarray) -> np.ndarray:
            return np.asarray(PILImage.fromarray(image).resize((256, 256), PILImage.Resampling.LANCZOS))

        result = gr.fidelity.check(Subject(made, frames=[shown(copy)]))  # (a bare item: other checks fail too)
        assert not result.passed and "memorisation" in result.blocked_by
        verdicts = {v.check: v for v in gr.fidelity.check(Subject(made, frames=[shown(new)])).verdicts}
        memorisation = verdicts["memorisation"]
        assert memorisation.passed and "no training image is this close" in memorisation.evidence
    finally:
        gr.close()
