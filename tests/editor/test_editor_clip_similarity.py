"""Eq. 2 scored by cosine (beyond the paper) vs the paper's dot product: they differ when clip means differ in norm."""

from __future__ import annotations

import math

import numpy as np
import pytest

from generec.editor import Clipper, PackedFrames, batch_clip, loop_clip
from generec.editor.batch import batch_clip_prior
from generec.editor.clipping import clip_cosines, clip_means, clip_scores
from generec.editor.cover_prior import CoverPrior, PriorSettings
from generec.editor.thumbnail_selection import FrameFeatures
from generec.encoders import l2_normalize
from generec.errors import ConfigError

# Clip A (frames 0-1): two identical frames, a long mean [.96, .28]; t . A = 1.24 but cos(t, A) = .88.
# Clip B (frames 2-3): two orthogonal frames, a short mean [.5, .5] along t; t . B = 1.0 but cos = 1.
FRAMES = np.array([[0.96, 0.28], [0.96, 0.28], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
T = np.array([1.0, 1.0], dtype=np.float32)


def test_dot_and_cosine_pick_differently_when_clip_means_differ_in_length():
    starts, dots = clip_scores(FRAMES @ T, clip_len=2, stride=2)
    _, cos = clip_cosines(FRAMES, T, clip_len=2, stride=2)
    assert starts.tolist() == [0, 2]
    np.testing.assert_allclose(dots, [1.24, 1.0], atol=1e-6)
    np.testing.assert_allclose(cos, [1.24 / math.sqrt(2), 1.0], atol=1e-6)
    assert int(np.argmax(dots)) == 0 and int(np.argmax(cos)) == 1
    _, means = clip_means(FRAMES, 2, 2)
    np.testing.assert_allclose(means @ T, dots, atol=1e-6)  # Eq. 2's t* . c* is the mean frame score


def test_clipper_default_is_the_papers_dot_product(encoder):
    feats = FrameFeatures(np.arange(4) / 4.0, FRAMES, rate=4.0, duration=1.0)
    default = Clipper(encoder, clip_len=2, stride=2)
    assert default.similarity == "dot"
    assert default.choose_from_features(feats, T).first == 0
    chosen = Clipper(encoder, clip_len=2, stride=2, similarity="cosine").choose_from_features(feats, T)
    assert chosen.first == 2 and chosen.score == pytest.approx(1.0, abs=1e-6)
    assert (chosen.start, chosen.end) == pytest.approx((0.5, 1.0))


def test_batch_cosine_differs_from_dot_and_default_is_unchanged():
    users = np.stack([T, np.array([1.0, 0.0], np.float32)])
    packed = PackedFrames.pack([FRAMES, FRAMES[::-1].copy()])
    dot = batch_clip(users, packed, 2, 2)
    assert np.array_equal(dot, batch_clip(users, packed, 2, 2, similarity="dot"))
    assert np.array_equal(dot, loop_clip(users, [FRAMES, FRAMES[::-1]], 2, 2))
    cos = batch_clip(users, packed, 2, 2, similarity="cosine")
    assert dot[0].tolist() == [0, 2] and cos[0].tolist() == [2, 0]  # user t: A by dot, B by cosine
    assert cos[1].tolist() == [0, 2]  # user [1, 0]: A is the closest in angle, too


@pytest.mark.parametrize(("clip_len", "stride"), [(3, 1), (4, 2), (32, 1)])
def test_batch_cosine_equals_the_per_user_rule(clip_len, stride):
    rng = np.random.default_rng(4)
    # anisotropic unit features (a shared direction), as an ImageNet or CLIP encoder gives
    items = [l2_normalize(rng.normal(size=(n, 6)) + 1.5).astype(np.float32) for n in (2, 7, 9, 12)]
    users = rng.normal(size=(11, 6)).astype(np.float32)
    got = batch_clip(users, PackedFrames.pack(items), clip_len, stride, chunk_bytes=512, similarity="cosine")
    for u, t in enumerate(users):
        for i, f in enumerate(items):
            starts, cos = clip_cosines(f, t, clip_len, stride)
            assert got[u, i] == starts[int(np.argmax(cos))]


def test_cover_prior_with_paper_settings_gives_the_cosine_rule_back():
    rng = np.random.default_rng(8)
    items = [l2_normalize(rng.normal(size=(n, 6)) + 1.0).astype(np.float32) for n in (5, 9, 12)]
    packed = PackedFrames.pack(items)
    covers = np.stack([f[1] for f in items])
    prior, paper = CoverPrior().fit(covers, packed), PriorSettings.paper()
    users = rng.normal(size=(9, 6)).astype(np.float32)
    pick = batch_clip_prior(prior.guidance(users, paper), packed, prior, paper, 3, 1, similarity="cosine")
    assert np.array_equal(pick.best, batch_clip(users, packed, 3, 1, similarity="cosine"))


def test_unknown_similarity_is_refused(encoder, capsys):
    with pytest.raises(ConfigError, match="'dot'.*'cosine'"):
        Clipper(encoder, similarity="euclid")
    with pytest.raises(ConfigError, match="similarity"):
        batch_clip(T[None], PackedFrames.pack([FRAMES]), 2, similarity="Cosine")
    from generec.cli import main

    assert main(["edit", "clip", "none.mp4", "-o", "x.mp4", "--text", "a", "--similarity", "l2"]) != 0
    assert "similarity must be 'dot'" in " ".join(capsys.readouterr().err.split())
