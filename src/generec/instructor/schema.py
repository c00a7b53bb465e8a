"""The closed set of things the instructor can understand from a user's words.

Whatever a user types, and whatever an LLM answers, ends up as one of these
records: an :class:`Intent` from a fixed list, attribute values from the corpus
vocabulary, item references and constraints. Nothing here can express a policy
change, a check being switched off or another user's data, so no text can ask
for one (user text is data, never commands).

Example
-------
>>> u = Understanding(Intent.RECOMMEND, 0.93, Slots(attributes={"category": ("cat",)}))
>>> u.slots.values("category")
('cat',)
>>> u.pairs()
{('category', 'cat')}
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Intent(enum.StrEnum):
    """What the user wants from this turn (paper §3.1: instructions and feedback)."""

    RECOMMEND = "recommend"
    CREATE = "create"
    EDIT_THUMBNAIL = "edit_thumbnail"
    EDIT_CLIP = "edit_clip"
    EDIT_STYLE = "edit_style"
    EDIT_REVISE = "edit_revise"
    LIKE = "like"
    DISLIKE = "dislike"
    SET_CONSTRAINT = "set_constraint"
    CLEAR_CONSTRAINT = "clear_constraint"
    ASK_WHY = "ask_why"
    CHITCHAT = "chitchat"
    REFUSE = "refuse"  # another user's data, checks off, a role change, overriding rules: refused, no action

    @property
    def is_edit(self) -> bool:
        return self.value.startswith("edit_")

    @property
    def is_generation(self) -> bool:
        """The user explicitly asked for AI-made content (an edit or a creation)."""
        return self is Intent.CREATE or self.is_edit


class RefKind(enum.StrEnum):
    """How a user pointed at an item."""

    DEICTIC = "deictic"  # "this one", "it", "that video"
    ORDINAL = "ordinal"  # "the second video", "the last one"
    ITEM_ID = "item_id"  # an explicit id the client sent along


@dataclass(frozen=True, slots=True)
class ItemRef:
    """A reference to an item; ``index`` is 0-based into the last shown list (-1: the last one)."""

    kind: RefKind
    index: int = 0
    item_id: str | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class Constraint:
    """A standing wish about content: ``exclude=True`` for "no cats", ``False`` for "only dogs"."""

    attribute: str
    value: str
    exclude: bool = True

    def describe(self) -> str:
        return f"no {self.value}" if self.exclude else f"only {self.value}"


LENGTH_CHANGES = ("shorter", "longer")


@dataclass(frozen=True, slots=True)
class Slots:
    """Content the user asked for: attribute -> values, plus length wishes.

    ``duration_s`` is an explicit length ("10 seconds"); ``max_duration_s`` an upper bound
    ("nothing longer than 10 seconds"); ``length_change`` a relative wish ("shorter" / "longer").
    """

    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    duration_s: float | None = None
    max_duration_s: float | None = None
    length_change: str | None = None

    def values(self, attribute: str) -> tuple[str, ...]:
        return self.attributes.get(attribute, ())

    @property
    def is_empty(self) -> bool:
        return (
            not self.attributes and self.duration_s is None and self.max_duration_s is None and not self.length_change
        )

    def pairs(self) -> set[tuple[str, str]]:
        return {(a, v) for a, vs in self.attributes.items() for v in vs}


@dataclass(frozen=True, slots=True)
class Understanding:
    """One turn, understood: intent, confidence in it, slots, references and constraints."""

    intent: Intent
    confidence: float
    slots: Slots = field(default_factory=Slots)
    references: tuple[ItemRef, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    source: str = "offline"
    mapped: tuple[tuple[str, str], ...] = ()
    """(phrase, value): words outside the vocabulary read as one of its values; the reply says so."""
    unknown: tuple[tuple[str, str | None], ...] = ()
    """(phrase, nearest value): content this install has no value for; the reply reports it."""

    def pairs(self) -> set[tuple[str, str]]:
        """Every (attribute, value) asked for, for scoring and for matching items."""
        return self.slots.pairs()

    @property
    def has_content(self) -> bool:
        """Whether the turn says anything about *what* (content, length, constraints or an item)."""
        return not self.slots.is_empty or bool(self.references) or bool(self.constraints)
