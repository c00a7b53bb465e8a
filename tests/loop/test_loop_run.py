"""The closed loop on a small world: runs, is deterministic per seed, bounded, and the systems differ."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from generec.errors import GeneRecError
from generec.evaluation.loop import (
    LoopConfig,
    _build_template,
    _new_counts,
    _run_jobs,
    _run_user,
    _system,
    run_loop,
)
from generec.evaluation.loop_parts import GroundTruth, favourite_request, match_share, react, unmet_users
from generec.evaluation.loop_report import gain_lines, headers, table_rows, write_outputs

SMALL = LoopConfig(users=3, rounds=2, seeds=(0, 1), k=4)


@pytest.fixture(scope="module")
def result(loop_world, loop_parts, tmp_path_factory):
    return run_loop(loop_world, SMALL, parts=loop_parts, workdir=tmp_path_factory.mktemp("run"), progress=False)


def test_loop_runs_and_metrics_are_rates(result) -> None:
    per_seed = result.per_seed()
    assert set(per_seed["system"]) == {"retrieval", "editing", "creation", "full"}
    assert set(per_seed["seed"]) == {0, 1} and set(per_seed["group"]) == {"all", "unmet"}
    for key in ("ctr", "like_rate", "p_click", "satisfaction", "best_satisfaction", "met_rate"):
        values = [v for v in per_seed[key] if not math.isnan(v)]
        assert values and all(0.0 <= v <= 1.0 for v in values), key
    assert (per_seed["rounds_to_meet"].dropna().between(1, SMALL.rounds + 1)).all()
    assert (result.per_user["impressions"] <= SMALL.rounds * SMALL.k).all()
    assert any("creation: not available" in n for n in result.notes)
    nlu = result.understanding()  # the real instructor understood what the simulated users said
    assert nlu["turns"] == result.per_user["nlu_turns"].sum() > 0
    assert nlu["intent_accuracy"] >= 0.9 and nlu["slot_f1"] >= 0.85
    assert any("intent accuracy" in n for n in result.notes)
    summary = result.summary()
    assert {"satisfaction_mean", "satisfaction_std"} <= set(summary.columns)
    assert len(table_rows(result)) == 8
    gain = result.paired_gain("satisfaction")
    assert gain["seeds"] == 2 and 0 <= gain["wins"] <= 2
    assert math.isnan(gain["t"]) or (gain["t"] > 0) == (gain["mean"] > 0)
    assert math.isnan(gain["p"]) or 0.0 <= gain["p"] <= 1.0
    with pytest.raises(GeneRecError):
        result.paired_gain("satisfaction", system="magic")


def test_retrieval_never_enqueues(result) -> None:
    # Whether editing enqueues depends on a shown item partly matching the request, which a sample of three
    # users may not have: test_the_service_clipper_in_the_loop picks a user who has one.
    df = result.per_user
    assert (df[df["system"] == "retrieval"]["jobs"] == 0).all()
    assert (df[df["system"] == "retrieval"]["nlu_turns"] >= 1).all()  # they asked, in words, and nothing was made


def test_same_seed_same_result(loop_world, loop_parts, result, tmp_path: Path) -> None:
    again = run_loop(loop_world, LoopConfig(users=3, rounds=2, seeds=(1,), k=4, systems=("editing",)),
                     parts=loop_parts, workdir=tmp_path, progress=False)  # fmt: skip
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


def _partial_user(world, truth):
    """An unmet user whose request some corpus item partly shows (a clip can meet it)."""
    users = world.preferences["user_id"].astype(str).tolist()
    requests = {u: favourite_request(world.user_preferences(u)) for u in users}
    corpus = truth.corpus_shots()
    unmet = unmet_users(requests, corpus, 0.75)
    partial = {u: sum(match_share(s, requests[u]) > 0 for s in corpus.values()) for u in sorted(unmet)}
    user = max(partial, key=lambda u: partial[u])  # the most partly matching items: one is shown early
    assert partial[user] > 0
    return user, requests[user]


def test_the_service_clipper_in_the_loop_and_retrieval_makes_nothing(loop_world, loop_parts, tmp_path: Path) -> None:
    truth = GroundTruth(loop_world)
    user, request = _partial_user(loop_world, truth)
    template = _build_template(loop_world, tmp_path)
    cfg = LoopConfig(users=1, rounds=4, seeds=(0,), k=16)
    counts, made_truth, made_by = {}, [], []
    for system in ("retrieval", "editing"):
        home = tmp_path / system
        shutil.copytree(template, home)
        gr = _system(system, home, loop_parts, cfg)
        try:
            counts[system] = _run_user(gr, truth, user, request, cfg, seed=0)
            jobs = gr.store.list_jobs(user_id=user, limit=50)
            made = gr.store.list_items(viewer=user, origin="ai", limit=50)
            made_truth = [truth.shots_of(i.id, gr) for i in made]
            made_by = [gr.store.get_provenance(i.id).made_by for i in made]
        finally:
            gr.close()
        if system == "retrieval":
            assert gr.runners == {} and jobs == [] and made == [] and counts[system]["met_round"] is None
            assert counts[system]["made_scored"] == 0 and counts[system]["made_satisfaction_sum"] == 0.0
            assert counts[system]["nlu_turns"] == cfg.rounds  # it kept asking, in words
    edit = counts["editing"]
    why = [(j.error, j.message) for j in jobs]
    assert edit["jobs"] >= 1 and edit["jobs_ready"] >= 1, why
    # The service's Eq. 2 clipper made the clips; their truth is derived from provenance, not from the request.
    assert made_truth and all(s is not None for s in made_truth)
    assert all(gr_runner == "generec.editor.Clipper" for gr_runner in made_by)
    if edit["met_round"] is not None:
        assert edit["nlu_turns"] == edit["met_round"]  # once met, the user stops asking
    else:
        assert edit["nlu_turns"] == cfg.rounds
    # The clip was shown and judged: its satisfaction is counted apart from the human items beside it.
    assert 1 <= edit["made_scored"] < edit["scored"]
    assert 0.0 < edit["made_satisfaction_sum"] < edit["satisfaction_sum"]


def test_react_sums_made_items_apart(loop_world) -> None:
    truth = GroundTruth(loop_world)
    user = loop_world.preferences["user_id"].astype(str).iloc[0]
    kept = list(truth.corpus_shots().items())[:4]
    rng = np.random.default_rng(0)
    out = _new_counts()
    react(truth, user, kept, rng, out, 0.0, made=[False, True, False, True])
    items = [{"shots": s} for _, s in kept]
    expected = truth.sim.click_prob(user, items, popularity=False) * truth.sim.like_prob(user, items)
    assert out["made_scored"] == 2
    assert out["made_satisfaction_sum"] == pytest.approx(float(expected[1] + expected[3]))
    assert out["satisfaction_sum"] == pytest.approx(float(expected.sum()))
    facets = truth.facets.rate([user] * len(kept), items)  # each shown item's style, length and cover rated
    assert set(facets) == {"style", "length", "thumbnail"}
    for facet, liked in facets.items():
        assert out[f"facet_{facet}_sum"] == pytest.approx(float(liked.sum())) and 0 < liked.sum() < len(kept)


def test_facet_satisfaction_is_reported_per_system(result) -> None:
    per_seed = result.per_seed()
    for facet in ("style", "length", "thumbnail"):
        assert per_seed[f"facet_{facet}"].between(0.0, 1.0).all(), facet
    df = result.per_user
    got = per_seed[(per_seed["system"] == "full") & (per_seed["seed"] == 0) & (per_seed["group"] == "all")]
    part = df[(df["system"] == "full") & (df["seed"] == 0)]
    assert float(got["facet_style"].iloc[0]) == pytest.approx(part["facet_style_sum"].sum() / part["scored"].sum())
    assert {"style liked", "length liked", "cover liked"} <= set(headers())
    lines = gain_lines(result)  # each generating system against retrieval, paired over seeds, facet by facet
    for system in ("full", "editing", "creation"):
        for facet in ("style", "length", "thumbnail"):
            assert sum(line.startswith(f"unmet users, {system} - retrieval, facet_{facet}:") for line in lines) == 1


@pytest.mark.slow
def test_creation_in_the_loop_is_judged_by_the_reader(loop_world, loop_parts, tmp_path: Path) -> None:
    """The full system with a (tiny, real) creator: created items are shown first and read from pixels."""
    import torch

    from generec.creator import train_creation
    from generec.data.sim.reader import AttributeReader, ReaderConfig
    from generec.data.sim.vocab import SCENE_PHRASE
    from generec.diffusion import TrainSettings
    from generec.encoders.dual import GeneRecEncoder
    from generec.evaluation.loop import LoopParts
    from generec.evaluation.loop_parts import ReaderJudge
    from generec.fidelity.policy import DEFAULT_CHECKS, FidelityPolicy
    from generec.pipeline_generators import CreateRunner

    torch.set_num_threads(1)
    encoder = GeneRecEncoder(seed=0)
    train_creation(loop_world, encoder, tmp_path / "creation", preset="tiny",
                   settings=TrainSettings(steps=2, batch_size=4, checkpoint_every=100), progress=False)  # fmt: skip
    runner = CreateRunner.load(tmp_path / "creation", encoder, frames=4)
    runner.creator.steps = 2
    reader = AttributeReader(ReaderConfig(frames=4, size=16, width=8)).fit(n_clips=32, steps=2, progress=False)
    parts = LoopParts(loop_parts.instructor, runner, ReaderJudge(reader))
    truth = GroundTruth(loop_world, parts.judge)
    user, request = _partial_user(loop_world, truth)
    cfg = LoopConfig(users=1, rounds=3, seeds=(0,), k=4)
    home = tmp_path / "full"
    shutil.copytree(_build_template(loop_world, tmp_path), home)
    gr = _system("full", home, parts, cfg)
    gr.fidelity = FidelityPolicy.build(checks=[c for c in DEFAULT_CHECKS if c != "quality"], store=gr.store)
    try:
        assert "create_video" in gr.runners
        session = gr.session(user, "t")
        r = session.step(f"make me a video of a {request.category} {SCENE_PHRASE[request.scene][0]}")
        assert r.decision.action == "create" and r.queued is not None and r.queued.kind == "create_video"
        out = {"jobs_ready": 0}
        _run_jobs(gr, out)
        assert out["jobs_ready"] == 1
        top = session.step().items[0]
        assert top.item.is_ai and top.item.parent_id is None and top.exposure == "requested"
        shots = truth.shots_of(top.item.id, gr)
        assert shots[0]["read_by"] == "attribute_reader"
    finally:
        gr.close()


def test_bad_config_is_refused() -> None:
    for bad in (LoopConfig(users=0), LoopConfig(rounds=0), LoopConfig(seeds=()), LoopConfig(threshold=0.0),
                LoopConfig(systems=("magic",))):  # fmt: skip
        with pytest.raises(GeneRecError):
            bad.validate()


@pytest.mark.slow
def test_outputs_and_cli(loop_world, result, instructor_home, tmp_path: Path) -> None:
    from generec.cli import main

    paths = write_outputs(result, tmp_path / "out")
    assert {p.name for p in paths} >= {"loop.png", "loop_summary.csv", "loop_per_seed.csv", "loop_per_user.csv"}
    assert (tmp_path / "out" / "loop.png").read_bytes()[:4] == b"\x89PNG"
    rc = main(["reproduce", "loop", "--world", str(loop_world.root), "--users", "2", "--rounds", "1",
               "--seeds", "1", "--out", str(tmp_path / "cli"), "--cache", str(instructor_home)])  # fmt: skip
    assert rc == 0 and (tmp_path / "cli" / "loop_summary.csv").is_file()
    assert main(["reproduce", "loop", "--world", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")]) != 0
    assert main(["reproduce", "loop", "--world", str(loop_world.root), "--seeds", "0"]) != 0


def test_paired_gain_tests_the_per_seed_differences() -> None:
    from scipy import stats

    from generec.evaluation.loop import LoopResult

    gains = [0.02, 0.01, 0.03, -0.005]
    rows = []
    for seed, g in enumerate(gains):
        for system, sat in (("retrieval", 0.1), ("full", 0.1 + g)):
            rows.append({**_new_counts(), "system": system, "seed": seed, "user": "u1", "unmet": True, "rounds": 5,
                         "impressions": 10, "scored": 10, "satisfaction_sum": 10 * sat})  # fmt: skip
    g = LoopResult(pd.DataFrame(rows), []).paired_gain("satisfaction")
    want = stats.ttest_1samp(gains, 0.0)
    assert g["seeds"] == 4 and g["wins"] == 3
    assert g["mean"] == pytest.approx(np.mean(gains)) and g["std"] == pytest.approx(np.std(gains, ddof=1))
    assert g["t"] == pytest.approx(want.statistic) and g["p"] == pytest.approx(want.pvalue)
    one = LoopResult(pd.DataFrame(rows[:2]), []).paired_gain("satisfaction")  # one seed: no test
    assert one["seeds"] == 1 and math.isnan(one["t"]) and math.isnan(one["p"])


def test_loop_parts_build_the_packaged_creator_like_the_service(instructor_home: Path, tmp_path: Path) -> None:
    from generec.creator.checkpoint import DEMO_CHECKPOINT
    from generec.evaluation.loop import LoopParts

    parts = LoopParts.build(instructor_home, creation=DEMO_CHECKPOINT)
    assert parts.creator.candidates == 4 and "best of 4" in parts.notes[0]  # the service's creator.candidates
    assert LoopParts.build(instructor_home, creation=DEMO_CHECKPOINT, candidates=1).creator.candidates == 1
    with pytest.raises(GeneRecError, match="reader"):
        LoopParts.build(instructor_home, creation=DEMO_CHECKPOINT, reader=tmp_path / "none")
