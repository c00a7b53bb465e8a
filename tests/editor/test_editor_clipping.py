"""Clipping (Eq. 2): the planted segment is chosen and cut into a playable file with audio."""

from __future__ import annotations

import numpy as np
import pytest
from editor_media import FPS, PLANT_FIRST, PLANT_LEN, planted

from generec.editor import Clipper, clip_scores
from generec.editor.clipping import clip_starts
from generec.errors import ConfigError, MediaError
from generec.media import probe
from generec.types import Guidance


def test_clip_scores_are_window_means():
    starts, scores = clip_scores(np.arange(10, dtype=float), clip_len=4, stride=3)
    assert starts.tolist() == [0, 3, 6]
    assert scores.tolist() == [1.5, 4.5, 7.5]
    starts, scores = clip_scores(np.array([1.0, 3.0]), clip_len=8)  # shorter than L: one clip, all of it
    assert starts.tolist() == [0] and scores.tolist() == [2.0]


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_clip_len_and_stride_are_validated(encoder, bad):
    with pytest.raises(ConfigError, match="clip_len"):
        Clipper(encoder, clip_len=bad)
    with pytest.raises(ConfigError, match="stride"):
        Clipper(encoder, stride=bad)
    with pytest.raises(ConfigError):
        clip_starts(10, 4, bad)


def test_picks_the_planted_segment_and_writes_it_with_audio(encoder, planted_video, tmp_path):
    t = encoder.encode_images(planted(1))[0]
    clip = Clipper(encoder, clip_len=PLANT_LEN).clip(planted_video, Guidance(user_hist=t), tmp_path / "c.mp4")
    assert clip.first == PLANT_FIRST
    assert clip.start == pytest.approx(PLANT_FIRST / FPS, abs=1e-3)
    assert clip.end == pytest.approx((PLANT_FIRST + PLANT_LEN) / FPS, abs=1e-3)
    info = probe(clip.path)
    assert info.duration == pytest.approx(PLANT_LEN / FPS, abs=0.15)
    assert info.has_audio
    assert info.frames == pytest.approx(PLANT_LEN, abs=1)


def test_silent_source_gives_a_silent_clip_and_sampling_by_fps(encoder, silent_video, tmp_path):
    t = encoder.encode_images(planted(1))[0]
    clip = Clipper(encoder, clip_len=2, stride=1, fps=2.0).clip(silent_video, t, tmp_path / "s.mp4")
    assert clip.start >= 3.0 - 1e-6 and clip.end <= 4.0 + 1e-6  # two frames at 2 fps inside the board
    assert clip.duration == pytest.approx(1.0, abs=1e-3)
    assert not probe(clip.path).has_audio


def test_clip_refuses_frames_in_memory_and_missing_files(encoder, tmp_path):
    clipper = Clipper(encoder)
    with pytest.raises(MediaError, match="write_video"):
        clipper.clip(np.zeros((4, 8, 8, 3), np.uint8), np.ones(encoder.dim), tmp_path / "x.mp4")
    with pytest.raises(MediaError):
        clipper.clip(tmp_path / "missing.mp4", np.ones(encoder.dim), tmp_path / "x.mp4")
