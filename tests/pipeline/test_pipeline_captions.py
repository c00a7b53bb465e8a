"""Captions of made videos: a WebVTT track stored with the item, and burned into the pixels when asked."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from generec.config import Settings
from generec.media import sample_frames
from generec.media.captions import read_webvtt
from generec.pipeline import GeneRec
from generec.pipeline_parts import Decision
from generec.types import Guidance


class ShorterInstructor:
    def decide(self, state) -> Decision:  # noqa: ANN001
        return Decision("edit_clip", "Shortening it.", "edit", "clipping", state.focus_item,
                        Guidance(instruction_text=state.instruction, length_s=2.0))  # fmt: skip


def _band(frame: np.ndarray) -> tuple[float, bool]:
    """Share of dark pixels in the bottom rows, and whether light (text) pixels lie among them."""
    rows = frame[-12:].astype(int)
    return float((rows.max(axis=-1) < 60).mean()), bool((rows.min(axis=-1) > 180).any())


def test_captions_are_stored_with_a_made_video_and_burned_in_when_asked(loop_template: Path, tmp_path: Path):
    home = tmp_path / "home"
    shutil.copytree(loop_template, home, ignore=shutil.ignore_patterns("world"))
    gr = GeneRec.from_config(Settings(home=home, service={"burn_captions": True}), instructor=ShorterInstructor())
    try:
        s = gr.session("ann")
        target = next(x.item for x in s.step(k=10).items if x.item.media_hash)
        s.step("make it shorter", focus=target.id)
        job = gr.run_job(gr.store.claim_job("w", kinds=gr.job_kinds), "w")
        made = gr.store.get_item(job.result_item_id, viewer="ann")
        cues = read_webvtt(gr.media.path_for(made.attributes["captions"]).read_text(encoding="utf-8"))
        assert [c.text for c in cues][0] == "You asked: make it shorter" and cues[-1].end == 2.0
        assert gr.store.get_provenance(made.id).params["captions"] == "burned in and served as a track"
        _, before = sample_frames(gr.media.path_for(target.media_hash), 1)
        _, after = sample_frames(gr.media.path_for(made.media_hash), 1)
        assert _band(before[0])[0] < 0.5  # the source has no dark band at the bottom ...
        dark, text = _band(after[0])
        assert dark > 0.5 and text  # ... the made video does, with the caption drawn on it
    finally:
        gr.close()
