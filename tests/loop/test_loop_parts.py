"""Requests, ground truth of edited items, the subgroup definition and the loop's clip editor."""

from __future__ import annotations

from pathlib import Path

import pytest

from generec.errors import GeneRecError, MediaError
from generec.evaluation.loop_parts import (
    ReaderJudge,
    Request,
    ShotClipRunner,
    Voice,
    derived_shots,
    favourite_request,
    favourite_taste,
    match_share,
    understood,
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


def test_voice_says_the_request_in_the_worlds_words_and_knows_what_it_meant() -> None:
    from generec.data.sim.vocab import SYNONYMS

    taste = {"colour": "red", "style": "sketch", "motion": "spinning"}
    said = [Voice(Request("dog", "night"), taste, seed=s).say(intent) for s in range(6)
            for intent in ("recommend", "edit_clip", "create")]  # fmt: skip
    for text, intent, slots in said:
        assert slots["category"] == "dog" and slots["scene"] == "night"
        assert any(w in text for w in SYNONYMS["dog"]) and "night" in text
        assert set(slots) <= {"category", "scene", *taste}
        assert all(slots[a] == v for a, v in taste.items() if a in slots)
        if intent == "edit_clip":
            assert "this" in text  # a clip is about the item the user is looking at
    assert len({t for t, _, _ in said}) > 6  # paraphrases, not one sentence
    again = [Voice(Request("dog", "night"), taste, seed=s).say(i) for s in range(6)
             for i in ("recommend", "edit_clip", "create")]  # fmt: skip
    assert again == said
    with pytest.raises(KeyError):
        Voice(Request("dog", "night"), taste, seed=0).say("dance")


def test_understood_counts_slot_hits_misses_and_extras() -> None:
    assert understood({"category": ("dog",), "scene": ("night",)}, {"category": "dog", "scene": "night"}) == (2, 0, 0)
    assert understood({"category": ("cat",)}, {"category": "dog", "scene": "night"}) == (0, 1, 2)
    assert understood({}, {}) == (0, 0, 0)


def test_favourite_taste_reads_the_top_values() -> None:
    prefs = {a: {"x": 0.1, "y": 0.9} for a in ("colour", "style", "motion")}
    assert favourite_taste(prefs) == {"colour": "y", "style": "y", "motion": "y"}


def test_reader_judge_reads_pixels_not_requests(tmp_path: Path) -> None:
    from generec.data.sim.reader import AttributeReader, ReaderConfig
    from generec.data.sim.render import render_shot
    from generec.media import sample_frames, write_video

    reader = AttributeReader(ReaderConfig(frames=4, size=16, width=8)).fit(n_clips=32, steps=2, progress=False)
    shot = _shot("night", "dog", 0.0, 1.0)
    path = write_video(iter(render_shot(shot, 8, 64, 0)), tmp_path / "made.mp4", 8)
    (read,) = ReaderJudge(reader).shots(path)
    assert read["read_by"] == "attribute_reader" and read["duration_s"] == pytest.approx(1.0, abs=0.2)
    direct = reader.read(sample_frames(path, 4)[1][None])[0]  # the judge reports exactly what the reader sees
    assert read["scene"] == direct["scene"] and read["style"] == direct["style"]
    assert read["subjects"] == [{a: direct[a] for a in ("category", "colour", "size", "motion")}]
    assert 0.0 <= match_share([read], Request("dog", "night")) <= 1.0


def test_shot_clip_runner_refuses_what_it_cannot_cut(tmp_path: Path) -> None:
    parent = Item(id="p", attributes={"shots": PARENT})
    runner = ShotClipRunner()
    with pytest.raises(MediaError, match="no shot"):
        runner.run(parent, tmp_path / "x.mp4", Guidance(instruction_text="a bird in the city"), tmp_path, _noop)
    with pytest.raises(GeneRecError, match="category and a scene"):
        runner.run(parent, tmp_path / "x.mp4", Guidance(instruction_text="something nice"), tmp_path, _noop)


def _noop(fraction: float, message: str) -> None:
    return None
