"""One user's conversation with GeneRec: :meth:`Session.step`, the loop (see :mod:`generec.pipeline`)."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generec.errors import GeneRecError, NotFoundError
from generec.instructor.activation import negative_streak
from generec.instructor.exposure import AI_LABEL
from generec.instructor.replies import taste_note
from generec.pipeline_jobs import JobLimitError, NotApplicableError
from generec.pipeline_parts import (
    RECENT_EVENTS,
    ContentRanker,
    Decision,
    Delivered,
    Response,
    ShownItem,
    check_events,
    normalise_decision,
    plain_attributes,
    user_profile,
    why_shown,
)
from generec.pipeline_pictures import creation_note, rank_for_picture
from generec.pipeline_runners import MODEL_DIRS
from generec.store import Job, TurnRole
from generec.types import Candidate, Event, EventKind, Instruction, Item, JobStatus, Origin

if TYPE_CHECKING:
    from generec.pipeline import GeneRec

log = logging.getLogger(__name__)


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
        self, instruction: str | None = None, events: Iterable[Event] = (), k: int = 12, focus: str | None = None,
        picture: str | None = None,
    ) -> Response:  # fmt: skip
        """Store ``events``, understand ``instruction``, rank, queue generation; never waits for a job.

        ``focus`` is the item the user is looking at ("make *this* shorter" refers to it). ``picture``
        is a picture attached to the words (paper §2, multimodal instructions): the id of the user's
        picture stored with :meth:`attach`; its style restyles an item, its content guides retrieval
        or a creation, as the words say.
        """
        with self._lock:  # two tabs of one user: steps take turns, so nothing is announced twice
            return self._step(instruction, list(events), k, focus, picture)

    def attach(self, path: str | Path) -> Item:
        """Store a picture for this user's chat (checked as uploads are; private to them); pass its id to
        :meth:`step`. :class:`~generec.errors.MediaError`, with nothing stored, for a file that is no
        PNG or JPEG picture."""
        from generec.pipeline_pictures import store_picture

        return store_picture(self.system, self.user_id, Path(path))

    def _step(self, instruction: str | None, events: list[Event], k: int, focus: str | None,
              picture: str | None = None) -> Response:  # fmt: skip
        store = self.system.store
        self._store_events(list(events))
        instruction = instruction.strip()[:2000] if instruction and instruction.strip() else None
        if picture is not None:
            from generec.pipeline_pictures import picture_file

            if instruction is None:
                raise GeneRecError("a picture needs words: say what to do with it, e.g. 'something like this'")
            picture_file(self.system, self.user_id, picture)  # the user's own picture, or NotFoundError
        recent = store.events_for_user(self.user_id, limit=RECENT_EVENTS)
        visible, ai = self.system._visible(self.user_id)

        def origin(item_id: str) -> Origin:  # items no longer visible count as human (the default)
            return Origin.AI if item_id in ai else Origin.HUMAN

        streak = negative_streak(recent, origin)
        if instruction:
            decision, remembered = self._understand(instruction, recent, focus, picture)
        elif self._streak_reached(recent, events, origin, streak):  # generation switched on by rejections
            decision, remembered = self._decide_silently(recent), {}
        else:
            decision, remembered = Decision(), {}
        reply, queued = self._act(decision, instruction or "", recent)
        jobs = store.list_jobs(user_id=self.user_id, limit=20)
        delivered, notes, announced = self._deliveries(jobs)
        visible += [d.item for d in delivered if d.item.id not in ai]  # normally there already
        ai |= {d.item.id for d in delivered}
        ranked, instead = rank_for_picture(self, visible, recent, decision, k)
        ranked = ranked if ranked is not None else self._rank(visible, recent, decision, k)
        reply = instead or reply
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
        self, instruction: str, recent: Sequence[Event], focus: str | None = None, picture: str | None = None
    ) -> tuple[Decision, dict[str, Any]]:
        """Load the dialogue state, store what was said, decide; return the decision and what to remember."""
        store = self.system.store
        if focus is not None:  # only an item this user may see can be the subject of an edit
            store.get_item(focus, viewer=self.user_id)
        ids = list(dict.fromkeys([*self.shown, *(e.item_id for e in recent)]))
        origins = {i.id: i.origin for i in store.get_items(ids, system=True)}
        state = self.system.dialogue.load(self.user_id, self.session_id, instruction=instruction,
                                          events=self._with_ratings(recent), shown=self.shown, focus_item=focus,
                                          item_origin=origins, picture=picture)  # fmt: skip
        store.add_instruction(Instruction(self.user_id, instruction, time.time(), self.session_id))
        decision = normalise_decision(self.system.instructor.decide(state))
        if decision.feedback is not None:  # "I love this one": the words are feedback on an item too
            with contextlib.suppress(NotFoundError):
                self._store_events([dataclasses.replace(decision.feedback, user_id=self.user_id, ts=time.time())])
        self._constraints = state.constraints
        remembered: dict[str, Any] = {"constraints": state.constraints.to_dict()}
        if picture is not None:  # the audit trail: which of the user's pictures this turn carried
            remembered["picture"] = picture
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
        note = creation_note(self.system, self.user_id, decision) if decision.action == "create" else ""
        try:
            liked = [e.item_id for e in sorted(recent, key=lambda e: -e.ts) if e.is_positive]
            job = self.system.enqueue(self.user_id, decision, instruction, list(dict.fromkeys(liked)))
        except JobLimitError:
            if decision.explicit:
                raise
            return "", None  # a streak-started creation waits for the user's open jobs
        except NotApplicableError as exc:  # not a failure: the user asked for something this item cannot get
            return str(exc), None
        note = f"{note} {taste_note(job.params.get('taste') or {})}"
        return f"{decision.reply} {note} I'll show it here when it is ready.".replace("  ", " ").strip(), job

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
