"""The parts :mod:`generec.pipeline` composes: protocols at the seams and the default implementations.

* :class:`Ranker` — ranks the items a user may see; default :class:`ContentRanker` (the user's
  feedback on item attributes, so human and AI items rank on one scale).
* :class:`Instructor` — ``decide(DialogueState)``; by default :class:`LazyInstructor`, the real
  ``generec.instructor.Instructor`` built from config; :func:`normalise_decision` reads its decision.
* :class:`ExposurePolicy` — :class:`PolicyExposure` applies the instructor's
  :class:`generec.instructor.exposure.ExposurePolicy`: a made item is shown directly when the user
  asked for it or has rejected human items repeatedly, otherwise it ranks with the corpus by content
  score; either way it is labelled AI-generated.

Example
-------
>>> from generec.types import Item
>>> ranker = ContentRanker()
>>> items = [Item(id="a", attributes={"category": "cat"}), Item(id="b", attributes={"category": "dog"})]
>>> [c.item_id for c in ranker.rank({("category", "dog"): 1.0}, items, k=2)]
['b', 'a']
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from generec.errors import GeneRecError, NotFoundError
from generec.types import CONTENT_ATTRIBUTES, Candidate, Event, EventKind, Guidance, Item

if TYPE_CHECKING:
    from generec.store import Store

PROFILE_KEYS = CONTENT_ATTRIBUTES
"""Item attributes a user's taste is learned on (items with none of them fall back to title words)."""

RECENT_EVENTS = 200
"""A user's latest events that a step reads: what it ranks and fills a creation's open attributes by."""

EVENT_WEIGHTS = {
    EventKind.LIKE: 2.0,
    EventKind.CLICK: 0.5,
    EventKind.DWELL: 0.2,
    EventKind.DISLIKE: -2.0,
    EventKind.SKIP: -0.7,
    EventKind.IMPRESSION: 0.0,
}

ACTIONS = ("retrieve", "edit", "create")

_WORD = re.compile(r"[a-z]+")


@dataclasses.dataclass(slots=True)
class Decision:
    """What the instructor decided for one turn.

    ``action`` is ``"retrieve"`` (rank the corpus), ``"edit"`` (run editor ``task`` on ``item_id``)
    or ``"create"`` (make a new item of ``task``'s kind). ``reply`` is said back to the user.
    """

    intent: str = "recommend"
    reply: str = ""
    action: str = "retrieve"
    task: str | None = None
    item_id: str | None = None
    guidance: Guidance | None = None
    wants: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    clarify: bool = False
    reason: str = ""
    feedback: Event | None = None
    exposure: str | None = None
    streak: int = 0
    refusal: dict[str, str] | None = None
    """Why the words were refused (category and rule, for the audit line); the step then only shows the feed."""

    @property
    def explicit(self) -> bool:
        """The user asked for generation this turn (not switched on by a streak of rejections)."""
        return self.action != "retrieve" and self.reason != "negative_streak"


@dataclasses.dataclass(frozen=True, slots=True)
class Delivered:
    """A made item that just arrived for the user, and whether they asked for it."""

    item: Item
    explicit: bool


@dataclasses.dataclass(slots=True)
class ShownItem:
    """One item of a response: the item, its score and source, and a sentence saying why it is here."""

    item: Item
    score: float
    source: str
    why: str
    thumbnail_hash: str | None = None
    label: str | None = None
    """``"AI-generated"`` for every made item, ``None`` for human ones."""
    exposure: str | None = None
    """For a made item, the rule that placed it: ``requested`` | ``negative_streak`` (first) or ``ranked``."""


@dataclasses.dataclass(slots=True)
class Response:
    """What one step returns: the reply, the items to show, why, and the user's open or just-finished jobs."""

    reply: str
    items: list[ShownItem]
    why: dict[str, str]
    decision: Decision
    jobs: list[Any] = dataclasses.field(default_factory=list)  # generec.store.Job records
    queued: Any = None


@runtime_checkable
class Ranker(Protocol):
    """Ranks ``items`` for a user ``profile`` (attribute pair -> weight); returns the top ``k``."""

    def rank(self, profile: Mapping[tuple[str, str], float], items: Sequence[Item], k: int) -> list[Candidate]: ...


@runtime_checkable
class Instructor(Protocol):
    """``decide(state: generec.instructor.DialogueState)``, returning what :func:`normalise_decision` reads."""

    def decide(self, state: Any) -> Any: ...


@runtime_checkable
class ExposurePolicy(Protocol):
    """Orders a step's items: fresh made items (``delivered``) and the ranked ones (human and AI)."""

    def expose(
        self, delivered: Sequence[Delivered], ranked: Sequence[Candidate], k: int, streak: int, ai: Set[str]
    ) -> tuple[list[Candidate], dict[str, str]]: ...


def item_features(item: Item) -> set[tuple[str, str]]:
    """The (attribute, value) pairs a taste is learned on; title words when an item has no attributes."""
    return attribute_pairs(item.attributes, f"{item.title} {item.caption}")


def attribute_pairs(attributes: Mapping[str, Any], text: str = "") -> set[tuple[str, str]]:
    """:func:`item_features` of an item described by ``attributes`` and ``text`` (its title and caption)."""
    pairs = {(key, str(attributes[key])) for key in PROFILE_KEYS if attributes.get(key)}
    if not pairs:
        pairs = {("word", w) for w in _WORD.findall(text.lower()) if len(w) > 2}
    return pairs


def user_profile(events: Sequence[Event], items: Mapping[str, Item]) -> dict[tuple[str, str], float]:
    """Sum of event weights over the features of the items the user acted on (recent events weigh more)."""
    profile: dict[tuple[str, str], float] = {}
    n = len(events)
    for i, event in enumerate(events):
        item = items.get(event.item_id)
        weight = EVENT_WEIGHTS.get(EventKind(event.kind), 0.0)
        if item is None or weight == 0.0:
            continue
        weight *= 0.5 + 0.5 * (i + 1) / n  # why: the last few reactions say most about the mood right now
        for pair in item_features(item):
            profile[pair] = profile.get(pair, 0.0) + weight
    return profile


class ContentRanker:
    """Score = taste profile · item features + a small popularity prior; items already judged drop out.

    Works for new AI items without retraining (they are scored from their attributes), which is
    what the loop needs between recommender trainings. Popularity is what the platform observed
    (``log1p`` of clicks and likes per item, see :meth:`set_popularity`), never a hidden attribute.
    """

    def __init__(self, popularity_weight: float = 0.1) -> None:
        self.popularity_weight = popularity_weight
        self._popularity: Mapping[str, float] = {}
        self._features: dict[str, set[tuple[str, str]]] = {}  # item id -> features (attributes never change)

    def set_popularity(self, counts: Mapping[str, int]) -> None:
        """Observed interaction counts per item (e.g. :meth:`generec.store.Store.item_counts`)."""
        self._popularity = {item_id: math.log1p(n) for item_id, n in counts.items()}

    def _item_features(self, item: Item) -> set[tuple[str, str]]:
        pairs = self._features.get(item.id)
        if pairs is None:
            pairs = self._features[item.id] = item_features(item)
        return pairs

    def rank(
        self,
        profile: Mapping[tuple[str, str], float],
        items: Sequence[Item],
        k: int,
        exclude: frozenset[str] | set[str] = frozenset(),
    ) -> list[Candidate]:
        scored = []
        for item in items:
            if item.id in exclude:
                continue
            score = sum(profile.get(p, 0.0) for p in self._item_features(item))
            score += self.popularity_weight * self._popularity.get(item.id, 0.0)
            scored.append((-score, item.id))
        scored.sort()
        return [Candidate(item_id, -neg, "retrieval") for neg, item_id in scored[:k]]


class PolicyExposure:
    """The instructor's exposure rules applied to one step (paper §3.4, task 2).

    A fresh made item goes first (``direct``) when the user asked for it, or when they have now
    rejected ``negative_streak`` human items in a row; otherwise it competes with every other item
    on the content score the ranker gave it. Returns the candidates and, per made item shown, the
    rule that placed it (``requested`` | ``negative_streak`` | ``ranked``).

    Example
    -------
    >>> exp = PolicyExposure(negative_streak=2)
    >>> made = Delivered(Item(id="g"), explicit=False)
    >>> cands, why = exp.expose([made], [Candidate("h", 0.9), Candidate("g", 0.1)], k=2, streak=0, ai={"g"})
    >>> [c.item_id for c in cands], why
    (['h', 'g'], {'g': 'ranked'})
    """

    def __init__(self, negative_streak: int = 3, rules: Any = None) -> None:
        from generec.instructor.exposure import ExposurePolicy as Rules

        self.rules = rules or Rules(negative_streak)

    def expose(
        self, delivered: Sequence[Delivered], ranked: Sequence[Candidate], k: int, streak: int, ai: Set[str]
    ) -> tuple[list[Candidate], dict[str, str]]:
        from generec.instructor.exposure import ExposureDecision, ExposureMode

        why: dict[str, str] = {}
        direct: list[tuple[str, float]] = []
        for d in delivered:
            decision = self.rules.decide(explicit=d.explicit, streak=streak)
            if decision.mode is ExposureMode.DIRECT:
                direct.append((d.item.id, math.inf))
                why[d.item.id] = decision.reason
        first = {i for i, _ in direct}
        human = [c for c in ranked if c.item_id not in ai]
        made = [(c.item_id, c.score) for c in ranked if c.item_id in ai and c.item_id not in first]
        merged = self.rules.arrange(human, made, ExposureDecision(ExposureMode.RANK, "ranked"))
        if direct:
            rest = [Candidate(e.item_id, e.score, e.source) for e in merged]
            merged = self.rules.arrange(rest, direct, ExposureDecision(ExposureMode.DIRECT, "direct"))
        out = [Candidate(e.item_id, e.score, "generated" if e.item_id in ai else e.source) for e in merged]
        for c in out:
            if c.item_id in ai:
                why.setdefault(c.item_id, "ranked")
        out = out[: max(k, len(direct))]
        shown = {c.item_id for c in out}
        return out, {i: r for i, r in why.items() if i in shown}


# ------------------------------------------------------------------------------------------ instructor
class LazyInstructor:
    """:class:`generec.instructor.Instructor` built from ``settings.instructor`` on first use.

    Fitting the offline understanding takes a while (it embeds its seed examples), so the
    service calls :meth:`warm` in the background at start-up; a turn arriving earlier waits.
    """

    def __init__(self, settings: Any, catalogue: Callable[[], Iterable[Mapping[str, Any]]] | None = None,
                 kind: Callable[[], str] | None = None) -> None:  # fmt: skip
        self.settings = settings
        self.catalogue = catalogue  # the items' attributes: what this install can retrieve, in its own words
        self.kind = kind  # what this install creates (video, or image in a domain of pictures)
        self._instructor: Any = None
        self._lock = threading.Lock()

    def warm(self) -> Any:
        with self._lock:
            if self._instructor is None:
                from generec.data.sim.instructions import generate_instructions
                from generec.encoders.cache import FeatureCache
                from generec.encoders.text import MiniLMText
                from generec.instructor.factory import build_instructor, build_understanding
                from generec.instructor.vocabulary import Vocabulary

                cfg = self.settings.instructor
                # The built-in world's labelled instructions (train families only) teach the intents
                # beyond the instructor's own seed examples.
                rows = generate_instructions(600, seed=0)
                examples = [(r["text"], r["intent"]) for r in rows if r["split"] == "train"]
                # Sentence embeddings are cached on disk, so a restarted service is ready in seconds.
                text = MiniLMText(cache=FeatureCache(Path(self.settings.home) / "cache" / "features"))
                attrs = self.catalogue() if self.catalogue is not None else ()
                vocabulary = Vocabulary.from_catalogue(attrs)  # the built-in world's when the catalogue has none
                understanding = build_understanding(cfg, vocabulary, examples, encoder=text)
                self._instructor = build_instructor(cfg, understanding, kind=self.kind() if self.kind else "video")
            return self._instructor

    def decide(self, state: Any) -> Any:
        return self.warm().decide(state)


def normalise_decision(raw: Any) -> Decision:
    """Read any instructor's decision (``generec.instructor.Decision`` or ours) into a :class:`Decision`.

    The instructor's ``action`` is ``Retrieve()``, ``Edit(task, item_id)``, ``Create(kind)`` or
    ``None`` (a clarifying question), or a plain string for simpler instructors.
    """
    if isinstance(raw, Decision):
        return raw
    action = getattr(raw, "action", None)
    name = type(action).__name__.lower() if action is not None and not isinstance(action, str) else str(action)
    kind = name if name in ACTIONS else "retrieve"
    task = getattr(action, "task", None)
    if kind == "create":  # the job kind that makes it: create_video / create_image
        task = f"create_{getattr(action, 'kind', None) or 'video'}"
    intent = getattr(raw, "intent", None)
    u = getattr(raw, "understanding", None)
    wants = {a: tuple(v) for a, v in getattr(getattr(u, "slots", None), "attributes", {}).items()}
    return Decision(
        intent=str(getattr(intent, "value", intent) or "chitchat"),
        reply=str(getattr(raw, "reply", "") or ""),
        action=kind,
        task=task or getattr(raw, "task", None),
        item_id=getattr(action, "item_id", None) or getattr(raw, "item_id", None),
        guidance=getattr(raw, "guidance", None),
        wants=wants,
        clarify=bool(getattr(raw, "clarify", False)),
        reason=str(getattr(raw, "reason", "") or ""),
        feedback=getattr(raw, "feedback", None),
        exposure=_mode(getattr(raw, "exposure", None)),
        streak=int(getattr(raw, "streak", 0) or 0),
        refusal=refusal.to_dict() if (refusal := getattr(raw, "refusal", None)) is not None else None,
    )


def _mode(exposure: Any) -> str | None:
    mode = getattr(exposure, "mode", exposure)
    return None if mode is None else str(getattr(mode, "value", mode))


def describe_wants(wants: Mapping[str, Sequence[str]]) -> str:
    """A caption-like description of what was asked ("a red dog at night, watercolour style").

    The creator was trained on shot captions in this word order, so it is what the instruction
    embedding should look like; attributes that were not asked for are left out.

    >>> describe_wants({"category": ("dog",), "scene": ("night",), "colour": ("red",)})
    'a red dog at night'
    >>> describe_wants({"category": ("dress",), "brightness": ("dark",), "texture": ("patterned",)})
    'a dark patterned dress'
    """
    from generec.data.sim.vocab import SCENE_PHRASE

    def one(attribute: str) -> str:
        values = wants.get(attribute) or ()
        return str(values[0]) if values else ""

    # A fashion catalogue's captions put brightness and texture first: "a dark patterned dress".
    words = (one("size"), one("brightness"), one("texture"), one("colour"), one("category") or "video", one("motion"))
    subject = " ".join(x for x in words if x)
    scene = one("scene")
    text = f"a {subject.replace('_', ' ')}"
    if scene:
        text += " " + (SCENE_PHRASE[scene][0] if scene in SCENE_PHRASE else f"in the {scene}")
    if one("style"):
        text += f", {one('style')} style"
    return text if wants else ""


def plain_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes a standing wish can name (strings, or lists of strings), not nested metadata."""
    return {k: v for k, v in attributes.items()
            if isinstance(v, str) or (isinstance(v, list | tuple) and all(isinstance(x, str) for x in v))}  # fmt: skip


EXPOSURE_WHY = {
    "requested": "You asked for this; GeneRec made it for you (AI-generated).",
    "negative_streak": "You passed on several videos in a row, so GeneRec made this for you (AI-generated).",
    "ranked": "Made by GeneRec (AI-generated); shown because it fits your tastes.",
}


def why_shown(item: Item, c: Candidate, decision: Decision, exposure: str | None = None) -> str:
    if exposure is not None or c.source == "generated":
        return EXPOSURE_WHY.get(exposure or "requested", EXPOSURE_WHY["ranked"])
    if c.source == "picture":  # ordered by the picture the user attached (paper §2)
        return "Looks like the picture you attached."
    asked = [v for vs in decision.wants.values() for v in vs if v in map(str, item.attributes.values())]
    if asked:
        return f"Matches what you asked for: {', '.join(asked)}."
    if c.score > 0.5:
        return "Similar to what you liked before."
    return "Popular on GeneRec."


def check_events(store: Store, user_id: str, events: Sequence[Event]) -> None:
    """The rule for storing feedback: a user's own events, about items that user may see."""
    for e in events:
        if e.user_id != user_id:
            raise GeneRecError(f"an event names user {e.user_id!r}; events must be the session user's own")
    ids = sorted({e.item_id for e in events})
    visible = {i.id for i in store.get_items(ids, viewer=user_id)}
    missing = [i for i in ids if i not in visible]
    if missing:
        raise NotFoundError(f"item {missing[0]!r} not found; events can only be about items you can see")
