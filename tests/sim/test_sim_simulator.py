"""The user simulator: shapes, input forms, errors, and agreement with the world's ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from generec.data.sim import VOCAB, World, featurize
from generec.errors import DataError


def _prefix(meta: dict, n_frames: int) -> dict:
    """The first ``n_frames`` of an item, as an item dict (shots cut at the end)."""
    shots, left = [], n_frames
    for shot in meta["shots"]:
        if left <= 0:
            break
        shots.append({**shot, "n_frames": min(left, shot["n_frames"])})
        left -= shot["n_frames"]
    return {"shots": shots}


def test_users_prefer_items_made_of_their_top_attributes(meta_world: World) -> None:
    sim = meta_world.simulator()
    users = list(meta_world.users["id"][:100])
    best = [meta_world.taste_item_meta(u, liked=True) for u in users]
    worst = [meta_world.taste_item_meta(u, liked=False) for u in users]
    assert best[0]["shots"][0]["caption"]  # a real item description, renderable by render_item
    p_best = sim.click_prob(users, best, pairwise=True)
    p_worst = sim.click_prob(users, worst, pairwise=True)
    assert (p_best > p_worst).all()
    assert (sim.like_prob(users, best, pairwise=True) > sim.like_prob(users, worst, pairwise=True)).all()
    d_best = sim.expected_dwell(users, best, pairwise=True)
    assert (d_best > sim.expected_dwell(users, worst, pairwise=True)).all()


def test_logged_clicks_follow_the_hidden_utility(meta_world: World) -> None:
    # The interactions were drawn from the same model: clicked impressions have higher utility.
    ev = meta_world.events
    imp = ev[ev.kind == "impression"].drop_duplicates(["user_id", "item_id"])
    clicked = set(zip(*[ev[ev.kind == "click"][c] for c in ("user_id", "item_id")], strict=True))
    util = meta_world.simulator().utility(list(imp.user_id), list(imp.item_id), pairwise=True)
    mask = np.array([pair in clicked for pair in zip(imp.user_id, imp.item_id, strict=True)])
    assert util[mask].mean() > util[~mask].mean() + 0.3
    assert 0.1 < mask.mean() < 0.5


def test_shapes_and_input_forms(meta_world: World) -> None:
    sim = meta_world.simulator()
    users, items = ["u0000001", "u0000002", "u0000003"], ["v0000001", "v0000002"]
    m = sim.click_prob(users, items)
    assert m.shape == (3, 2) and ((m > 0) & (m < 1)).all()
    assert isinstance(sim.click_prob("u0000001", "v0000001"), float)
    assert sim.click_prob("u0000001", items).shape == (2,)
    assert sim.utility(users, {"category": "car"}).shape == (3,)
    metas = [meta_world.item_meta(i) for i in items]
    # Ids, metadata dicts and per-frame segment arrays agree on utility; popularity counts only for known items.
    assert np.allclose(sim.utility(users, items), sim.utility(users, metas), atol=1e-5)
    frames = [np.concatenate([np.repeat(featurize(s)[None], s["n_frames"], 0) for s in m["shots"]]) for m in metas]
    t = min(len(f) for f in frames)
    assert np.allclose(sim.utility(users, np.stack([f[:t] for f in frames])),
                       sim.utility(users, [_prefix(m, t) for m in metas]), atol=1e-5)  # fmt: skip
    assert np.allclose(sim.click_prob(users, items), sim.click_prob(users, metas), atol=1e-6)
    # A feature-matrix row is one shot: the same as that shot given as a dict.
    one_shot = [m["shots"][0] for m in metas]
    x = np.stack([featurize(s) for s in one_shot])
    assert np.allclose(sim.click_prob(users, x), sim.click_prob(users, one_shot), atol=1e-6)
    flat = {"category": ["car", "dog"], "scene": "snow"}
    assert 0 < sim.click_prob("u0000004", flat) < 1
    dwell = sim.expected_dwell(users, items)
    assert (sim.expected_dwell(users, items, given_click=False) < dwell).all()
    assert (dwell <= np.array([m["duration_s"] for m in metas])).all()


def test_bad_inputs_raise_clear_errors(meta_world: World) -> None:
    sim = meta_world.simulator()
    with pytest.raises(DataError, match="unknown user"):
        sim.click_prob("nobody", "v0000001")
    with pytest.raises(DataError, match="unknown item"):
        sim.click_prob("u0000001", ["v0000001", "v9999999"])
    with pytest.raises(DataError, match="unknown category 'dragon'"):
        sim.click_prob("u0000001", {"category": "dragon"})
    with pytest.raises(DataError, match="as many users as items"):
        sim.click_prob(["u0000001"], ["v0000001", "v0000002"], pairwise=True)
    with pytest.raises(DataError, match="columns"):
        sim.utility("u0000001", np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(DataError, match="no shots"):
        sim.utility("u0000001", {"shots": []})


def test_vectorised_for_many_pairs_and_sampling_is_seeded(meta_world: World) -> None:
    sim = meta_world.simulator()
    rng = np.random.default_rng(0)
    n = 200_000
    users = meta_world.users["id"].to_numpy()[rng.integers(0, 400, n)]
    items = meta_world.items["id"].to_numpy()[rng.integers(0, 150, n)]
    p = sim.click_prob(users, items, pairwise=True)
    assert p.shape == (n,)
    a, b = sim.respond(users[:1000], items[:1000], seed=3), sim.respond(users[:1000], items[:1000], seed=3)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert abs(a["click"].mean() - p[:1000].mean()) < 0.06
    assert not (a["like"] & ~a["click"]).any()


def test_all_vocabulary_values_are_scorable(meta_world: World) -> None:
    sim = meta_world.simulator()
    for attribute, values in VOCAB.items():
        scores = sim.utility("u0000005", [{attribute: v} for v in values])
        assert scores.shape == (len(values),)


def test_id_index_decodes_canonical_ids_and_falls_back() -> None:
    from generec.data.sim.simulator import IdIndex

    canonical = IdIndex(np.array([f"u{k:07d}" for k in range(5)]), "user")
    assert canonical.canonical
    assert canonical.rows(np.array(["u0000004", "u0000000"])).tolist() == [4, 0]
    assert canonical.rows(["u0000002"]).tolist() == [2]
    with pytest.raises(DataError, match="unknown user id 'u0000009'"):
        canonical.rows(["u0000009"])
    other = IdIndex(np.array(["alice", "bob"]), "user")
    assert not other.canonical and other.rows(["bob", "alice"]).tolist() == [1, 0]
    with pytest.raises(DataError, match="'carol'"):
        other.rows("carol")
