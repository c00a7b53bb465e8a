"""Closed-loop simulation (paper §3, the loop of Fig. 2): simulated users talk to GeneRec for T rounds.

The systems drive :meth:`generec.pipeline.Session.step` exactly as the service does, on a copy of
a world's store: the real instructor (:class:`generec.instructor.Instructor`: offline understanding,
activation and exposure rules), the feed ranked by the recommender the service trains
(:func:`generec.pipeline_retrain.train_from_store` on the world's events, before any round), the
service's own runners (:func:`generec.pipeline_runners.default_runners` with the loop's encoder:
Eq. 2 clipping, Eq. 1 thumbnail selection, style transfer) and the deployment's fidelity policy.
They differ only in the generators installed:

* ``retrieval`` — (a) no generators: whatever the instructor decides, the pipeline ranks the corpus;
* ``editing`` — (b) the service's editors, no creator;
* ``creation`` — the creator alone (:class:`generec.pipeline_generators.CreateRunner` over a trained
  creation checkpoint), no editor;
* ``full`` — (c) editors and creator. Without a checkpoint, ``full`` equals ``editing`` and
  ``creation`` equals ``retrieval``; :data:`CREATION_NOTE` says so.

Each user (ground-truth tastes from the world) says, in words drawn from the world's instruction
templates (:class:`~generec.evaluation.loop_parts.Voice`): round 1 their request; while it is unmet,
"keep only the part with ..." about a shown item that partly shows it, else "make me a video of
..."; once met, nothing (feedback only). The same words go to every system. They click / like /
dislike the shown items by the world's click model (seeded); queued jobs run between rounds.
Human items are judged by their true shots, clips by shots derived from provenance, created items
by what the attribute reader reads from their pixels (never by what was requested).

Metrics per shown item: ``p_click``; ``satisfaction`` = P(click) x P(like | click) (liking counts
the time cost of watching); ``best_satisfaction`` per round; ``made_satisfaction`` and
``human_satisfaction``, the same over the AI-made items and over the human items shown beside
them (what a made item is worth next to what retrieval offered); ``met``: a shown item has >=
``threshold`` of its running time on the request; ``rounds_to_meet`` counts never as ``rounds + 1``;
``facet_style`` / ``facet_length`` / ``facet_thumbnail``: facet satisfaction (§2), the mean probability
that the user likes the shown item's style, its length and its cover
(:class:`~generec.evaluation.facets.FacetJudge`);
the instructor's understanding of every utterance (intent accuracy, slot F1).

Example
-------
>>> parts = LoopParts.build(cache_home="runs/loop/cache")                                          # doctest: +SKIP
>>> result = run_loop(World.load("demo-world"), LoopConfig(users=16, rounds=5), parts=parts)       # doctest: +SKIP
>>> result.summary().head()                                                                         # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from generec.config import InstructorSettings, Settings
from generec.data.sim.world import World
from generec.errors import GeneRecError
from generec.evaluation.facets import FACET_ORDER
from generec.evaluation.loop_parts import (
    GroundTruth,
    ReaderJudge,
    Request,
    Voice,
    favourite_request,
    favourite_taste,
    match_share,
    react,
    understood,
    unmet_users,
)
from generec.evaluation.loop_result import LoopResult
from generec.types import JobStatus

__all__ = ["CREATION_NOTE", "SYSTEMS", "LoopConfig", "LoopParts", "LoopResult", "run_loop"]

SYSTEMS = ("retrieval", "editing", "creation", "full")
CREATION_NOTE = (
    "creation: not available - no creation checkpoint was given, so 'full' = 'editing' "
    "(its creation requests are declined by the pipeline); no created items are simulated"
)


@dataclasses.dataclass(frozen=True)
class LoopConfig:
    """Size of the experiment: ``users`` sampled per seed, ``rounds`` per user, ``k`` items shown a round.

    ``threshold`` is the request-match share (of running time) above which an item meets a request;
    ``negative_streak`` the instructor's N (rejections in a row that switch creation on);
    ``unmet_share`` the fraction of each seed's users drawn from the unmet subgroup.
    """

    users: int = 20
    rounds: int = 5
    seeds: tuple[int, ...] = (0, 1, 2)
    k: int = 6
    threshold: float = 0.75
    systems: tuple[str, ...] = SYSTEMS
    negative_streak: int = 3
    unmet_share: float = 0.5

    def validate(self) -> LoopConfig:
        bad = [s for s in self.systems if s not in SYSTEMS]
        problems = [
            (self.users >= 1, f"--users must be at least 1, got {self.users}"),
            (self.rounds >= 1, f"--rounds must be at least 1, got {self.rounds}"),
            (len(self.seeds) >= 1, "give at least one seed"),
            (self.k >= 1, f"k must be at least 1, got {self.k}"),
            (0.0 < self.threshold <= 1.0, f"threshold must be in (0, 1], got {self.threshold}"),
            (not bad, f"unknown system(s) {bad}; choose from {', '.join(SYSTEMS)}"),
            (self.negative_streak >= 1, f"negative_streak must be at least 1, got {self.negative_streak}"),
            (0.0 <= self.unmet_share <= 1.0, f"unmet_share must be in [0, 1], got {self.unmet_share}"),
        ]
        for ok, message in problems:
            if not ok:
                raise GeneRecError(message)
        return self


@dataclasses.dataclass
class LoopParts:
    """The trained parts every system shares: the real instructor, the encoder the service's editors and
    recommender use (``encoder_dir``), and for ``creation`` / ``full`` the creator and the reader."""

    instructor: Any
    creator: Any = None
    judge: ReaderJudge | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    encoder_dir: Path | None = None
    recommender: Any = None
    """Settings of the recommender trained on each world (``None``: the service's defaults)."""
    service_runners: dict[str, Any] | None = None
    """The service's runners, loaded once (they hold models, no per-home state) and shared by every run."""

    def settings(self, home: Path, cfg: LoopConfig | None = None) -> Settings:
        """The settings a service on ``home`` would run with: this encoder, the loop's streak length."""
        from generec.config import EncoderSettings, RecommenderSettings

        streak = cfg.negative_streak if cfg is not None else 3
        encoder = EncoderSettings(path=str(self.encoder_dir) if self.encoder_dir else None)
        return Settings(home=home, instructor=InstructorSettings(negative_streak=streak), encoder=encoder,
                        recommender=self.recommender or RecommenderSettings())  # fmt: skip

    @classmethod
    def build(
        cls,
        cache_home: str | Path,
        *,
        creation: str | Path | None = None,
        encoder: str | Path | None = None,
        reader: str | Path | None = None,
        negative_streak: int = 3,
        frames: int = 16,
        candidates: int | None = None,
    ) -> LoopParts:
        """The real instructor (sentence embeddings cached under ``cache_home``) and, given a creation
        checkpoint, its :class:`~generec.pipeline_generators.CreateRunner` (with the checkpoint's ``encoder/`` or
        ``encoder``) and the attribute reader at ``reader`` that judges (default ``<checkpoint>/judge``).
        ``candidates`` per creation request default to the service's (``Settings.creator.candidates``)."""
        from generec.config import CreatorSettings
        from generec.pipeline_parts import LazyInstructor

        cfg = InstructorSettings(negative_streak=negative_streak)
        instructor = LazyInstructor(Settings(home=Path(cache_home), instructor=cfg)).warm()
        if creation is None:
            enc_dir = Path(encoder) if encoder else _packaged_encoder()
            return cls(instructor, notes=[CREATION_NOTE, _encoder_note(enc_dir)], encoder_dir=enc_dir)
        from generec.data.sim.reader import AttributeReader
        from generec.encoders import load_encoder
        from generec.evaluation.creation import JUDGE_DIR, judge_of
        from generec.pipeline_generators import CreateRunner

        creation = Path(creation)
        enc_dir = Path(encoder) if encoder else creation / "encoder"
        reader_dir = Path(reader) if reader else creation / JUDGE_DIR
        if not enc_dir.is_dir() or (reader and not reader_dir.is_dir()):
            raise GeneRecError(f"creation in the loop needs the checkpoint's encoder ({enc_dir}) and an attribute "
                               f"reader ({reader_dir}); pass --encoder / --reader")  # fmt: skip
        candidates = CreatorSettings().candidates if candidates is None else candidates
        runner = CreateRunner.load(creation, load_encoder("generec", enc_dir), frames=frames, candidates=candidates)
        judge = ReaderJudge(AttributeReader.load(reader_dir) if reader else judge_of(creation))
        note = (f"creation: {creation} ({runner.model_id}, {runner.creator.steps} DDIM steps, {frames} frames, "
                f"best of {candidates}); created items judged by the attribute reader in {reader_dir}")  # fmt: skip
        return cls(instructor, runner, judge, [note, _encoder_note(enc_dir)], encoder_dir=enc_dir)


def _packaged_encoder() -> Path | None:
    """The encoder shipped with the packaged creation checkpoint (what a fresh install's editors load)."""
    from generec.creator.checkpoint import DEMO_CHECKPOINT

    path = DEMO_CHECKPOINT / "encoder"
    return path if (path / "config.json").is_file() else None


def _encoder_note(enc_dir: Path | None) -> str:
    if enc_dir is None:
        return "no encoder: the editors trim instead of clipping by Eq. 2, and the feed is ranked by tags"
    return f"encoder {enc_dir}: the service's editors (Eq. 1-2) and the recommender's item features"


# ------------------------------------------------------------------------------------------ the loop
def _build_template(world: World, root: Path, parts: LoopParts | None = None) -> Path:
    """A store with the world loaded and, given an encoder, the service's recommender trained on its
    events (as ``generec demo`` does); copied for every (system, seed) run."""
    from generec.pipeline_retrain import train_from_store
    from generec.store import MediaStore, Store

    home = root / "template"
    settings = parts.settings(home) if parts is not None else Settings(home=home)
    with Store.open(settings) as store:
        media = MediaStore(home / "media")
        store.load_dataset(world.dataset(), media, progress=False)
        if parts is not None and parts.encoder_dir is not None:
            train_from_store(settings, store, media)
            rec = settings.recommender
            note = f"feed ranked by the service's recommender ({rec.model}, {rec.layers} layers), trained on the world"
            if note not in parts.notes:
                parts.notes.append(note)
    return home


def loop_runners(system: str, parts: LoopParts, settings: Settings) -> dict[str, Any]:
    """The service's runners (:func:`~generec.pipeline_runners.default_runners`) that ``system`` installs."""
    from generec.pipeline_runners import default_runners

    if system == "retrieval":
        return {}
    if parts.service_runners is None:
        parts.service_runners = default_runners(settings)
    service = {task: r for task, r in parts.service_runners.items() if not task.startswith("create_")}
    if parts.creator is not None:
        service["create_video"] = parts.creator  # the loop's checkpoint, loaded once for every run
    if system == "editing":
        return {t: r for t, r in service.items() if not t.startswith("create_")}
    if system == "creation":
        return {t: r for t, r in service.items() if t.startswith("create_")}
    return service


def _system(system: str, home: Path, parts: LoopParts, cfg: LoopConfig) -> Any:
    """The pipeline of one system, composed as the service composes it; only the generators differ."""
    from generec.pipeline import GeneRec

    settings = parts.settings(home, cfg)
    return GeneRec.from_config(settings, instructor=parts.instructor, runners=loop_runners(system, parts, settings))


def _utterance(voice: Voice, rnd: int, last: Sequence[tuple[str, Any]], asked: set[str], threshold: float):
    """What the user says this round: their request, a clip of a partly matching item, or a new video."""
    if rnd == 1:
        return (*voice.say("recommend"), None)
    partial = [(match_share(s, voice.request), i) for i, s in last if not i.startswith("ai") and i not in asked]
    partial = [p for p in partial if 0.0 < p[0] < threshold]
    if partial:
        focus = max(partial)[1]
        asked.add(focus)
        return (*voice.say("edit_clip"), focus)
    return (*voice.say("create"), None)


def _run_jobs(gr: Any, out: dict[str, Any]) -> None:
    """Generation runs between rounds (here synchronously, one worker)."""
    while (job := gr.store.claim_job("loop-worker", kinds=gr.job_kinds)) is not None:
        done = gr.run_job(job, "loop-worker")
        out["jobs_ready"] += int(done.status is JobStatus.DONE and done.message == "ready")


def _new_counts() -> dict[str, Any]:
    keys = ("impressions", "clicks", "likes", "scored", "unscored", "jobs", "jobs_ready", "judged_rounds",
            "created_shown", "made_scored", "nlu_turns", "nlu_intent_ok", "nlu_tp", "nlu_fp", "nlu_fn")  # fmt: skip
    sums = dict.fromkeys(("satisfaction_sum", "made_satisfaction_sum", "p_click_sum", "best_sum",
                          *(f"facet_{f}_sum" for f in FACET_ORDER)), 0.0)  # fmt: skip
    return {**dict.fromkeys(keys, 0), **sums, "met_round": None}


def _run_user(gr: Any, truth: GroundTruth, user: str, req: Request, cfg: LoopConfig, seed: int) -> dict[str, Any]:
    """T rounds of one user with one system; returns the user's counts."""
    row = int(truth.sim.user_index(user)[0])
    rng = np.random.default_rng([seed, row])
    voice = Voice(req, favourite_taste(truth.world.user_preferences(user)), seed=seed * 100_003 + row)
    out = _new_counts()
    session, events, last, asked = gr.session(user, "loop"), [], [], set()
    for rnd in range(1, cfg.rounds + 1):
        text = focus = None
        if out["met_round"] is None:  # once met, the user only reacts (a feed step)
            text, intent, slots, focus = _utterance(voice, rnd, last, asked, cfg.threshold)
        response = session.step(text, events=events, k=cfg.k, focus=focus)
        if text is not None:
            tp, fp, fn = understood(response.decision.wants, slots)
            out["nlu_turns"] += 1
            out["nlu_intent_ok"] += int(response.decision.intent == intent)
            out["nlu_tp"], out["nlu_fp"], out["nlu_fn"] = out["nlu_tp"] + tp, out["nlu_fp"] + fp, out["nlu_fn"] + fn
        out["jobs"] += int(response.queued is not None)
        if rnd < cfg.rounds:  # after the last round nobody would see what a job makes
            _run_jobs(gr, out)
        ids = [s.item.id for s in response.items]
        kept = [(i, s) for i in ids if (s := truth.shots_of(i, gr))]
        out["unscored"] += len(ids) - len(kept)
        out["created_shown"] += sum(1 for s in response.items if s.item.is_ai and s.item.parent_id is None)
        events, last = [], kept
        if kept:
            ai = {s.item.id for s in response.items if s.item.is_ai}
            events = react(truth, user, kept, rng, out, time.time(), made=[i in ai for i, _ in kept])
        if out["met_round"] is None and any(match_share(s, req) >= cfg.threshold for _, s in kept):
            out["met_round"] = rnd
    return out


def run_loop(
    world: World,
    config: LoopConfig | None = None,
    *,
    parts: LoopParts | None = None,
    workdir: str | Path | None = None,
    progress: bool = True,
) -> LoopResult:
    """Run every system of ``config`` for every seed; return per-user counts and notes.

    ``parts``: see :meth:`LoopParts.build` (default: the real instructor fitted in a temporary
    directory, which takes minutes; no creator).
    """
    cfg = (config or LoopConfig()).validate()
    all_users = world.preferences["user_id"].astype(str).tolist()
    requests = {u: favourite_request(world.user_preferences(u)) for u in all_users}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        parts = parts or LoopParts.build(Path(tmp) / "instructor", negative_streak=cfg.negative_streak)
        truth = GroundTruth(world, parts.judge)
        unmet = unmet_users(requests, truth.corpus_shots(), cfg.threshold)
        template = _build_template(world, Path(tmp), parts)
        runs = [(seed, system) for seed in cfg.seeds for system in cfg.systems]
        for seed, system in tqdm(runs, desc="closed loop", disable=not progress):
            users = _sample_users(all_users, unmet, cfg.users, seed, cfg.unmet_share)
            home = Path(tmp) / f"{system}-{seed}"
            shutil.copytree(template, home)
            gr = _system(system, home, parts, cfg)
            try:
                for user in users:
                    counts = _run_user(gr, truth, user, requests[user], cfg, seed)
                    rows.append({"system": system, "seed": seed, "user": user, "request": requests[user].text,
                                 "unmet": user in unmet, "rounds": cfg.rounds, **counts})  # fmt: skip
            finally:
                gr.close()
    per_user = pd.DataFrame(rows)
    per_user["met_round"] = per_user["met_round"].astype("Float64")
    notes = [*parts.notes, _unscored_note(per_user), f"unmet subgroup: {len(unmet)} of {len(all_users)} "
             f"world users (no corpus item has >= {cfg.threshold:.0%} of its running time on their request); "
             f"each seed draws {cfg.unmet_share:.0%} of its users from it (when it has enough)"]  # fmt: skip
    result = LoopResult(per_user, notes)
    nlu = result.understanding()
    notes.append(f"instructor understanding in the loop: intent accuracy {nlu['intent_accuracy']:.3f}, "
                 f"slot F1 {nlu['slot_f1']:.3f} over {nlu['turns']} utterances")  # fmt: skip
    return result


def _sample_users(all_users: Sequence[str], unmet: set[str], n: int, seed: int, share: float = 0.5) -> list[str]:
    """``n`` users for one seed, a ``share`` of them (when there are enough) from the unmet subgroup."""
    rng = np.random.default_rng(seed)
    hard = sorted(u for u in all_users if u in unmet)
    easy = sorted(u for u in all_users if u not in unmet)
    n_hard = min(len(hard), max(int(round(n * share)), n - len(easy)))
    picked = list(rng.permutation(hard)[:n_hard]) + list(rng.permutation(easy)[: n - n_hard])
    return sorted(str(u) for u in picked)


def _unscored_note(per_user: pd.DataFrame) -> str:
    n = int(per_user["unscored"].sum()) if len(per_user) else 0
    if n == 0:
        return "every shown item had ground truth (clips: derived from provenance; created: the attribute reader)"
    return (f"{n} shown made item(s) had no ground truth (no reader given for created items, or an edit "
            "whose result cannot be derived) and were excluded from the metrics")  # fmt: skip
