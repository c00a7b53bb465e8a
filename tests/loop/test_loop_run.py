"""The closed loop on a small world: runs, is deterministic per seed, bounded, and the systems differ."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from generec.errors import GeneRecError
from generec.evaluation.loop import (
    GroundTruth,
    LoopConfig,
    _build_template,
    _run_user,
    _system,
    run_loop,
)
from generec.evaluation.loop_parts import favourite_request, match_share, unmet_users
from generec.evaluation.loop_report import table_rows, write_outputs

SMALL = LoopConfig(users=3, rounds=2, seeds=(0, 1), k=4)


@pytest.fixture(scope="module")
def result(loop_world, tmp_path_factory):
    return run_loop(loop_world, SMALL, workdir=tmp_path_factory.mktemp("run"), progress=False)


def test_loop_runs_and_metrics_are_rates(result) -> None:
    per_seed = result.per_seed()
    assert set(per_seed["system"]) == {"retrieval", "editing", "full"}
    assert set(per_seed["seed"]) == {0, 1} and set(per_seed["group"]) == {"all", "unmet"}
    for key in ("ctr", "like_rate", "p_click", "satisfaction", "best_satisfaction", "met_rate"):
        values = [v for v in per_seed[key] if not math.isnan(v)]
        assert values and all(0.0 <= v <= 1.0 for v in values), key
    assert (per_seed["rounds_to_meet"].dropna().between(1, SMALL.rounds + 1)).all()
    assert (result.per_user["impressions"] <= SMALL.rounds * SMALL.k).all()
    assert any("creation: not available" in n for n in result.notes)
    summary = result.summary()
    assert {"satisfaction_mean", "satisfaction_std"} <= set(summary.columns)
    assert len(table_rows(result)) == 6
    gain = result.paired_gain("satisfaction")
    assert gain["seeds"] == 2 and 0 <= gain["wins"] <= 2
    with pytest.raises(GeneRecError):
        result.paired_gain("satisfaction", system="magic")


def test_retrieval_never_enqueues_and_editing_may(result) -> None:
    df = result.per_user
    assert (df[df["system"] == "retrieval"]["jobs"] == 0).all()
    assert df[df["system"] != "retrieval"]["jobs"].sum() > 0  # the unmet users with a partial match get clips


def test_same_seed_same_result(loop_world, result, tmp_path: Path) -> None:
    again = run_loop(loop_world, LoopConfig(users=3, rounds=2, seeds=(1,), k=4, systems=("editing",)),
                     workdir=tmp_path, progress=False)  # fmt: skip
    first = result.per_user[(result.per_user["seed"] == 1) & (result.per_user["system"] == "editing")]
    assert again.per_user.reset_index(drop=True).equals(first.reset_index(drop=True))


def test_subgroup_is_users_without_a_good_corpus_item(loop_world) -> None:
    truth = GroundTruth(loop_world)
    corpus = truth.corpus_shots()
    users = loop_world.preferences["user_id"].astype(str).tolist()
    requests = {u: favourite_request(loop_world.user_preferences(u)) for u in users}
    unmet = unmet_users(requests, corpus, 0.75)
    assert 0 < len(unmet) < len(users)
    for u in users:
        best = max(match_share(s, requests[u]) for s in corpus.values())
        assert (best < 0.75) == (u in unmet)


def test_a_clip_meets_an_unmet_request_and_retrieval_makes_nothing(loop_world, tmp_path: Path) -> None:
    truth = GroundTruth(loop_world)
    users = loop_world.preferences["user_id"].astype(str).tolist()
    requests = {u: favourite_request(loop_world.user_preferences(u)) for u in users}
    unmet = unmet_users(requests, truth.corpus_shots(), 0.75)
    user = next(u for u in sorted(unmet) if any(match_share(s, requests[u]) > 0 for s in truth.corpus_shots().values()))
    template = _build_template(loop_world, tmp_path)
    cfg = LoopConfig(users=1, rounds=3, seeds=(0,), k=4)
    counts = {}
    for system in ("retrieval", "editing"):
        home = tmp_path / system
        shutil.copytree(template, home)
        gr = _system(system, home, cfg.threshold)
        try:
            counts[system] = _run_user(gr, truth, user, requests[user], cfg, seed=0)
            jobs = gr.store.list_jobs(user_id=user, limit=50)
            made = gr.store.list_items(viewer=user, origin="ai", limit=50)
            made_truth = [truth.shots_of(i.id, gr.store) for i in made]
        finally:
            gr.close()
        if system == "retrieval":
            assert gr.runners == {} and jobs == [] and made == [] and counts[system]["met_round"] is None
    assert counts["editing"]["jobs"] == 1 and counts["editing"]["met_round"] == 2  # the clip arrives next round
    assert len(made_truth) == 1 and match_share(made_truth[0], requests[user]) >= 0.75  # derived from provenance


def test_bad_config_is_refused() -> None:
    for bad in (LoopConfig(users=0), LoopConfig(rounds=0), LoopConfig(seeds=()), LoopConfig(threshold=0.0),
                LoopConfig(systems=("magic",))):  # fmt: skip
        with pytest.raises(GeneRecError):
            bad.validate()


def test_outputs_and_cli(loop_world, result, tmp_path: Path) -> None:
    from generec.cli import main

    paths = write_outputs(result, tmp_path / "out")
    assert {p.name for p in paths} >= {"loop.png", "loop_summary.csv", "loop_per_seed.csv", "loop_per_user.csv"}
    assert (tmp_path / "out" / "loop.png").read_bytes()[:4] == b"\x89PNG"
    rc = main(["reproduce", "loop", "--world", str(loop_world.root), "--users", "2", "--rounds", "1",
               "--seeds", "1", "--out", str(tmp_path / "cli")])  # fmt: skip
    assert rc == 0 and (tmp_path / "cli" / "loop_summary.csv").is_file()
    assert main(["reproduce", "loop", "--world", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")]) != 0
    assert main(["reproduce", "loop", "--world", str(loop_world.root), "--seeds", "0"]) != 0
