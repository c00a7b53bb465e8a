"""The cover prior: default-cover detection, the cover-worthiness direction, and batch selection/clipping with it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from generec.editor.batch import (
    PackedFrames,
    batch_clip,
    batch_clip_prior,
    batch_select,
    batch_select_prior,
    cover_clip_start,
)
from generec.editor.clipping import clip_scores
from generec.editor.cover_prior import CoverPrior, PriorSettings
from generec.encoders import l2_normalize
from generec.errors import ConfigError, ModelError


@pytest.fixture
def catalogue():
    rng = np.random.default_rng(5)
    items = [l2_normalize(rng.normal(size=(n, 12))).astype(np.float32) for n in (6, 9, 4, 12, 9, 7)]
    packed = PackedFrames.pack(items)
    # covers: items 0, 2 and 5 use their first frame (a default), the others a chosen frame, slightly re-encoded
    frames = [0, 5, 0, 7, 3, 0]
    covers = l2_normalize(np.stack([f[k] + 0.01 * rng.normal(size=12) for f, k in zip(items, frames, strict=True)]))
    users = rng.normal(size=(23, 12)).astype(np.float32)
    return users, items, packed, covers.astype(np.float32), np.asarray(frames)


def test_defaults_and_direction_are_learnt_from_the_catalogue(catalogue):
    _, items, packed, covers, frames = catalogue
    prior = CoverPrior().fit(covers, packed)
    assert prior.default_.tolist() == [True, False, True, False, False, True]
    assert prior.cover_frame_.tolist() == frames.tolist()
    lift = np.mean([covers[i] - items[i].mean(axis=0) for i in (1, 3, 4)], axis=0)
    np.testing.assert_allclose(prior.direction_, lift / np.linalg.norm(lift), rtol=1e-4, atol=1e-6)
    assert np.linalg.norm(prior.direction_) == pytest.approx(1.0, abs=1e-5)
    margins = prior.margins(PriorSettings(margin=0.3))
    assert margins.tolist() == pytest.approx([0.0, 0.3, 0.0, 0.3, 0.3, 0.0])


def _loop_select(guides, items, covers, settings, margins):
    """Reference: per user and item, score every frame and the cover, keep the cover within the margin."""
    best = np.zeros((len(guides), len(items)), int)
    kept = np.zeros_like(best, bool)
    for u, g in enumerate(guides):
        for i, f in enumerate(items):
            s = f @ g + settings.similarity * (f @ covers[i])
            best[u, i] = int(np.argmax(s))
            kept[u, i] = s.max() - (covers[i] @ g + settings.similarity) <= margins[i]
    return best, kept


@pytest.mark.parametrize("settings", [PriorSettings(), PriorSettings(0.5, 1.0, 0.1), PriorSettings(2.0, 0.0, 0.0)])
def test_batch_select_with_prior_equals_the_loop(catalogue, settings):
    users, items, packed, covers, _ = catalogue
    prior = CoverPrior().fit(covers, packed)
    guides = prior.guidance(users, settings)
    pick = batch_select_prior(guides, packed, prior, settings, chunk_bytes=256)
    best, kept = _loop_select(guides, items, covers, settings, prior.margins(settings))
    assert np.array_equal(pick.best, best)
    assert np.array_equal(pick.kept(prior.margins(settings)), kept)
    if math.isinf(settings.margin):  # every deliberate cover stays
        assert pick.kept(prior.margins(settings))[:, ~prior.default_].all()


def test_paper_settings_give_eq1_and_eq2_back(catalogue):
    users, _, packed, covers, _ = catalogue
    prior, paper = CoverPrior().fit(covers, packed), PriorSettings.paper()
    guides = prior.guidance(users, paper)
    pick = batch_select_prior(guides, packed, prior, paper)
    assert np.array_equal(pick.best, batch_select(users, packed))
    assert not pick.kept(prior.margins(paper)).any()
    clips = batch_clip_prior(guides, packed, prior, paper, clip_len=4, stride=2)
    assert np.array_equal(clips.best, batch_clip(users, packed, 4, 2))
    assert not clips.kept(prior.margins(paper)).any()


def test_clip_prior_compares_with_the_clip_around_the_cover(catalogue):
    users, items, packed, covers, _ = catalogue
    settings = PriorSettings(cover_weight=1.0, similarity=0.5, margin=0.05)
    prior = CoverPrior().fit(covers, packed)
    guides = prior.guidance(users, settings)
    pick = batch_clip_prior(guides, packed, prior, settings, clip_len=4, stride=1)
    start = cover_clip_start(prior.cover_frame_, packed.lengths, 4)
    assert (start >= 0).all() and (start + 4 <= packed.lengths).all()
    u, i = 3, 3
    f = items[i]
    _, scores = clip_scores(f @ guides[u] + settings.similarity * (f @ covers[i]), 4, 1)
    assert pick.best[u, i] == int(np.argmax(scores))
    assert pick.gap[u, i] == pytest.approx(scores.max() - scores[start[i]], abs=1e-5)


def test_bad_settings_and_unfitted_prior(catalogue):
    users, _, packed, covers, _ = catalogue
    with pytest.raises(ConfigError, match="cover_weight"):
        PriorSettings(cover_weight=-1.0)
    with pytest.raises(ConfigError, match="similarity"):
        PriorSettings(similarity=math.nan)
    with pytest.raises(ConfigError, match="margin"):
        PriorSettings(margin=math.nan)
    with pytest.raises(ConfigError, match="tolerance"):
        CoverPrior(default_tolerance=-0.1)
    with pytest.raises(ModelError, match="not fitted"):
        CoverPrior().guidance(users, PriorSettings())
    with pytest.raises(ModelError, match="one per item"):
        CoverPrior().fit(covers[:2], packed)
    # a catalogue of default covers only: nothing to learn, a zero direction (the prior is then t* alone)
    firsts = packed.features[:, 0]
    assert not np.any(CoverPrior().fit(firsts, packed).direction_)
