"""The instructor (paper §3.1): words and clicks in, a decision and guidance out.

:meth:`Instructor.decide` takes one :class:`~generec.instructor.dialogue.DialogueState`
(this user's turn, their recent feedback, what they were shown, their standing
constraints) and returns a :class:`Decision`: the intent, a short reply, the
action (retrieve | edit(task, item) | create(kind), or none while it asks a
clarifying question), the :class:`~generec.types.Guidance` for the generators
and how generated items will be exposed. The instructor reads and updates only
the given state: it holds no switch any text could flip.

Example
-------
>>> from generec.instructor import Instructor, DialogueManager, OfflineUnderstanding, Vocabulary
>>> ins = Instructor(OfflineUnderstanding(Vocabulary.from_sim()).fit())       # doctest: +SKIP
>>> dm = DialogueManager()                                                      # doctest: +SKIP
>>> d = ins.respond(dm, "u1", "make a video of a red cat on the beach")         # doctest: +SKIP
>>> d.action                                                                    # doctest: +SKIP
Create(kind='video')
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from generec.instructor import facets, pictures, replies
from generec.instructor.activation import Action, Activation, ActivationPolicy, Create, Edit, Retrieve, negative_streak
from generec.instructor.dialogue import DialogueManager, DialogueState
from generec.instructor.exposure import ExposureDecision, ExposurePolicy
from generec.instructor.guidance import GuidanceBuilder
from generec.instructor.refusals import LLM_JUDGED, Refusal, RefusalScreen
from generec.instructor.schema import Intent, RefKind, Understanding
from generec.types import Event, EventKind, Facet, Guidance, Origin

log = logging.getLogger(__name__)

# Intents whose negations are standing wishes ("no more cats"), not one-off edit instructions.
_PERSISTENT = frozenset({Intent.RECOMMEND, Intent.DISLIKE, Intent.SET_CONSTRAINT})
# Clarifying questions whose answer continues the request (a low-confidence guess is not remembered).
_REMEMBERED_QUESTIONS = frozenset({"underspecified", "needs_item", "unresolved_reference"})
# Turns that are a new request of their own, never an answer to a clarifying question.
_OTHER_REQUESTS = frozenset({Intent.SET_CONSTRAINT, Intent.CLEAR_CONSTRAINT, Intent.ASK_WHY})


class Understander(Protocol):
    def understand(self, text: str) -> Understanding: ...


@dataclass(frozen=True, slots=True)
class Decision:
    """What the instructor decided for one turn.

    ``action`` is ``None`` while a clarifying question is asked (``clarify``) and when the words were
    refused (``refusal``: another user's data, checks off, a role change, overriding rules). ``feedback``
    holds the like/dislike the words expressed on an item, for the caller to store as an event.
    """

    intent: Intent | None
    reply: str
    action: Action | None
    guidance: Guidance | None = None
    understanding: Understanding | None = None
    reason: str = ""
    exposure: ExposureDecision | None = None
    clarify: bool = False
    item_id: str | None = None
    feedback: Event | None = None
    streak: int = 0
    refusal: Refusal | None = None


class Instructor:
    """Composes understanding, dialogue state, activation, guidance and exposure.

    Parameters
    ----------
    understanding : object with ``understand(text) -> Understanding``
        :class:`~generec.instructor.understanding.OfflineUnderstanding` or
        :class:`~generec.instructor.llm.LLMUnderstanding`.
    activation, exposure, guidance :
        The policies and the guidance builder (defaults: N = 3, no encoder/recommender).
    min_confidence : float
        Below this intent confidence the instructor asks instead of guessing.
    """

    def __init__(
        self,
        understanding: Understander,
        activation: ActivationPolicy | None = None,
        exposure: ExposurePolicy | None = None,
        guidance: GuidanceBuilder | None = None,
        min_confidence: float = 0.3,
    ) -> None:
        self.understanding = understanding
        self.activation = activation or ActivationPolicy()
        self.exposure = exposure or ExposurePolicy(self.activation.negative_streak)
        self.guidance = guidance or GuidanceBuilder()
        self.min_confidence = min_confidence
        self.screen = RefusalScreen()

    # -- pieces ---------------------------------------------------------------------------------------------
    @staticmethod
    def resolve(u: Understanding, state: DialogueState) -> tuple[str | None, bool]:
        """The item ``u`` refers to, and whether a reference could not be resolved."""
        if not u.references:
            return None, False
        ref = u.references[0]
        if ref.kind is RefKind.ITEM_ID:
            return ref.item_id, False
        if ref.kind is RefKind.ORDINAL:
            idx = ref.index if ref.index >= 0 else len(state.shown) + ref.index
            return (state.shown[idx], False) if 0 <= idx < len(state.shown) else (None, True)
        item = state.focus_item or (state.shown[0] if state.shown else None)
        if item is None:
            recent = [e for e in state.events if e.kind is not EventKind.IMPRESSION]
            item = max(recent, key=lambda e: e.ts).item_id if recent else None
        # An unresolvable "it" only matters when an item must be changed; "make one, say it's new" creates anyway.
        return item, item is None and ref.text != "(implied)" and u.intent.is_edit

    def _follow_up(self, u: Understanding, state: DialogueState) -> Understanding:
        """An answer to a clarifying question continues the question's intent.

        After "what should it show?" an answer with content continues a creation; after "which
        video?" an answer naming an item continues the edit, keeping the change asked before.
        """
        pending = state.pending or {}
        if not pending.get("intent"):
            return u
        intent = Intent(pending["intent"])
        if intent.is_edit and u.references and not u.intent.is_edit:
            attrs = {a: tuple(vs) for a, vs in (pending.get("attributes") or {}).items()}
            slots = dataclasses.replace(u.slots, attributes={**attrs, **u.slots.attributes})
            return dataclasses.replace(u, intent=intent, slots=slots)
        # A bare description ("a red cat on the beach") answers "what should it show?", whatever it resembles.
        if u.has_content and not u.references and u.intent not in _OTHER_REQUESTS:
            return dataclasses.replace(u, intent=intent)
        return u

    @staticmethod
    def _update_constraints(u: Understanding, state: DialogueState) -> int:
        c = state.constraints
        if u.intent is Intent.CLEAR_CONSTRAINT:
            # "let cats back in but keep the dogs out": the wanted values are lifted, the excluded ones stay.
            kept_out = [(k.attribute, k.value) for k in u.constraints if k.exclude]
            named = sorted(u.pairs()) or kept_out
            duration = u.slots.max_duration_s is not None or u.slots.duration_s is not None
            dropped = c.clear(named, duration=duration)
            for a, v in kept_out if u.pairs() else ():
                c.exclude(a, v)
            return len(dropped)
        if u.intent in _PERSISTENT:
            for k in u.constraints:
                (c.exclude if k.exclude else c.require)(k.attribute, k.value)
            if u.intent is Intent.SET_CONSTRAINT and u.slots.max_duration_s is not None:
                c.max_duration_s = u.slots.max_duration_s
        return 0

    @staticmethod
    def _feedback(u: Understanding, state: DialogueState, item_id: str | None) -> Event | None:
        if item_id is None or u.intent not in (Intent.LIKE, Intent.DISLIKE):
            return None
        kind = EventKind.LIKE if u.intent is Intent.LIKE else EventKind.DISLIKE
        last = max((e.ts for e in state.events), default=0.0)
        return Event(state.user_id, item_id, kind, ts=last + 1e-3, session_id=state.session_id)

    def _guidance(self, state: DialogueState, u: Understanding | None, feedback: Event | None) -> Guidance:
        own = [e for e in [*state.events, *([feedback] if feedback else [])] if e.user_id == state.user_id]
        liked = [e.item_id for e in own if e.is_positive]  # a liked facet is no like of the item
        disliked = [e.item_id for e in own if e.is_negative]
        return self.guidance.build(state.user_id, state.instruction, u, liked, disliked, state.constraints)

    def _clarify(self, u: Understanding | None, reply: str, reason: str, streak: int = 0) -> Decision:
        return Decision(u.intent if u else None, reply, None, understanding=u, reason=reason, clarify=True,
                        streak=streak)  # fmt: skip

    @staticmethod
    def _refuse(state: DialogueState, refusal: Refusal, u: Understanding | None = None) -> Decision:
        """No action, no guidance, no state change; the audit line names the user, the category and the rule."""
        log.warning("refused an instruction of user %s: %s (%s)", state.user_id, refusal.category, refusal.rule)
        return Decision(Intent.REFUSE, refusal.reply, None, understanding=u, reason="refused", refusal=refusal)

    # -- the decision ---------------------------------------------------------------------------------------
    def decide(self, state: DialogueState) -> Decision:
        """Decide this turn for ``state`` (updates ``state.constraints`` in place).

        The reply also says which words were read as which value and which this install cannot make
        or find yet (:func:`generec.instructor.replies.vocabulary_note`): no word is dropped silently.
        """
        d = self._decide(state)
        note = replies.vocabulary_note(d.understanding) if d.refusal is None else ""
        reply = replies.in_kind(f"{d.reply} {note}" if note else d.reply, self.activation.kind)
        return dataclasses.replace(d, reply=reply) if reply != d.reply else d

    def _decide(self, state: DialogueState) -> Decision:
        # The same refusal rules whichever understanding (offline or an LLM) would read the words.
        refusal = self.screen.check(state.instruction) if state.instruction else None
        if refusal is not None:
            return self._refuse(state, refusal)
        u = self.understanding.understand(state.instruction) if state.instruction else None
        if u is not None and u.intent is Intent.REFUSE:
            return self._refuse(state, Refusal(LLM_JUDGED, f"labelled refuse by the {u.source} understanding"), u)
        picture = self._picture_turn(state, u)
        if picture is not None:
            return picture
        if u is not None:
            u = self._follow_up(u, state)
            if u.confidence < self.min_confidence:
                return self._clarify(u, replies.CLARIFY_INTENT, "low_confidence")
        item_id, unresolved = self.resolve(u, state) if u is not None else (None, False)
        if unresolved:
            return self._clarify(u, replies.CLARIFY_ITEM, "unresolved_reference")
        dropped = self._update_constraints(u, state) if u is not None else 0
        feedback = self._feedback(u, state, item_id) if u is not None else None
        events: Sequence[Event] = [*state.events, feedback] if feedback else state.events
        streak = negative_streak(events, lambda i: state.origin_of(i))
        ratings = [e for e in state.events if e.facet is not None]  # facet ratings steer which editor serves
        covers = facets.disliked(ratings, item_id, Facet.THUMBNAIL) if item_id is not None else 0
        act = self.activation.decide(u, streak, item_id, cover_dislikes=covers)
        if act.action is None:
            return self._clarify(u, replies.CLARIFY_ITEM, act.reason, streak)
        liked_any = any(e.is_positive for e in state.events)
        blank = u is not None and not u.has_content
        asked_blank = isinstance(act.action, Create) and act.reason == "create_requested" and blank
        if asked_blank and not liked_any and not state.constraints:
            return self._clarify(u, replies.CLARIFY_WHAT, "underspecified", streak)
        return self._finish(state, u, act, item_id, feedback, dropped)

    def _picture_turn(self, state: DialogueState, u: Understanding | None) -> Decision | None:
        """A turn with a picture attached, or one speaking of a picture none was attached to (paper §2).

        ``None`` when the picture plays no part (the turn then goes the usual way). A style use needs
        the item to restyle (the one referred to, else the one in focus, else the first shown).
        """
        if state.picture is None:
            if pictures.names_picture(state.instruction):
                return self._clarify(pictures.without_picture_words(u), replies.ASK_PICTURE, "needs_picture")
            return None
        role = pictures.picture_role(state.instruction, u.intent if u is not None else None)
        if role is None:
            return None
        u = pictures.without_picture_words(u)
        streak = negative_streak(state.events, lambda i: state.origin_of(i))
        action: Action
        if role is pictures.PictureRole.STYLE:
            item_id = self.resolve(u, state)[0] if u is not None and u.references else None
            item_id = item_id or state.focus_item or (state.shown[0] if state.shown else None)
            if item_id is None:
                return self._clarify(u, replies.CLARIFY_ITEM, "needs_item", streak)
            action, intent = Edit("style_transfer", item_id), Intent.EDIT_STYLE
        elif role is pictures.PictureRole.CREATE:
            action, intent, item_id = Create(self.activation.kind), Intent.CREATE, None
        else:
            action, intent, item_id = Retrieve(), Intent.RECOMMEND, None
        guidance = dataclasses.replace(self._guidance(state, u, None), picture=state.picture)
        exposure = None if role is pictures.PictureRole.RETRIEVE else self.exposure.decide(explicit=True, streak=streak)
        return Decision(intent, replies.PICTURE_REPLIES[role.value], action, guidance, u, f"picture_{role.value}",
                        exposure, False, item_id, None, streak)  # fmt: skip

    def _finish(
        self,
        state: DialogueState,
        u: Understanding | None,
        act: Activation,
        item_id: str | None,
        feedback: Event | None,
        dropped: int,
    ) -> Decision:
        exposure = guidance = None
        if act.generates:
            exposure = self.exposure.decide(explicit=u is not None and u.intent.is_generation, streak=act.streak)
            guidance = self._guidance(state, u, feedback)
        intent = u.intent if u is not None else None
        if act.generates or intent in (None, Intent.RECOMMEND):
            reply = replies.action_reply(u, act)
        elif intent in (Intent.LIKE, Intent.DISLIKE):
            reply = replies.feedback_reply(intent, item_id is not None, state.constraints)
        elif intent in (Intent.SET_CONSTRAINT, Intent.CLEAR_CONSTRAINT):
            reply = replies.constraint_reply(intent, state.constraints, dropped)
        elif intent is Intent.ASK_WHY:
            reply = replies.ASK_WHY
        else:
            reply = replies.CHITCHAT
        return Decision(intent, reply, act.action, guidance, u, act.reason, exposure, False, item_id, feedback,
                        act.streak)  # fmt: skip

    def respond(
        self,
        dialogue: DialogueManager,
        user_id: str,
        text: str | None = None,
        *,
        session_id: str | None = None,
        events: Sequence[Event] = (),
        shown: Sequence[str] = (),
        focus_item: str | None = None,
        item_origin: dict[str, Origin] | None = None,
        picture: str | None = None,
    ) -> Decision:
        """Load the state, decide, and store the exchange (with what must be remembered) in one call."""
        state = dialogue.load(user_id, session_id, instruction=text, events=events, shown=shown,
                              focus_item=focus_item, item_origin=item_origin, picture=picture)  # fmt: skip
        decision = self.decide(state)
        payload: dict[str, Any] = {"intent": decision.intent.value if decision.intent else None,
                                   "reason": decision.reason}  # fmt: skip
        if decision.refusal is not None:  # the audit entry rides with the reply, next to the refused words
            payload["refusal"] = decision.refusal.to_dict()
        if decision.reason in _REMEMBERED_QUESTIONS and decision.intent is not None and decision.understanding:
            attrs = {a: list(vs) for a, vs in decision.understanding.slots.attributes.items()}
            payload["clarify"] = {"intent": decision.intent.value, "attributes": attrs}
        dialogue.commit(state, decision.reply, payload=payload)
        return decision
