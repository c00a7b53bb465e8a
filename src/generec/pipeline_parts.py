"""The parts :mod:`generec.pipeline` composes: protocols at the seams and the default implementations.

* :class:`Ranker` — ranks the items a user may see; default :class:`ContentRanker` (the user's
  feedback on item attributes, so human and AI items rank on one scale).
* :class:`Instructor` — ``decide(DialogueState)``; by default :class:`LazyInstructor`, the real
  ``generec.instructor.Instructor`` built from config; :func:`normalise_decision` reads its decision.
* :class:`ExposurePolicy` — what the user asked to have made is shown directly, everything
  else ranks with the corpus.

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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from generec.types import Candidate, Event, EventKind, Guidance, Item

PROFILE_KEYS = ("category", "colour", "style", "scene", "motion", "size")
"""Item attributes a user's taste is learned on (the GeneRec-Sim vocabulary; others fall back to title words)."""

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
    def expose(self, requested: Sequence[Item], ranked: Sequence[Candidate], k: int) -> list[Candidate]: ...


def item_features(item: Item) -> set[tuple[str, str]]:
    """The (attribute, value) pairs a taste is learned on; title words when an item has no attributes."""
    pairs = {(key, str(item.attributes[key])) for key in PROFILE_KEYS if item.attributes.get(key)}
    if not pairs:
        pairs = {("word", w) for w in _WORD.findall(f"{item.title} {item.caption}".lower()) if len(w) > 2}
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


class RequestedFirst:
    """Exposure: items the user asked to have made are shown directly, ahead of the ranked corpus."""

    def expose(self, requested: Sequence[Item], ranked: Sequence[Candidate], k: int) -> list[Candidate]:
        first = [Candidate(i.id, float("inf"), "generated") for i in requested]
        seen = {c.item_id for c in first}
        rest = [c for c in ranked if c.item_id not in seen]
        return (first + rest)[: max(k, len(first))]


# ------------------------------------------------------------------------------------------ instructor
class LazyInstructor:
    """:class:`generec.instructor.Instructor` built from ``settings.instructor`` on first use.

    Fitting the offline understanding takes a while (it embeds its seed examples), so the
    service calls :meth:`warm` in the background at start-up; a turn arriving earlier waits.
    """

    def __init__(self, settings: Any) -> None:
        self.settings = settings
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
                understanding = build_understanding(cfg, Vocabulary.from_sim(), examples, encoder=text)
                self._instructor = build_instructor(cfg, understanding)
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
    task = getattr(action, "task", None) or (getattr(action, "kind", None) if kind == "create" else None)
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
    )


def plain_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes a standing wish can name (strings, or lists of strings), not nested metadata."""
    return {k: v for k, v in attributes.items()
            if isinstance(v, str) or (isinstance(v, list | tuple) and all(isinstance(x, str) for x in v))}  # fmt: skip


def why_shown(item: Item, c: Candidate, decision: Decision) -> str:
    if c.source == "generated":
        return "You asked for this; GeneRec made it for you (AI-generated)."
    asked = [v for vs in decision.wants.values() for v in vs if v in map(str, item.attributes.values())]
    if asked:
        return f"Matches what you asked for: {', '.join(asked)}."
    if c.score > 0.5:
        return "Similar to what you liked before."
    return "Popular on GeneRec."
