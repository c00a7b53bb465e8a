"""Rendering: shapes, determinism, and that every attribute value is visibly distinct."""

from __future__ import annotations

import numpy as np
import pytest

from generec.data.sim import VOCAB, caption_shot, render_frame, render_item, render_shot
from generec.data.sim.vocab import FEATURES, N_FEATURES, attribute_of

BASE = {
    "scene": "city",
    "style": "plain",
    "subjects": [{"category": "dog", "colour": "red", "size": "large", "motion": "static"}],
}


def _with(**changes: str) -> dict:
    shot = {"scene": BASE["scene"], "style": BASE["style"], "subjects": [dict(BASE["subjects"][0])]}
    for key, value in changes.items():
        if key in ("scene", "style"):
            shot[key] = value
        else:
            shot["subjects"][0][key] = value
    return shot


def test_vocabulary_is_small_and_indexed() -> None:
    assert all(3 <= len(values) <= 8 for values in VOCAB.values())
    assert len(FEATURES) == N_FEATURES == sum(len(v) for v in VOCAB.values())
    assert attribute_of("snow") == "scene" and attribute_of("neon") == "style"
    with pytest.raises(KeyError):
        attribute_of("dragon")


def test_caption_names_every_attribute() -> None:
    shot = {
        "scene": "snow",
        "style": "sketch",
        "subjects": [{"category": "car", "colour": "red", "size": "large", "motion": "left_to_right"}],
    }
    assert caption_shot(shot) == "a large red car driving left to right through the snow, sketch style"
    shot["subjects"].append({"category": "cat", "colour": "blue", "size": "small", "motion": "bouncing"})
    assert " and a small blue cat bouncing" in caption_shot(shot)


def test_render_shot_is_deterministic_uint8() -> None:
    a = render_shot(BASE, n_frames=6, size=64, seed=3)
    assert a.shape == (6, 64, 64, 3) and a.dtype == np.uint8
    assert np.array_equal(a, render_shot(BASE, 6, 64, 3))
    assert not np.array_equal(a, render_shot(BASE, 6, 64, 4))
    assert render_shot(BASE, 2, 32, 3).shape == (2, 32, 32, 3)
    with pytest.raises(ValueError):
        render_shot(BASE, 0, 64, 3)


@pytest.mark.parametrize("attribute", ["category", "colour", "scene", "style", "size"])
def test_every_value_renders_differently(attribute: str) -> None:
    # Same seed, one attribute changed: every pair of values must differ clearly in pixels.
    frames = {v: render_shot(_with(**{attribute: v}), 1, 64, 5)[0].astype(np.int16) for v in VOCAB[attribute]}
    values = list(frames)
    for i, a in enumerate(values):
        for b in values[i + 1 :]:
            assert np.abs(frames[a] - frames[b]).mean() > 1.0, (a, b)


def test_motion_moves_the_subject() -> None:
    for motion in VOCAB["motion"]:
        clip = render_shot(_with(motion=motion, scene="indoor"), 8, 64, 2).astype(np.int16)
        change = max(np.abs(frame - clip[0]).mean() for frame in clip[1:])
        assert (change < 0.5) if motion == "static" else (change > 0.5), motion


def test_render_item_concatenates_shots_and_frame_matches() -> None:
    meta = {"seed": 9, "frame_size": 48, "shots": [dict(BASE, n_frames=5), dict(_with(style="neon"), n_frames=3)]}
    frames = render_item(meta)
    assert frames.shape == (8, 48, 48, 3)
    assert np.array_equal(render_frame(meta, 6), frames[6])
    with pytest.raises(IndexError):
        render_frame(meta, 8)


def test_frame_caption_pairs_are_deterministic_and_consistent() -> None:
    from generec.data.sim import frame_caption_pairs

    pairs = list(frame_caption_pairs(12, seed=4, size=32))
    again = list(frame_caption_pairs(12, seed=4, size=32))
    assert all(np.array_equal(a[0], b[0]) and a[1] == b[1] for a, b in zip(pairs, again, strict=True))
    for frame, caption, shot in pairs:
        assert frame.shape == (32, 32, 3) and frame.dtype == np.uint8
        assert caption == caption_shot(shot) and shot["scene"] in VOCAB["scene"]
    assert len({c for _, c, _ in pairs}) > 6
