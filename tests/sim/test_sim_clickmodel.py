"""The realistic click model: shared population taste, soft-max over shots, and a time cost."""

from __future__ import annotations

import json

import numpy as np
import pytest

from generec.data.sim import World, WorldConfig, featurize
from generec.data.sim.clickmodel import ClickModel, aggregate
from generec.data.sim.users import population_weights
from generec.errors import DataError


def _frame_weighted_click(sim, users: list[str], meta: dict) -> np.ndarray:
    """Expected click prob of a uniformly random frame of the item, per user (exact, not sampled)."""
    shots = meta["shots"]
    p = sim.click_prob(users, shots)  # [users, shots], each shot alone
    w = np.asarray([s["n_frames"] for s in shots], dtype=np.float64)
    return p @ (w / w.sum())


def test_uploader_thumbnail_appeals_more_than_a_random_frame(meta_world: World) -> None:
    # The population taste is shared, and salient uploaders pick the shot it likes best.
    sim = meta_world.simulator()
    users = list(meta_world.users["id"])
    gaps, picked = [], []
    for iid in meta_world.items["id"]:
        meta = meta_world.item_meta(iid)
        thumb = meta["shots"][meta["thumbnail_shot"]]
        gaps.append(np.mean(sim.click_prob(users, [thumb])[:, 0] - _frame_weighted_click(sim, users, meta)))
        picked.append(meta["thumbnail_frame"] != 0)  # the rest just keep the first frame
    gaps, picked = np.asarray(gaps), np.asarray(picked)
    assert gaps.mean() > 0.01
    assert gaps[picked].mean() > 0.03 and (gaps[picked] > 0).mean() > 0.85
    print(
        f"gap {gaps.mean():.4f}; picked {gaps[picked].mean():.4f} ({(gaps[picked] > 0).mean():.2f} > 0); "
        f"first frame {gaps[~picked].mean():.4f}"
    )


def test_population_component_is_seeded_and_shared(meta_world: World) -> None:
    pop = meta_world.population_weights
    assert np.allclose(pop, population_weights(11, WorldConfig().population_taste), atol=1e-6)
    assert not np.array_equal(pop, population_weights(12, WorldConfig().population_taste))
    assert not population_weights(11, 0.0).any()
    # Every user carries it: the users' mean weights lean the same way as the shared taste.
    mean_w = meta_world.preferences[list(meta_world.features_names)].to_numpy().mean(axis=0)
    assert np.corrcoef(mean_w, pop)[0, 1] > 0.8


def test_aggregate_is_a_soft_max_between_mean_and_best() -> None:
    u = np.array([[0.0, 1.0, -2.0]])
    share = np.array([[0.5, 0.25, 0.25]])
    mean, best = float(u[0] @ share[0]), 1.0
    soft = float(aggregate(u, share, 0.3)[0])
    assert mean < soft < best
    assert float(aggregate(u, share, 1e4)[0]) == pytest.approx(mean, abs=1e-3)
    assert float(aggregate(u, share, 1e-3)[0]) == pytest.approx(best, abs=0.01)
    padded = aggregate(np.array([[1.0, 50.0]]), np.array([[1.0, 0.0]]), 0.3)  # share 0 is padding
    assert float(padded[0]) == pytest.approx(1.0)
    with pytest.raises(DataError, match="temperature"):
        aggregate(u, share, 0.0)


def test_a_video_with_the_favourite_shot_beats_a_random_shot_of_it(meta_world: World) -> None:
    sim = meta_world.simulator()
    users = list(meta_world.users["id"][:120])
    rng = np.random.default_rng(0)
    all_shots = [s for i in meta_world.items["id"][:40] for s in meta_world.item_meta(i)["shots"]]
    wins = []
    for u in users:
        fav = {**meta_world.taste_item_meta(u, liked=True, shots=1)["shots"][0], "n_frames": 8}
        others = [dict(all_shots[k], n_frames=8) for k in rng.choice(len(all_shots), 2, replace=False)]
        video = {"shots": [others[0], fav, others[1]]}
        p_video = sim.click_prob(u, video)
        p_random_shot = float(np.mean(sim.click_prob(u, [fav, *others])))
        wins.append(p_video > p_random_shot)
    assert np.mean(wins) > 0.9


def test_time_cost_favours_the_shorter_clip_of_the_same_best_shot(meta_world: World) -> None:
    sim = meta_world.simulator()
    model = sim.model
    users = list(meta_world.users["id"][:50])
    other = dict(meta_world.item_meta("v0000003")["shots"][0], n_frames=8, duration_s=1.0)
    for u in users:
        best = dict(meta_world.taste_item_meta(u, liked=True, shots=1)["shots"][0], n_frames=8, duration_s=1.0)
        short, padded, doubled = {"shots": [best]}, {"shots": [best, other]}, {"shots": [best, best]}
        sat = sim.satisfaction(u, [short, padded, doubled])
        assert sat[0] > sat[1] and sat[0] > sat[2]
        # The same content for twice as long costs exactly the time, and only after the click.
        assert sat[0] - sat[2] == pytest.approx(model.time_cost * 1.0, abs=1e-5)
        assert sim.click_prob(u, short) == pytest.approx(sim.click_prob(u, doubled), abs=1e-6)
        assert sim.like_prob(u, short) > sim.like_prob(u, doubled)
        assert sim.expected_dwell(u, short) < sim.expected_dwell(u, doubled)  # watched share drops, not seconds


def test_model_parameters_come_from_the_config_and_are_saved(tmp_path) -> None:
    world = World.build(tmp_path / "w", users=12, items=8, seed=2, media=False, instructions=0, progress=False,
                        temperature=0.7, time_cost=0.05, population_taste=0.0)  # fmt: skip
    assert world.click_model == ClickModel(temperature=0.7, time_cost=0.05)
    assert world.simulator().model.temperature == 0.7
    assert not world.population_weights.any()
    for bad in ({"temperature": 0.0}, {"time_cost": -1.0}, {"population_taste": -0.5}):
        with pytest.raises(DataError, match=next(iter(bad))):
            WorldConfig(**bad).validate()


def test_old_format_worlds_are_refused_with_a_rebuild_hint(tmp_path) -> None:
    world = World.build(tmp_path / "w", users=5, items=4, seed=1, media=False, instructions=0, progress=False)
    info = json.loads((world.root / "world.json").read_text())
    info.pop("format_version")
    (world.root / "world.json").write_text(json.dumps(info))
    with pytest.raises(DataError, match=r"format 1.*rebuild it with .*--overwrite"):
        World.load(world.root)


def test_shot_truth_matches_item_metadata(meta_world: World) -> None:
    truth = meta_world.shot_truth
    meta = meta_world.item_meta("v0000004")
    rows = truth[truth["item_row"] == 4]
    assert len(rows) == len(meta["shots"]) and rows["share"].sum() == pytest.approx(1.0)
    x = rows[list(meta_world.features_names)].to_numpy()
    assert np.allclose(x, np.stack([featurize(s) for s in meta["shots"]]))
