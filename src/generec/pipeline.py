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
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from generec.config import Settings, load_settings
from generec.errors import GeneRecError, NotFoundError
from generec.instructor.dialogue import DialogueManager
from generec.pipeline_jobs import JobLimitError, JobRunner, NotApplicableError, job_seed, run_made
from generec.pipeline_parts import (
    RECENT_EVENTS,
    Decision,
    ExposurePolicy,
    Instructor,
    LazyInstructor,
    PolicyExposure,
    Ranker,
    Response,
    ShownItem,
    describe_wants,
    plain_attributes,
)
from generec.pipeline_runners import default_runners
from generec.pipeline_session import Session
from generec.recommender.taste import favourite_values
from generec.store import Job, MediaStore, Store
from generec.text import hide_paths
from generec.types import Item, Modality

log = logging.getLogger(__name__)

__all__ = ["Decision", "GeneRec", "JobLimitError", "NotApplicableError", "Response", "Session", "ShownItem"]


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
            settings, lambda: (plain_attributes(i.attributes) for i in self.catalog().values()), lambda: self.creates
        )
        self.runners = dict(runners) if runners is not None else default_runners(settings)
        if fidelity is None:  # the deployment's policy (settings.fidelity): every made item must pass it
            from generec.fidelity.policy import FidelityPolicy

            # A picture creator that knows the photos it learnt from gives the memorisation check its index.
            index = getattr(getattr(self.runners.get("create_image"), "creator", None), "memorisation", None)
            options = {"memorisation": {"index": index}} if index is not None else None
            fidelity = FidelityPolicy.from_settings(settings, store=store, options=options)
        self.fidelity = fidelity
        self.dialogue = DialogueManager(store)
        self.exposure = exposure or PolicyExposure(settings.instructor.negative_streak)
        self.catalog_ttl_s = catalog_ttl_s
        self._catalog: tuple[float, dict[str, Item]] = (0.0, {})
        self._catalog_ai: frozenset[str] = frozenset()  # refreshed with the catalog: no per-step corpus pass
        self._lock = threading.Lock()
        self._pictures: tuple[Any, str] | None = None  # (PictureGuide or None, why not), built on first use

    @property
    def creates(self) -> str:
        """What this install creates: ``video``, or ``image`` when its one creator makes pictures (a fashion home)."""
        kinds = [t.removeprefix("create_") for t in self.runners if t.startswith("create_")]
        return "video" if "video" in kinds or not kinds else kinds[0]

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

    def picture_guide(self) -> tuple[Any, str]:
        """The :class:`~generec.pipeline_pictures.PictureGuide` of this install's encoder and ``""``, or
        ``(None, why not)`` when the install has no image encoder (paper §2, pictures in the chat)."""
        if self._pictures is None:
            from generec.pipeline_pictures import PictureGuide

            try:
                self._pictures = (PictureGuide.from_system(self), "")
            except GeneRecError as exc:
                self._pictures = (None, str(exc))
        return self._pictures

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
        leanings = self.taste_wants(user_id, decision) if decision.action == "create" else {}
        params = {"task": decision.task, "item_id": decision.item_id, "instruction": text, "length_s": length,
                  "wants": wants, "description": describe_wants(decision.wants), "explicit": decision.explicit,
                  "taste": {a: [v] for a, v in favourite_values(leanings).items()}, "leanings": leanings,
                  "reason": decision.reason, "seed": job_seed(user_id, text, len(jobs)),
                  "liked": list(liked)[:10],
                  "picture": decision.guidance.picture if decision.guidance else None}  # fmt: skip
        kind = decision.task if decision.task.startswith("create_") else f"edit_{decision.task}"
        return self.store.create_job(kind, params, user_id=user_id)

    def taste_wants(self, user_id: str, decision: Decision) -> dict[str, dict[str, float]]:
        """How the user's history weighs the values of each attribute a creation was not told (paper §3.1:
        User_Hist, read in the attribute space); the favourite of each is what the creation is steered by.

        For a creation model with an attributes input, each attribute of its vocabulary the request left
        open gets the served recommender's attribute-taste weights of its values for this user, fitted on
        their recent events (:meth:`RecommenderRanker.leanings`). What the user said always wins, and
        their standing wishes bound the choice: a value they excluded ("no dark ones") is never weighed,
        and an attribute they keep to some values ("only plain ones") is weighed among those (one value:
        that one). Nothing is weighed without a learned taste, or for a model without an attributes input.
        """
        runner = self.runners.get(decision.task)
        vocabulary = getattr(getattr(runner, "creator", None), "vocabulary", None)
        leanings = getattr(self.ranker, "leanings", None)
        if vocabulary is None or leanings is None:
            return {}
        standing = decision.guidance.constraints if decision.guidance is not None else {}
        avoid = {(str(a), str(v)) for a, v in standing.get("exclude", [])}
        only: dict[str, set[str]] = {}
        for a, v in standing.get("require", []):
            only.setdefault(str(a), set()).add(str(v))
        open_ = {a: [v for v in values if a not in only or v in only[a]]
                 for a, values in vocabulary.attributes if not decision.wants.get(a)}  # fmt: skip
        fixed = {a: {values[0]: 0.0} for a, values in open_.items()
                 if len(values) == 1 and (a, values[0]) not in avoid}  # fmt: skip
        choose = {a: values for a, values in open_.items() if len(values) > 1}
        if not choose:
            return fixed
        events = self.store.events_for_user(user_id, limit=RECENT_EVENTS)
        known = self.store.get_items(list(dict.fromkeys(e.item_id for e in events)), system=True)
        return {**leanings(events, known, choose, avoid), **fixed}

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
