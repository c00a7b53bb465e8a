"""Requests, ground truth of edited items, the subgroup definition and the loop's clip editor."""

from __future__ import annotations

from pathlib import Path

import pytest

from generec.errors import GeneRecError, MediaError
from generec.evaluation.loop_parts import (
    Request,
    RequestInstructor,
    ShotClipRunner,
    derived_shots,
    favourite_request,
    match_share,
    unmet_users,
)
from generec.types import Guidance, Item, Provenance


def _shot(scene: str, cat: str, start: float, dur: float, style: str = "plain") -> dict:
    return {"scene": scene, "style": style, "start_s": start, "duration_s": dur, "n_frames": int(dur * 8),
            "subjects": [{"category": cat, "colour": "red", "size": "large", "motion": "static"}]}  # fmt: skip


PARENT = [_shot("snow", "dog", 0.0, 2.0), _shot("night", "cat", 2.0, 1.0), _shot("night", "cat", 3.0, 1.0)]


def test_request_text_round_trips_and_needs_both_values() -> None:
    req = Request("cat", "night")
    assert Request.parse(req.text) == req
    assert Request.parse("Show me a CAT at night please") == req
    assert Request.parse("show me a cat") is None
    assert Request.parse("") is None


def test_favourite_request_is_the_top_weighted_category_and_scene() -> None:
    prefs = {"category": {c: 0.0 for c in ("car", "cat", "dog", "bird", "fish", "ball", "flower", "person")},
             "scene": {s: 0.0 for s in ("snow", "beach", "forest", "city", "night", "desert", "indoor",
                                        "underwater")}}  # fmt: skip
    prefs["category"]["fish"], prefs["scene"]["desert"] = 1.5, 0.9
    assert favourite_request(prefs) == Request("fish", "desert")


def test_match_share_counts_running_time_of_matching_shots() -> None:
    assert match_share(PARENT, Request("cat", "night")) == pytest.approx(0.5)
    assert match_share(PARENT, Request("cat", "snow")) == 0.0
    assert match_share([], Request("cat", "snow")) == 0.0


def test_unmet_users_are_those_without_a_good_corpus_item() -> None:
    corpus = {"a": PARENT, "b": [_shot("beach", "fish", 0.0, 3.0)]}
    requests = {"u1": Request("fish", "beach"), "u2": Request("cat", "night"), "u3": Request("bird", "city")}
    assert unmet_users(requests, corpus, 0.75) == {"u2", "u3"}  # u2: only half of "a"; u3: nothing at all
    assert unmet_users(requests, corpus, 0.5) == {"u3"}


def test_derived_shots_follow_provenance() -> None:
    clip = derived_shots(Provenance("ai1", "x", "clip", params={"start_s": 2.0, "end_s": 4.0}), PARENT)
    assert clip is not None and [s["scene"] for s in clip] == ["night", "night"]
    assert match_share(clip, Request("cat", "night")) == 1.0
    part = derived_shots(Provenance("ai2", "x", "trim", params={"start_s": 1.0, "end_s": 2.5}), PARENT)
    assert [s["duration_s"] for s in part] == pytest.approx([1.0, 0.5])
    thumb = derived_shots(Provenance("ai3", "x", "thumbnail", params={"time_s": 2.5}), PARENT)
    assert thumb == [PARENT[1]]
    styled = derived_shots(Provenance("ai4", "x", "style_transfer", params={"style": "pencil sketch"}), PARENT)
    assert {s["style"] for s in styled} == {"sketch"}
    # No honest mapping onto the simulator's vocabulary: no ground truth, the item is excluded.
    assert derived_shots(Provenance("ai5", "x", "style_transfer", params={"style": "stained glass"}), PARENT) is None
    assert derived_shots(Provenance("ai6", "x", "create", params={}), PARENT) is None
    assert derived_shots(Provenance("ai7", "x", "clip", params={"start_s": 9.0, "end_s": 10.0}), PARENT) is None


class _State:
    def __init__(self, text: str | None, user: str = "u") -> None:
        self.instruction, self.user_id = text, user


def test_instructor_edits_only_when_allowed_and_no_good_match() -> None:
    items = [Item(id="p", media_hash="h", attributes={"shots": PARENT})]
    retrieval = RequestInstructor(edit=False)
    retrieval.catalog = lambda: items
    assert retrieval.decide(_State("show me a cat in the night")).action == "retrieve"
    editing = RequestInstructor(edit=True)
    editing.catalog = lambda: items
    d = editing.decide(_State("show me a cat in the night"))
    assert (d.action, d.task, d.item_id) == ("edit", "clipping", "p")
    assert d.wants == {"category": ("cat",), "scene": ("night",)}
    assert editing.decide(_State("show me a cat in the night")).action == "retrieve"  # once per item and user
    assert editing.decide(_State("show me a dog in the snow")).action == "retrieve"  # "p" was tried for "u"
    assert editing.decide(_State("show me a dog in the snow", user="v")).action == "edit"
    full = RequestInstructor(edit=True, create=True)
    full.catalog = lambda: items
    assert full.decide(_State("show me a bird in the city")).action == "create"  # nothing to edit
    assert full.decide(_State("hello")).action == "retrieve"


def test_shot_clip_runner_refuses_what_it_cannot_cut(tmp_path: Path) -> None:
    parent = Item(id="p", attributes={"shots": PARENT})
    runner = ShotClipRunner()
    with pytest.raises(MediaError, match="no shot"):
        runner.run(parent, tmp_path / "x.mp4", Guidance(instruction_text="a bird in the city"), tmp_path, _noop)
    with pytest.raises(GeneRecError, match="category and a scene"):
        runner.run(parent, tmp_path / "x.mp4", Guidance(instruction_text="something nice"), tmp_path, _noop)


def _noop(fraction: float, message: str) -> None:
    return None
