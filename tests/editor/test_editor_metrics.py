"""Cosine@K, PS@K and the user-side Click@K / Like@K (through the world's simulator) on a tiny GeneRec-Sim world."""

from __future__ import annotations

import numpy as np
import pytest

from generec.data.sim import clickmodel as cm
from generec.editor.batch import PackedFrames
from generec.editor.cover_prior import PriorSettings
from generec.errors import ConfigError, DataError
from generec.evaluation.personalization import (
    CLIPPING_METHODS,
    EQ1,
    EQ1_PRIOR,
    EQ2,
    EQ2_COS,
    EQ2_COS_PRIOR,
    EQ2_PRIOR,
    THUMBNAIL_METHODS,
    clipping_experiment,
    cosine_at_k,
    prepare_world,
    thumbnail_experiment,
    user_side_scores,
)
from generec.evaluation.personalization_tuning import floor_z, split_users, tune_prior


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from generec.data.sim import World

    root = tmp_path_factory.mktemp("world")
    World.build(root, users=40, items=24, seed=1, instructions=5, progress=False, workers=1)
    return root


@pytest.fixture(scope="module")
def data(world, encoder):
    return prepare_world(world, encoder, mmgcn_epochs=3, progress=False)


def test_cosine_at_k_is_the_mean_pairwise_cosine():
    rng = np.random.default_rng(0)
    liked = rng.normal(size=(3, 8))
    liked /= np.linalg.norm(liked, axis=1, keepdims=True)
    shown = rng.normal(size=(1, 4, 8))
    unit = shown / np.linalg.norm(shown, axis=-1, keepdims=True)
    expected = np.mean([[u @ v for v in liked] for u in unit[0]])
    assert cosine_at_k(shown, liked.mean(axis=0)[None])[0] == pytest.approx(expected, rel=1e-5)


def test_thumbnail_table(data, tmp_path):
    result = thumbnail_experiment(data, ks=(2, 4), runs=3, seed=1, prior=PriorSettings())
    table = result.table
    assert list(table.index) == list(THUMBNAIL_METHODS)
    for metric in ("Cosine@2", "PS@4", "Click@4"):
        assert np.isfinite(table[metric]).all() and (table[f"{metric} sd"] >= 0).all()
    assert ((table["Click@2"] > 0) & (table["Click@2"] < 1)).all()
    assert not any(m.startswith("Like") for m in result.metrics)  # a thumbnail says nothing about watching
    # Eq. 1 maximises the cosine with t* over the frames, so it beats a random frame in every run.
    sel, rnd = result.runs[("Selection (Eq. 1)", "Cosine@4")], result.runs[("Random Frame", "Cosine@4")]
    assert (sel >= rnd).all()
    again = thumbnail_experiment(data, ks=(2, 4), runs=3, seed=1, prior=PriorSettings()).table
    assert table.equals(again)  # same seed, same numbers
    csv, png = result.save(tmp_path, "t1")
    assert csv.is_file() and png.stat().st_size > 1000 and (tmp_path / "t1_gaps.csv").is_file()
    assert "encoder" in result.format() and "split" in result.format()


def test_clipping_table(data):
    result = clipping_experiment(data, clip_len=4, stride=2, ks=(3,), runs=2, prior=PriorSettings(margin=0.1))
    assert list(result.table.index) == list(CLIPPING_METHODS)
    assert result.metrics == ["Cosine@3", "PS@3", "Click@3", "Like@3"]
    assert ((result.table["Like@3"] > 0) & (result.table["Like@3"] < 1)).all()
    gaps = result.gaps
    assert set(gaps["worse"]) == {"Unclipped", "1st Clip", "Random clip"} and "Like@3" in set(gaps["metric"])
    assert gaps["runs_won"].between(0, 1).all()


def test_random_frame_cosine_measures_the_shared_direction(data):
    from dataclasses import replace

    from generec.editor.batch import PackedFrames

    value = data.random_frame_cosine()
    assert 0.0 <= value <= 1.0
    assert (
        f"mean cosine of two random frames {value:.3f}"
        in clipping_experiment(data, clip_len=4, ks=(3,), runs=1, prior=PriorSettings()).note
    )
    # Known geometries: every frame the same direction (a cone of width 0) and +/- pairs (centred).
    same = PackedFrames.pack([np.tile([[3.0, 4.0]], (n, 1)) for n in (2, 5)])
    assert replace(data, frames=same).random_frame_cosine() == pytest.approx(1.0)
    centred = PackedFrames.pack([np.array([[1.0, 0.0], [-1.0, 0.0]]), np.array([[0.0, 2.0], [0.0, -2.0]])])
    assert replace(data, frames=centred).random_frame_cosine() == pytest.approx(0.0, abs=1e-12)
    # Padding frames (beyond each item's length) do not count.
    padded = PackedFrames.pack([np.array([[1.0, 0.0]]), np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])])
    assert replace(data, frames=padded).random_frame_cosine() == pytest.approx(1.0)


def test_whole_video_user_side_is_the_simulators_item_score(data):
    # Unclipped, frame by frame, must give what the simulator says for the item itself (its shots
    # weighted by running time, its true duration): the per-frame path loses nothing.
    sim = data.world.simulator()
    users = data.user_ids[:6]
    items = np.stack([c[:3] for c in data.candidates[:6]])
    lengths = data.attrs.lengths[items]
    click, like = user_side_scores(sim, users, data.attrs, data.fps, items, np.zeros_like(items), lengths)
    ids, who = data.item_ids[items].ravel(), np.repeat(users, 3)
    expected_click = sim.click_prob(who, ids, pairwise=True, popularity=False)
    np.testing.assert_allclose(click.ravel(), expected_click, rtol=1e-4)
    np.testing.assert_allclose(like.ravel(), sim.like_prob(who, ids, pairwise=True), rtol=1e-3)


def _planted(data):
    """One item of 24 frames: 8 of the user's least liked feature, 8 of their favourite, 8 of the worst again."""
    sim = data.world.simulator()
    user = data.user_ids[0]
    w = sim.weights[sim.user_index([user])[0]]
    fav, bad = np.eye(len(w), dtype=np.float32)[[np.argmax(w), np.argmin(w)]]
    attrs = PackedFrames.pack([np.stack([bad] * 8 + [fav] * 8 + [bad] * 8)])
    return sim, np.asarray([user]), attrs, np.asarray([8.0])


def test_a_window_with_the_favourite_shot_wins_through_the_simulator(data):
    sim, user, attrs, fps = _planted(data)
    items = np.zeros((1, 4), dtype=np.int64)
    start, length = np.asarray([[0, 8, 4, 0]]), np.asarray([[8, 8, 8, 24]])  # bad | fav | half-half | whole
    click, like = (x[0] for x in user_side_scores(sim, user, attrs, fps, items, start, length))
    assert click[1] > click[2] > click[0] and like[1] > like[2] > like[0]
    # soft-max, not the mean: a third of the video being the favourite shot is most of the pull
    mean_util = sim.weights[sim.user_index(user)[0]] @ attrs.features[0].mean(axis=0)
    assert click[3] > float(cm.click_prob(np.asarray(mean_util), 0.0, sim.model))
    assert click[3] < click[1]  # ... minus tau * log(1 / share)
    # the time cost: the whole video (3 s) is liked less than its best second, which it contains
    assert like[3] < like[1]


def test_clicks_ignore_duration_likes_pay_for_it(data):
    sim, user, _, fps = _planted(data)
    fav = np.eye(sim.weights.shape[1], dtype=np.float32)[np.argmax(sim.weights[sim.user_index(user)[0]])]
    attrs = PackedFrames.pack([np.stack([fav] * 32)])
    items = np.zeros((1, 2), dtype=np.int64)
    click, like = user_side_scores(sim, user, attrs, fps, items, np.zeros((1, 2)), np.asarray([[8, 32]]))
    assert click[0, 0] == pytest.approx(click[0, 1])
    sat = cm.satisfaction(np.asarray(sim.utility(user, fav[None, None], pairwise=True)), np.asarray([1.0, 4.0]),
                          sim.model)  # fmt: skip
    np.testing.assert_allclose(like[0], cm.like_prob(sat, sim.model), rtol=1e-5)
    assert like[0, 0] > like[0, 1]


def test_user_side_scores_reject_bad_windows(data):
    sim, user, attrs, fps = _planted(data)
    zeros = np.zeros((1, 1), dtype=np.int64)
    with pytest.raises(DataError, match="inside its item"):
        user_side_scores(sim, user, attrs, fps, zeros, zeros + 20, zeros + 8)  # runs past frame 24
    with pytest.raises(DataError, match="at least one frame"):
        user_side_scores(sim, user, attrs, fps, zeros, zeros, zeros)
    with pytest.raises(DataError, match="users=1"):
        user_side_scores(sim, user, attrs, fps, np.zeros((1, 2), dtype=np.int64), zeros, zeros + 1)
    with pytest.raises(DataError, match="unknown user"):
        user_side_scores(sim, np.asarray(["nobody"]), attrs, fps, zeros, zeros, zeros + 1)


def test_prior_is_tuned_on_validation_users_and_reported_on_the_others(data):
    valid, test = split_users(data, 0.3, seed=0)
    assert not set(valid.user_ids) & set(test.user_ids)
    assert len(valid.users) + len(test.users) == len(data.users)
    result = thumbnail_experiment(data, ks=(3,), runs=2, seed=0)
    assert f"reported on the other {len(test.users)}" in result.note
    assert f"on {len(valid.users)} validation users" in result.note
    for similarity in ("dot", "cosine"):
        choice = tune_prior(valid, "clipping", k=3, runs=1, clip_len=4, similarity=similarity)
        assert isinstance(choice.settings, PriorSettings) and choice.n_settings == 60
        assert choice.settings == PriorSettings.paper() or choice.bound > 0  # a kept setting clears the floor
    with pytest.raises(ConfigError, match="task"):
        tune_prior(valid, "covers")
    with pytest.raises(ConfigError, match="clipping"):  # a frame is one unit vector: cosine is the dot rule
        tune_prior(valid, "thumbnails", similarity="cosine")
    with pytest.raises(ConfigError, match="similarity"):
        tune_prior(valid, "clipping", similarity="l1")
    with pytest.raises(ConfigError, match="valid_fraction"):
        split_users(data, 1.0, seed=0)


def test_safety_floor_is_bonferroni_corrected_and_falls_back_to_the_paper(data):
    assert floor_z(1) == pytest.approx(1.6449, abs=1e-4) and floor_z(60) == pytest.approx(3.1440, abs=1e-4)
    # one validation user gives no standard error: nothing can clear the floor, so plain Eq. 1 is used
    choice = tune_prior(data.subset(np.asarray([0])), "thumbnails", k=3, runs=1)
    assert choice.settings == PriorSettings.paper() and "no grid setting" in choice.describe()
    with pytest.raises(ConfigError, match="alpha"):
        floor_z(60, alpha=1.5)


def test_paper_settings_make_the_prior_rows_equal_eq1_and_eq2(data):
    t1 = thumbnail_experiment(data, ks=(3,), runs=2, prior=PriorSettings.paper())
    for metric in t1.metrics:
        np.testing.assert_allclose(t1.runs[(EQ1_PRIOR, metric)], t1.runs[(EQ1, metric)], rtol=1e-6)
    assert "given" in t1.note
    t2 = clipping_experiment(data, clip_len=4, ks=(3,), runs=1, prior=PriorSettings.paper())
    for metric in t2.metrics:
        np.testing.assert_allclose(t2.runs[(EQ2_PRIOR, metric)], t2.runs[(EQ2, metric)], rtol=1e-6)
        np.testing.assert_allclose(t2.runs[(EQ2_COS_PRIOR, metric)], t2.runs[(EQ2_COS, metric)], rtol=1e-6)


def test_cosine_rows_leave_the_papers_eq2_row_alone_and_win_cosine_at_k(data):
    from generec.editor.batch import batch_clip
    from generec.evaluation.personalization import window_mean

    t2 = clipping_experiment(data, clip_len=4, ks=(3,), runs=2, seed=5, prior=PriorSettings.paper())
    # the Eq. 2 row is the paper's dot rule, recomputed here from its definition
    best = batch_clip(data.t_star, data.frames, 4, 1)
    rows = np.arange(len(data.users))[:, None]
    for r in range(2):
        rng = np.random.default_rng([5, r])
        items = np.stack([rng.choice(c, size=3, replace=False) for c in data.candidates])
        win = np.minimum(data.frames.lengths, 4)[items]
        feats = window_mean(data.frame_sums, items, best[rows, items].astype(np.int64), win)
        assert t2.runs[(EQ2, "Cosine@3")][r] == pytest.approx(float(cosine_at_k(feats, data.t_star).mean()), rel=1e-6)
    # the cosine rule maximises each shown clip's cosine with t*, which Cosine@K averages
    assert (t2.runs[(EQ2_COS, "Cosine@3")] >= t2.runs[(EQ2, "Cosine@3")] - 1e-7).all()
    assert "cos(t*, c*)" in t2.note


def test_bad_protocol_parameters(data):
    with pytest.raises(DataError, match="exceeds"):
        thumbnail_experiment(data, ks=(10_000,), runs=1)
    with pytest.raises(DataError, match="runs"):
        thumbnail_experiment(data, runs=0)


@pytest.mark.slow
def test_reproduce_commands_print_and_save(world, encoder, tmp_path, capsys):
    from generec.cli import main

    enc_dir = encoder.save_pretrained(tmp_path / "enc")
    common = ["--world", str(world), "--encoder", str(enc_dir), "--out", str(tmp_path / "res"), "--runs", "2",
              "--epochs", "2"]  # fmt: skip
    assert main(["reproduce", "thumbnails", *common]) == 0
    out = capsys.readouterr().out
    assert "Table 1" in out and "Original" in out and encoder.id in out and "per-run gaps" in out
    assert main(["reproduce", "clipping", *common, "--clip-len", "4"]) == 0
    assert "Table 2" in capsys.readouterr().out
    assert {p.name for p in (tmp_path / "res").iterdir()} >= {"table1_thumbnails.csv", "table2_clipping_L4.png"}
    assert main(["reproduce", "clipping", *common, "--clip-len", "0"]) != 0
    assert "clip_len" in capsys.readouterr().err


def _rotated_judge(data, thumb_sign: float = 1.0):
    """A judge whose space is the encoder's, rotated: cosines unchanged; ``thumb_sign=-1`` flips the covers only."""
    from generec.evaluation.personalization import JudgeSpace

    q, _ = np.linalg.qr(np.random.default_rng(3).normal(size=(data.thumbs.shape[1],) * 2))
    return JudgeSpace("rotated", data.frame_sums @ q, thumb_sign * data.thumbs @ q, data.t_star @ q, 0.0)


def test_a_rotated_judge_grades_every_method_like_cosine(data):
    from dataclasses import replace

    judged = replace(data, judge=_rotated_judge(data))
    thumbs = thumbnail_experiment(judged, ks=(3,), runs=2, prior=PriorSettings(margin=0.1))
    clips = clipping_experiment(judged, clip_len=4, stride=2, ks=(3,), runs=2, prior=PriorSettings())
    for result in (thumbs, clips):
        assert "Cosine-judge@3" in result.metrics and "rotated" in result.note
        for method in result.methods:
            assert result.runs[(method, "Cosine-judge@3")] == pytest.approx(result.runs[(method, "Cosine@3")], abs=1e-5)


def test_the_judge_sees_the_cover_image_exactly_where_it_is_shown(data):
    from dataclasses import replace

    # Covers flipped in the judge's space (t* kept): what shows the cover reads -Cosine, what shows frames +Cosine.
    flipped = replace(data, judge=_rotated_judge(data, thumb_sign=-1.0))
    runs = thumbnail_experiment(flipped, ks=(3,), runs=2, prior=PriorSettings()).runs
    assert runs[("Original", "Cosine-judge@3")] == pytest.approx(-runs[("Original", "Cosine@3")], abs=1e-5)
    for frames_only in ("Random Frame", EQ1):
        assert runs[(frames_only, "Cosine-judge@3")] == pytest.approx(runs[(frames_only, "Cosine@3")], abs=1e-5)
    runs = clipping_experiment(flipped, clip_len=4, stride=2, ks=(3,), runs=2, prior=PriorSettings()).runs
    for clip in ("Unclipped", "1st Clip", EQ2_PRIOR):  # a clip is never the cover picture
        assert runs[(clip, "Cosine-judge@3")] == pytest.approx(runs[(clip, "Cosine@3")], abs=1e-5)


def test_prepare_world_encodes_the_same_frames_for_the_judge(world, encoder, data):
    from generec.encoders.dual import DualEncoderConfig, GeneRecEncoder

    judge = GeneRecEncoder(DualEncoderConfig(dim=16), seed=5)
    judged = prepare_world(world, encoder, model=data.model, progress=False, judge=judge)
    j = judged.judge
    assert j.encoder_id == judge.id and j.thumbs.shape == (len(data.item_ids), 16)
    assert j.frame_sums.shape[:2] == data.frame_sums.shape[:2] and j.t_star.shape == (len(data.users), 16)
    # t* is the mean of the liked thumbnails' unit features, so its norm is at most 1.
    assert (np.linalg.norm(j.t_star, axis=1) <= 1 + 1e-5).all() and 0.0 <= j.random_frame_cosine <= 1.0
    sub = judged.subset(np.arange(3))
    np.testing.assert_array_equal(sub.judge.t_star, j.t_star[:3])
    np.testing.assert_allclose(judged.t_star, data.t_star, atol=1e-6)  # the selecting encoder's view is unchanged


def test_cover_features_come_from_the_cache_the_second_time(world, encoder, data, tmp_path):
    from generec.encoders import FeatureCache
    from generec.encoders.dual import GeneRecEncoder

    class Counting(GeneRecEncoder):
        calls = 0

        def encode_images(self, images):
            Counting.calls += len(images)
            return super().encode_images(images)

    counting = Counting(encoder.config, encoder.model, text_tower=encoder.text_tower, model_id=encoder.id)
    cache = FeatureCache(tmp_path / "cache")
    first = prepare_world(world, counting, model=data.model, cache=cache, progress=False)
    encoded = Counting.calls
    assert encoded >= len(data.item_ids)  # the covers and the frames were encoded once
    again = prepare_world(world, counting, model=data.model, cache=cache, progress=False)
    assert Counting.calls == encoded  # nothing encoded the second time: frames and covers both cached
    np.testing.assert_array_equal(again.thumbs, first.thumbs)
    np.testing.assert_allclose(first.thumbs, data.thumbs, atol=1e-6)  # the same features as without a cache
