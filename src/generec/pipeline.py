"""The GeneRec loop (ARCHITECTURE.md, "The loop, as data"): :class:`GeneRec` and :meth:`Session.step`.

One step: (1) the user's events are stored first, then what they said; (2) the instructor
decides (a step with feedback only consults it when the rejection streak just reached N);
(3) the ranker ranks the items this user may see, human and AI; (4) slow generation (an edit,
or a creation with no parent) is *queued* as a store job (a worker runs it; its item arrives in
a later step, the step never waits); (5) made items pass the fidelity policy before anyone sees
them; (6) the exposure policy shows a made item first when it was asked for or the user is on
a rejection streak, otherwise ranks it by content score, always labelled AI-generated;
(7) a :class:`Response` with the reply, items and why.

Example
-------
>>> gr = GeneRec.from_config(Settings(home=home))                            # doctest: +SKIP
>>> session = gr.session("u0000001")                                          # doctest: +SKIP
>>> r = session.step("show me cats in the snow")                              # doctest: +SKIP
>>> r.reply, [s.item.id for s in r.items][:3]                                 # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from generec.config import Settings, load_settings
from generec.errors import GeneRecError, NotFoundError
from generec.instructor.activation import negative_streak
from generec.instructor.dialogue import DialogueManager
from generec.instructor.exposure import AI_LABEL
from generec.pipeline_jobs import JobRunner, job_seed, run_made
from generec.pipeline_parts import (
    ContentRanker,
    Decision,
    Delivered,
    ExposurePolicy,
    Instructor,
    LazyInstructor,
    PolicyExposure,
    Ranker,
    Response,
    ShownItem,
    check_events,
    describe_wants,
    normalise_decision,
    plain_attributes,
    user_profile,
    why_shown,
)
from generec.pipeline_runners import MODEL_DIRS, default_runners
from generec.store import Job, MediaStore, Store, TurnRole
from generec.text import hide_paths
from generec.types import Candidate, Event, EventKind, Instruction, Item, JobStatus, Modality, Origin

log = logging.getLogger(__name__)

__all__ = ["Decision", "GeneRec", "JobLimitError", "NotApplicableError", "Response", "Session", "ShownItem"]


class JobLimitError(GeneRecError):
    """A user already has as many generation jobs queued or running as allowed."""


class NotApplicableError(GeneRecError):
    """The edit asked for does not apply to the item (a video-only editor asked of an image)."""


class GeneRec:
    """The composed system: store, media, ranker, instructor, job runners, fidelity and exposure policies.

    Build it with :meth:`from_config`; pass any component to replace the default (each is a protocol
    of :mod:`generec.pipeline_parts` / :mod:`generec.pipeline_jobs`).
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        media: MediaStore,
        *,
        ranker: Ranker | None = None,
        instructor: Instructor | None = None,
        runners: Mapping[str, JobRunner] | None = None,
        fidelity: Any = None,
        exposure: ExposurePolicy | None = None,
        catalog_ttl_s: float = 5.0,
    ) -> None:
        self.settings = settings
        self.store = store
        self.media = media
        if ranker is None:  # the trained recommender when there is one; the tag ranker otherwise
            from generec.pipeline_recommender import RecommenderRanker

            ranker = RecommenderRanker.from_settings(settings, media)
        self.ranker = ranker
        self.instructor = instructor or LazyInstructor(
            settings, lambda: (plain_attributes(i.attributes) for i in self.catalog().values())
        )
        self.runners = dict(runners) if runners is not None else default_runners(settings)
        if fidelity is None:  # the deployment's policy (settings.fidelity): every made item must pass it
            from generec.fidelity.policy import FidelityPolicy

            fidelity = FidelityPolicy.from_settings(settings, store=store)
        self.fidelity = fidelity
        self.dialogue = DialogueManager(store)
        self.exposure = exposure or PolicyExposure(settings.instructor.negative_streak)
        self.catalog_ttl_s = catalog_ttl_s
        self._catalog: tuple[float, dict[str, Item]] = (0.0, {})
        self._catalog_ai: frozenset[str] = frozenset()  # refreshed with the catalog: no per-step corpus pass
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: str | Path | Settings | None = None, **components: Any) -> GeneRec:
        """Open the store and media store of ``config`` (a TOML path or :class:`Settings`) and compose."""
        settings = config if isinstance(config, Settings) else load_settings(config)
        Path(settings.home).mkdir(parents=True, exist_ok=True)
        store = Store.open(settings)
        return cls(settings, store, MediaStore(settings.media_dir, settings.media), **components)

    def close(self) -> None:
        self.store.close()

    def session(self, user_id: str, session_id: str | None = None) -> Session:
        """A conversation with ``user_id`` (:class:`NotFoundError` for an unknown user)."""
        self.store.get_user(user_id)
        return Session(self, user_id, session_id or "web")

    # ------------------------------------------------------------------ items a user may see
    def catalog(self) -> dict[str, Item]:
        """Public items, cached for ``catalog_ttl_s`` (steps are frequent; the corpus changes slowly)."""
        now = time.monotonic()
        with self._lock:
            stamp, items = self._catalog
            if now - stamp > self.catalog_ttl_s or not items:
                items = {i.id: i for i in self.store.list_items(viewer=None, limit=None)}
                self._catalog = (now, items)
                self._catalog_ai = frozenset(i for i, item in items.items() if item.is_ai)
                if hasattr(self.ranker, "set_popularity"):  # refreshed with the catalog, not per step
                    self.ranker.set_popularity(self.store.item_counts())
            return items

    def visible_items(self, user_id: str) -> list[Item]:
        """Every item ``user_id`` may see now: public ones plus AI items made for them, checks passed."""
        return self._visible(user_id)[0]

    def _visible(self, user_id: str) -> tuple[list[Item], set[str]]:
        """Visible items and the ids of the AI ones among them (public AI ids come cached with the catalog)."""
        from generec.fidelity.policy import is_blocked

        now = time.time()
        own = self.store.list_items(viewer=user_id, origin="ai", limit=500)
        merged = {**self.catalog(), **{i.id: i for i in own}}
        ai = {*self._catalog_ai, *(i.id for i in own)}
        return [i for i in merged.values() if i.visible_for(user_id, now) and not is_blocked(i)], ai

    # ------------------------------------------------------------------ jobs
    @property
    def job_kinds(self) -> list[str]:
        return [task if task.startswith("create_") else f"edit_{task}" for task in self.runners]

    def enqueue(self, user_id: str, decision: Decision, instruction: str = "", liked: Sequence[str] = ()) -> Job:
        """Queue the job ``decision`` asks for; :class:`JobLimitError` past the per-user limit.

        ``liked``: the user's recently liked items, whose features guide a creation (User_Hist).
        """
        if decision.task not in self.runners:
            raise GeneRecError(f"no runner for task {decision.task!r} on this install")
        if decision.item_id is not None:
            with contextlib.suppress(NotFoundError):  # a missing item fails in the job, with the reason
                self._check_applies(decision.task, self.store.get_item(decision.item_id, viewer=user_id))
        limit = self.settings.service.max_jobs_per_user
        jobs = self.store.list_jobs(user_id=user_id, limit=200)
        open_jobs = [j for j in jobs if not j.is_finished]
        if len(open_jobs) >= limit:
            raise JobLimitError(
                f"you already have {len(open_jobs)} generation job(s) in progress (limit {limit}); "
                "wait for one to finish or cancel it"
            )
        text = (decision.guidance.instruction_text if decision.guidance else None) or instruction or ""
        length = decision.guidance.length_s if decision.guidance else None
        wants = {a: list(v) for a, v in decision.wants.items()}
        params = {"task": decision.task, "item_id": decision.item_id, "instruction": text, "length_s": length,
                  "wants": wants, "description": describe_wants(decision.wants), "explicit": decision.explicit,
                  "reason": decision.reason, "seed": job_seed(user_id, text, len(jobs)),
                  "liked": list(liked)[:10]}  # fmt: skip
        kind = decision.task if decision.task.startswith("create_") else f"edit_{decision.task}"
        return self.store.create_job(kind, params, user_id=user_id)

    def _check_applies(self, task: str, item: Item) -> None:
        """Refuse an edit whose runner does not take the item's modality (runners say which; default: video)."""
        takes = getattr(self.runners[task], "modalities", (Modality.VIDEO,))
        if item.modality not in takes:
            kinds = " and ".join(f"{Modality(m).value}s" for m in takes)
            what = "an image" if item.modality is Modality.IMAGE else "a video"
            raise NotApplicableError(f"{item.title or item.id!r} is {what}, and the {task.replace('_', ' ')} edit "
                                     f"works on {kinds} only; pick one of those and ask again.")  # fmt: skip

    def run_job(self, job: Job, worker_id: str | None = None) -> Job:
        """Run a claimed job to the end: made item checked and stored, or the job failed with the reason."""
        try:
            return self._run(job, worker_id)
        except GeneRecError as exc:
            return self._fail(job, str(exc), worker_id)
        except Exception as exc:  # a bug in a runner must not kill the worker or leave the job hanging
            log.exception("job %s crashed", job.id)
            return self._fail(job, f"internal error: {type(exc).__name__}: {exc}", worker_id)

    def _fail(self, job: Job, reason: str, worker_id: str | None) -> Job:
        reason = hide_paths(reason, self.settings.home)  # the requester reads it: no server paths
        try:
            return self.store.fail_job(job.id, reason, worker_id=worker_id)
        except GeneRecError:  # cancelled meanwhile, or taken over after a lost lease
            return self.store.get_job(job.id)

    def _run(self, job: Job, worker_id: str | None) -> Job:
        def progress(fraction: float, message: str) -> None:
            self.store.update_job(job.id, progress=min(max(fraction, 0.0), 0.95), message=message, worker_id=worker_id)

        item, result = run_made(self, job, progress)
        prepare = getattr(self.ranker, "prepare", None)
        if result.passed and callable(prepare):  # its content vector now, so no step pays for it
            prepare([item])
        message = "ready" if result.passed else f"made, but held back by checks: {', '.join(result.blocked_by)}"
        return self.store.finish_job(job.id, result_item_id=item.id, message=message, worker_id=worker_id)


class Session:
    """One user's conversation with GeneRec; :meth:`step` is the loop."""

    def __init__(self, system: GeneRec, user_id: str, session_id: str = "web") -> None:
        self.system = system
        self.user_id = user_id
        self.session_id = session_id
        self.shown: list[str] = []
        self._announced: set[str] = set()
        self._announced_loaded = False
        self._constraints: Any = None  # the user's standing wishes ("no cats"), from the conversation
        self._lock = threading.Lock()

    def step(
        self, instruction: str | None = None, events: Iterable[Event] = (), k: int = 12, focus: str | None = None
    ) -> Response:
        """Store ``events``, understand ``instruction``, rank, queue generation; never waits for a job.

        ``focus`` is the item the user is looking at ("make *this* shorter" refers to it).
        """
        with self._lock:  # two tabs of one user: steps take turns, so nothing is announced twice
            return self._step(instruction, list(events), k, focus)

    def _step(self, instruction: str | None, events: list[Event], k: int, focus: str | None) -> Response:
        store = self.system.store
        self._store_events(list(events))
        instruction = instruction.strip()[:2000] if instruction and instruction.strip() else None
        recent = store.events_for_user(self.user_id, limit=200)
        visible, ai = self.system._visible(self.user_id)

        def origin(item_id: str) -> Origin:  # items no longer visible count as human (the default)
            return Origin.AI if item_id in ai else Origin.HUMAN

        streak = negative_streak(recent, origin)
        if instruction:
            decision, remembered = self._understand(instruction, recent, focus)
        elif self._streak_reached(recent, events, origin, streak):  # generation switched on by rejections
            decision, remembered = self._decide_silently(recent), {}
        else:
            decision, remembered = Decision(), {}
        reply, queued = self._act(decision, instruction or "", recent)
        jobs = store.list_jobs(user_id=self.user_id, limit=20)
        delivered, notes, announced = self._deliveries(jobs)
        visible += [d.item for d in delivered if d.item.id not in ai]  # normally there already
        ai |= {d.item.id for d in delivered}
        ranked = self._rank(visible, recent, decision, k)
        chosen, placed = self.system.exposure.expose(delivered, ranked, k, streak, ai)
        items = self._shown(visible, chosen, decision, placed)
        reply = " ".join(x for x in [reply, *notes] if x)
        self.shown = [s.item.id for s in items]
        if instruction is not None or announced or queued is not None:
            payload = {"intent": decision.intent, "reason": decision.reason, "items": self.shown[:20],
                       "delivered": announced, "job": queued.id if queued else None, **remembered}  # fmt: skip
            store.add_turn(self.user_id, TurnRole.ASSISTANT, reply, session_id=self.session_id, payload=payload)
        why = {s.item.id: s.why for s in items}
        return Response(reply, items, why, decision, jobs, queued)

    def _streak_reached(
        self, recent: Sequence[Event], new: Sequence[Event], origin: Callable[[str], Origin], streak: int
    ) -> bool:
        """This step's events made the rejection streak reach a multiple of N, and a creator is installed.

        Only then does a step without words consult the instructor: the idle feed stays cheap, and a
        long streak starts one creation per N rejections, not one per step.
        """
        n = self.system.settings.instructor.negative_streak
        if not new or streak < n or not any(t.startswith("create_") for t in self.system.runners):
            return False
        fresh = {(e.item_id, EventKind(e.kind), e.ts) for e in new}
        before = [e for e in recent if (e.item_id, EventKind(e.kind), e.ts) not in fresh]
        return negative_streak(before, origin) // n < streak // n

    def _decide_silently(self, recent: Sequence[Event]) -> Decision:
        """The instructor's decision for a turn with feedback only (the activation rules see the streak)."""
        ids = list(dict.fromkeys([*self.shown, *(e.item_id for e in recent)]))
        origins = {i.id: i.origin for i in self.system.store.get_items(ids, system=True)}
        state = self.system.dialogue.load(self.user_id, self.session_id, instruction=None,
                                          events=self._with_ratings(recent), shown=self.shown,
                                          item_origin=origins)  # fmt: skip
        return normalise_decision(self.system.instructor.decide(state))

    def _understand(
        self, instruction: str, recent: Sequence[Event], focus: str | None = None
    ) -> tuple[Decision, dict[str, Any]]:
        """Load the dialogue state, store what was said, decide; return the decision and what to remember."""
        store = self.system.store
        if focus is not None:  # only an item this user may see can be the subject of an edit
            store.get_item(focus, viewer=self.user_id)
        ids = list(dict.fromkeys([*self.shown, *(e.item_id for e in recent)]))
        origins = {i.id: i.origin for i in store.get_items(ids, system=True)}
        state = self.system.dialogue.load(self.user_id, self.session_id, instruction=instruction,
                                          events=self._with_ratings(recent), shown=self.shown, focus_item=focus,
                                          item_origin=origins)  # fmt: skip
        store.add_instruction(Instruction(self.user_id, instruction, time.time(), self.session_id))
        decision = normalise_decision(self.system.instructor.decide(state))
        if decision.feedback is not None:  # "I love this one": the words are feedback on an item too
            with contextlib.suppress(NotFoundError):
                self._store_events([dataclasses.replace(decision.feedback, user_id=self.user_id, ts=time.time())])
        self._constraints = state.constraints
        remembered: dict[str, Any] = {"constraints": state.constraints.to_dict()}
        if decision.refusal is not None:  # the audit entry, next to the refused words in the conversation
            remembered["refusal"] = decision.refusal
        if decision.clarify:  # the next turn may answer the question: the instructor reads this back
            attrs = {a: list(v) for a, v in decision.wants.items()}
            remembered["clarify"] = {"intent": decision.intent, "attributes": attrs}
        return decision, remembered

    def _with_ratings(self, recent: Sequence[Event]) -> list[Event]:
        """``recent`` feedback plus the user's facet ratings (style, length, cover), in time order: the
        instructor reads both; ranking reads only feedback on whole items."""
        ratings = self.system.store.events_for_user(self.user_id, limit=50, facets=True)
        return sorted([*recent, *ratings], key=lambda e: e.ts)

    def record(self, events: Iterable[Event]) -> int:
        """Store events without a full step (a feed client reporting impressions); return how many."""
        return len(self._store_events(list(events)))

    def _store_events(self, events: list[Event]) -> list[Event]:
        if not events:
            return events
        check_events(self.system.store, self.user_id, events)
        self.system.store.add_events(events)
        return events

    def _act(self, decision: Decision, instruction: str, recent: Sequence[Event]) -> tuple[str, Job | None]:
        if decision.action == "retrieve":
            return decision.reply, None
        if decision.task not in self.system.runners:
            if not decision.explicit:  # nobody asked (a streak): nothing to apologise for
                return "Here is what I found.", None
            what = "making new videos" if decision.action == "create" else f"the {decision.task} edit"
            where = f" in models/{MODEL_DIRS[decision.task]}" if decision.task in MODEL_DIRS else ""
            return (f"Sorry, {what} is not available on this install yet (no trained model{where}); "
                    "here is the closest I could find instead."), None  # fmt: skip
        if decision.item_id is None and decision.action != "create":
            return "Which video do you mean? Pick one and ask again.", None
        try:
            liked = [e.item_id for e in sorted(recent, key=lambda e: -e.ts) if e.is_positive]
            job = self.system.enqueue(self.user_id, decision, instruction, list(dict.fromkeys(liked)))
        except JobLimitError:
            if decision.explicit:
                raise
            return "", None  # a streak-started creation waits for the user's open jobs
        except NotApplicableError as exc:  # not a failure: the user asked for something this item cannot get
            return str(exc), None
        return f"{decision.reply} I'll show it here when it is ready.".strip(), job

    def _deliveries(self, jobs: Sequence[Job]) -> tuple[list[Delivered], list[str], list[str]]:
        """Finished jobs not yet announced in this conversation: their items go first, failures are explained."""
        store = self.system.store
        fresh = [j for j in jobs if j.is_finished and j.id not in self._announced]
        if fresh and not self._announced_loaded:  # announcements live in the conversation: a restart keeps them
            for turn in store.turns(self.user_id, limit=200):
                self._announced.update((turn.payload or {}).get("delivered", []))
            self._announced_loaded = True
            fresh = [j for j in fresh if j.id not in self._announced]
        items, notes, done = [], [], []
        for job in fresh:
            done.append(job.id)
            self._announced.add(job.id)
            if job.status is JobStatus.DONE and job.result_item_id:
                try:
                    item = store.get_item(job.result_item_id, viewer=self.user_id)
                    items.append(Delivered(item, explicit=bool(job.params.get("explicit", True))))
                    notes.append("Your new item is ready (badged AI).")
                except NotFoundError:
                    notes.append(f"I made what you asked for, but it did not pass our checks: {job.message}.")
            elif job.status is JobStatus.FAILED:
                notes.append(f"Sorry, a generation job failed: {job.error}.")
        return items, notes, done

    def _rank(self, items: Sequence[Item], recent: Sequence[Event], decision: Decision, k: int) -> list[Candidate]:
        if self._constraints is None:
            self._constraints = self.system.dialogue.load(self.user_id, self.session_id).constraints
        if self._constraints:
            items = [i for i in items if self._constraints.allows(plain_attributes(i.attributes))]
        by_id = {i.id: i for i in items}
        missing = [e.item_id for e in recent if e.item_id not in by_id]
        known = {**by_id, **{i.id: i for i in self.system.store.get_items(missing, system=True)}} if missing else by_id
        profile = user_profile(recent, known)
        for attribute, values in decision.wants.items():  # what they just asked for outweighs the past
            for v in values:
                profile[(attribute, v)] = profile.get((attribute, v), 0.0) + 10.0
        judged = {e.item_id for e in recent if e.kind in (EventKind.LIKE, EventKind.DISLIKE, EventKind.SKIP)}
        rank_user = getattr(self.system.ranker, "rank_user", None)
        if rank_user is not None:  # the trained recommender: it knows the user, not only the tags
            return rank_user(self.user_id, recent, decision.wants, profile, items, k, exclude=judged)
        if isinstance(self.system.ranker, ContentRanker):
            return self.system.ranker.rank(profile, items, k, exclude=judged)
        return [c for c in self.system.ranker.rank(profile, items, k + len(judged)) if c.item_id not in judged][:k]

    def _shown(
        self, visible: Sequence[Item], chosen: Sequence[Candidate], decision: Decision, placed: Mapping[str, str]
    ) -> list[ShownItem]:
        items = {i.id: i for i in visible}  # already checked: visible to this user now, checks passed
        own_thumbs = {
            i.parent_id: i.thumbnail_hash
            for i in visible
            if i.is_ai and i.attributes.get("task") == "thumbnail" and i.visible_to == self.user_id
        }
        out = []
        for c in chosen:
            item = items.get(c.item_id)
            if item is None:
                continue
            how = placed.get(item.id) if item.is_ai else None
            out.append(ShownItem(item, c.score, c.source, why_shown(item, c, decision, how), own_thumbs.get(item.id),
                                 AI_LABEL if item.is_ai else None, how))  # fmt: skip
        return out
