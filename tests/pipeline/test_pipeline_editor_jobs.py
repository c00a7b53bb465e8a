"""Revision ("redo this for me") and cover generation ("make a new cover") as jobs of the loop.

Real tiny models (trained a few steps in a fixture) placed where a home looks for them; the
jobs run through the same path as in the service: queued by a step, run by ``run_job``,
checked by the fidelity policy, delivered to the next step badged AI.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from generec.config import Settings
from generec.pipeline import GeneRec
from generec.pipeline_generators import ThumbnailGenerationRunner
from generec.pipeline_parts import Decision
from generec.pipeline_runners import default_runners
from generec.types import Event, EventKind, Guidance, JobStatus

TASKS = {"redo": ("edit_revise", "revision"), "cover": ("edit_thumbnail", "thumbnail_generation")}


class RouteInstructor:
    """'redo ...' -> revision, 'cover ...' -> cover generation, of the focused item (understanding is tested apart)."""

    def decide(self, state) -> Decision:  # noqa: ANN001
        intent, task = TASKS[(state.instruction or "").split()[0].rstrip(":")]
        return Decision(intent, "On it.", "edit", task, state.focus_item, Guidance(instruction_text=state.instruction),
                        reason="edit_requested")  # fmt: skip


@pytest.fixture(scope="session")
def editor_home(loop_template: Path, tmp_path_factory: pytest.TempPathFactory, editor_models) -> Path:
    home = tmp_path_factory.mktemp("editors") / "home"
    shutil.copytree(loop_template, home, ignore=shutil.ignore_patterns("world"))
    editor_models(loop_template / "world", home / "models")
    return home


@pytest.fixture
def editors(editor_home: Path, tmp_path: Path):
    home = tmp_path / "home"
    shutil.copytree(editor_home, home)
    gr = GeneRec.from_config(Settings(home=home), instructor=RouteInstructor())
    yield gr
    gr.close()


def _ask(gr: GeneRec, text: str):
    s = gr.session("ann")
    items = [x.item for x in s.step(k=10).items if x.item.media_hash]
    liked, target = items[0], items[1]
    s.step(events=[Event("ann", liked.id, EventKind.LIKE, 1.0)])
    r = s.step(text, focus=target.id)
    assert r.queued is not None, r.reply
    job = gr.run_job(gr.store.claim_job("w", kinds=gr.job_kinds), "w")
    assert job.status is JobStatus.DONE, (job.error, job.message)
    failed = [(v.check, v.evidence) for v in gr.store.verdicts_for(job.result_item_id) if not v.passed]
    assert job.message == "ready", failed
    return s, target, job, gr.store.get_provenance(job.result_item_id)


def _replicated(frame: np.ndarray) -> float:
    """Share of pixels equal to their right neighbour: ~7/8 for an 8x pixel-replicated image."""
    return float((frame[:, 1:] == frame[:, :-1]).all(axis=-1).mean())


@pytest.mark.slow
def test_revision_redoes_the_focused_video_for_the_users_taste(editors: GeneRec) -> None:
    from generec.media import probe, sample_frames

    assert {"edit_revision", "edit_thumbnail_generation"} <= set(editors.job_kinds)
    s, target, job, prov = _ask(editors, "redo this for me")
    assert (job.kind, prov.task, prov.parents, prov.made_by) == ("edit_revision", "revision", (target.id,),
                                                                 "generec.editor.Reviser")  # fmt: skip
    assert prov.params["guided_by"] == ["user_hist"] and prov.params["native_size"] == 32  # the liked item steered
    made = editors.store.get_item(job.result_item_id, viewer="ann")
    path = editors.media.path_for(made.media_hash)
    info = probe(path)
    assert (info.width, info.height) == (256, 256)
    _, frames = sample_frames(path, 2)
    assert _replicated(frames[0]) < 0.5  # upscaled with a filter, not a mosaic of the 32 px model output
    top = s.step().items[0]
    assert top.item.id == made.id and top.label is not None  # delivered first, badged AI


@pytest.mark.slow
def test_cover_generation_draws_a_new_cover_for_the_video(editors: GeneRec) -> None:
    from PIL import Image

    _, target, job, prov = _ask(editors, "cover: make a new cover for it")
    made = editors.store.get_item(job.result_item_id, viewer="ann")
    assert prov.made_by == "generec.editor.ThumbnailGenerator" and prov.params["generated"] is True
    assert made.media_hash == target.media_hash and made.thumbnail_hash not in (None, target.thumbnail_hash)
    cover = np.asarray(Image.open(editors.media.path_for(made.thumbnail_hash)).convert("RGB"))
    assert cover.shape == (256, 256, 3) and _replicated(cover) < 0.5


def test_no_cover_model_means_no_cover_runner_and_the_reply_says_so(editor_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(editor_home, home, ignore=shutil.ignore_patterns("thumbnail_generation"))
    runners = default_runners(Settings(home=home))
    assert "revision" in runners and "thumbnail_generation" not in runners
    gr = GeneRec.from_config(Settings(home=home), instructor=RouteInstructor(), runners=runners)
    try:
        s = gr.session("ann")
        target = s.step().items[0].item
        r = s.step("cover: make a new cover for it", focus=target.id)
        assert r.queued is None and "no trained model" in r.reply and "thumbnail_generation" in r.reply
    finally:
        gr.close()


def test_a_cover_model_needs_the_encoder_it_was_trained_with(editor_home: Path) -> None:
    from generec.encoders.dual import GeneRecEncoder
    from generec.errors import ModelError

    with pytest.raises(ModelError, match="trained with encoder"):
        ThumbnailGenerationRunner.load(editor_home / "models" / "thumbnail_generation", GeneRecEncoder(seed=3))
