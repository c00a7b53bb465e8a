"""Pictures in the chat through ``Session.step`` (paper §2, multimodal instructions): the three uses, for real.

The real :class:`~generec.instructor.Instructor` reads what the picture is for; its intent understanding is a
stand-in that reads every turn as a recommendation (the offline one takes half a minute to fit on a busy
machine, and the picture's use is read from the words by the instructor itself). Everything else is the
product's: the style runner with the picture as style image, a tiny creation model trained in seconds, the
encoder items are encoded with, the store and the media store.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generec.config import Settings
from generec.errors import GeneRecError, MediaError, NotFoundError
from generec.fidelity.policy import FidelityPolicy
from generec.instructor import replies
from generec.instructor.instructor import Instructor
from generec.instructor.schema import Intent, Understanding
from generec.pipeline import GeneRec
from generec.pipeline_generators import CreateRunner
from generec.pipeline_runners import StyleRunner
from generec.types import JobStatus


class EveryTurnARecommendation:
    """The understanding's protocol with one answer: what the instructor's picture rules are tested against."""

    def understand(self, text: str) -> Understanding:
        return Understanding(Intent.RECOMMEND, 0.9)


def _home(loop_template: Path, tmp_path: Path, encoder: bool = True) -> Path:
    home = tmp_path / "home"
    shutil.copytree(loop_template, home, ignore=shutil.ignore_patterns("world"))
    if encoder:  # the install's encoder, where `generec demo` trains it
        from generec.encoders.dual import DualEncoderConfig, GeneRecEncoder

        GeneRecEncoder(DualEncoderConfig(dim=32), seed=0).save_pretrained(home / "models" / "encoder")
    return home


def _compose(home: Path, runners: dict) -> GeneRec:
    gr = GeneRec.from_config(Settings(home=home), instructor=Instructor(EveryTurnARecommendation()), runners=runners)
    # One real check (watermark and manifest read back): the others load language models for seconds and
    # are tested in tests/fidelity; here the picture's way into the jobs is under test.
    gr.fidelity = FidelityPolicy.build(checks=("identifiability",), store=gr.store)
    return gr


def _picture(path: Path, pixels: np.ndarray | None = None) -> Path:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8) if pixels is None else pixels
    Image.fromarray(pixels).save(path)
    return path


def _run_jobs(gr: GeneRec) -> list:
    done = []
    while (job := gr.store.claim_job("test", kinds=gr.job_kinds)) is not None:
        done.append(gr.run_job(job, "test"))
    return done


def test_something_like_this_ranks_the_item_the_picture_shows_first(loop_template: Path, tmp_path: Path) -> None:
    from generec.media import read_image

    gr = _compose(_home(loop_template, tmp_path), {})
    try:
        s = gr.session("ann")
        feed = [x.item for x in s.step(k=14).items]
        shown = feed[-1]  # the item the taste alone ranks last
        cover = read_image(gr.media.path_for(shown.thumbnail_hash))  # a picture of it: its cover, saved by the user
        picture = s.attach(_picture(tmp_path / "cover.png", cover))
        r = s.step("something like this", picture=picture.id, k=5)
        assert r.decision.reason == "picture_retrieve" and r.reply == replies.PICTURE_REPLIES["retrieve"]
        assert shown.id in [x.item.id for x in r.items] and {x.source for x in r.items} == {"picture"}
        assert r.why[shown.id] == "Looks like the picture you attached."
        guide, _ = gr.picture_guide()
        guide.weight = 1e3  # the picture alone decides: the item it shows comes first (this encoder is untrained)
        assert s.step("something like this", picture=picture.id, k=5).items[0].item.id == shown.id
        assert picture.id not in [x.item.id for x in r.items]  # the picture itself is never an item of the feed
        turn = gr.store.turns("ann", limit=1)[-1]
        assert turn.payload["picture"] == picture.id  # the audit trail names the picture the turn carried
    finally:
        gr.close()


def test_without_an_encoder_the_reply_says_pictures_cannot_be_searched(loop_template: Path, tmp_path: Path) -> None:
    gr = _compose(_home(loop_template, tmp_path, encoder=False), {})
    try:
        s = gr.session("ann")
        r = s.step("something like this", picture=s.attach(_picture(tmp_path / "p.png")).id)
        assert r.reply.startswith("I can't search by picture on this install yet") and r.items
    finally:
        gr.close()


def test_look_like_this_picture_restyles_with_the_picture_as_style_image(loop_template: Path, tmp_path: Path) -> None:
    gr = _compose(
        _home(loop_template, tmp_path, encoder=False), {"style_transfer": StyleRunner(size=64, max_seconds=0.3)}
    )
    try:
        s = gr.session("ann")
        item = s.step(k=3).items[0].item
        picture = s.attach(_picture(tmp_path / "style.jpg"))
        r = s.step("make this one look like this picture", focus=item.id, picture=picture.id)
        assert r.queued is not None and r.queued.kind == "edit_style_transfer"
        assert r.queued.params["picture"] == picture.id and r.queued.params["item_id"] == item.id
        (job,) = _run_jobs(gr)
        assert job.status is JobStatus.DONE, job.error
        p = gr.store.get_provenance(job.result_item_id).params
        assert p["style"] == "your picture" and p["style_image"] == "picture attached in the chat"
        assert p["picture"] == picture.id
    finally:
        gr.close()


def test_a_video_like_this_picture_is_created_with_the_picture_steering(loop_template: Path, tmp_path: Path,
                                                                        creation_checkpoint) -> None:  # fmt: skip
    path, encoder = creation_checkpoint
    runner = CreateRunner.load(path, encoder, frames=4, size=64)
    runner.creator.steps = 2  # the wiring is under test, not the pictures
    gr = _compose(_home(loop_template, tmp_path, encoder=False), {"create_video": runner})
    try:
        s = gr.session("ann")
        picture = s.attach(_picture(tmp_path / "scene.png"))
        r = s.step("make me a video like this picture", picture=picture.id)
        assert r.queued is not None and r.queued.kind == "create_video" and r.queued.params["picture"] == picture.id
        assert runner.takes_picture and runner.picture_note() in r.reply  # says how the picture steers it
        (job,) = _run_jobs(gr)
        assert job.status is JobStatus.DONE, job.error
        p = gr.store.get_provenance(job.result_item_id).params
        assert "picture as user_hist" in p["guided_by"] and p["picture"] == picture.id
    finally:
        gr.close()


def test_a_picture_is_private_to_its_owner_and_a_bad_one_is_not_stored(loop_template: Path, tmp_path: Path) -> None:
    gr = _compose(_home(loop_template, tmp_path, encoder=False), {})
    try:
        s = gr.session("ann")
        picture = s.attach(_picture(tmp_path / "mine.png"))
        with pytest.raises(NotFoundError):
            gr.session("ben").step("something like this", picture=picture.id)
        with pytest.raises(GeneRecError, match="a picture needs words"):
            s.step(picture=picture.id)
        assert picture.id not in {i.id for i in gr.visible_items("ben")} | {i.id for i in gr.visible_items("ann")}
        before = len(gr.store.list_items(system=True, limit=None))
        good = (tmp_path / "mine.png").read_bytes()
        (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
        (tmp_path / "text.png").write_bytes(b"not a picture at all" * 50)
        for bad in ("cut.png", "text.png"):
            with pytest.raises(MediaError):
                s.attach(tmp_path / bad)
        assert len(gr.store.list_items(system=True, limit=None)) == before
    finally:
        gr.close()


@pytest.fixture(scope="module")
def creator_without_image_input(loop_template: Path, tmp_path_factory: pytest.TempPathFactory):
    """A tiny creation model conditioned on the instruction and User_Emb only (no image-space input)."""
    import torch

    from generec.creator import train_creation
    from generec.data.sim import World
    from generec.diffusion import TrainSettings
    from generec.encoders.dual import GeneRecEncoder

    world = World.load(loop_template / "world")
    rng = np.random.default_rng(0)
    users = {str(u): rng.standard_normal(8).astype(np.float32) for u in world.dataset().users["id"]}
    out, encoder = tmp_path_factory.mktemp("creation-emb") / "creation", GeneRecEncoder(seed=0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train_creation(world, encoder, out, guidance="user_emb", user_embeddings=users, preset="tiny",
                       settings=TrainSettings(steps=3, batch_size=4, checkpoint_every=100), progress=False)  # fmt: skip
    finally:
        torch.set_num_threads(threads)
    return out, encoder


def test_a_model_without_image_input_is_given_the_nearest_catalogue_video_and_the_reply_says_so(
    loop_template: Path, tmp_path: Path, creator_without_image_input
) -> None:
    path, encoder = creator_without_image_input
    runner = CreateRunner.load(path, encoder, frames=4, size=64)
    runner.creator.steps = 2
    gr = _compose(_home(loop_template, tmp_path), {"create_video": runner})
    try:
        s = gr.session("ann")
        r = s.step("make me a video like this picture", picture=s.attach(_picture(tmp_path / "p.png")).id)
        assert not runner.takes_picture and r.queued is not None
        assert (
            "This model cannot take a picture, so I described yours by the catalogue video closest to it (" in r.reply
        )
        assert r.queued.params["description"] and r.queued.params["wants"]  # the nearest video's attributes
        (job,) = _run_jobs(gr)
        assert job.status is JobStatus.DONE, job.error
        p = gr.store.get_provenance(job.result_item_id).params
        assert p["description"] == r.queued.params["description"] and "picture" not in p
    finally:
        gr.close()
