"""Activation control (paper §3.4, task 2): retrieve, edit an item, or create a new one.

The rules, in order:

1. The user explicitly asked for generation (an edit or a creation intent): generate.
   *Edit* when an item is referenced (or the corpus has a close match by content score)
   and only a change is asked; *create* otherwise.
2. The user rejected human items ``negative_streak`` times in a row (dislike / skip,
   with no like or click in between): create, guided by their history.
3. Otherwise: retrieve.

Example
-------
>>> from generec.instructor.schema import Intent, Understanding
>>> policy = ActivationPolicy(negative_streak=2)
>>> policy.decide(Understanding(Intent.RECOMMEND, 0.9), streak=2).action
Create(kind='video')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from generec.errors import ConfigError
from generec.instructor.facets import cover_task
from generec.instructor.schema import Intent, Understanding
from generec.types import Event, Origin

# Edit intents -> the editor task that serves them (one module each in generec.editor).
EDIT_TASKS: dict[Intent, str] = {
    Intent.EDIT_THUMBNAIL: "thumbnail_selection",
    Intent.EDIT_CLIP: "clipping",
    Intent.EDIT_STYLE: "style_transfer",
    Intent.EDIT_REVISE: "revision",
}
# Turns after which a negative streak may switch generation on (not "why this?" or "show everything again").
_STREAK_INTENTS = frozenset({Intent.RECOMMEND, Intent.DISLIKE, Intent.SET_CONSTRAINT, Intent.CHITCHAT})


@dataclass(frozen=True, slots=True)
class Retrieve:
    """Rank existing items (no generation)."""


@dataclass(frozen=True, slots=True)
class Edit:
    """Repurpose ``item_id`` with editor ``task``."""

    task: str
    item_id: str


@dataclass(frozen=True, slots=True)
class Create:
    """Make a new item of ``kind`` from guidance alone."""

    kind: str = "video"


Action = Retrieve | Edit | Create

CloseMatch = Callable[[Understanding], tuple[str, float] | None]
"""Given an understanding, the corpus item that best matches it and its content score (or ``None``)."""


@dataclass(frozen=True, slots=True)
class Activation:
    """The decision, why it was taken (one of a closed set of reasons) and the streak it saw."""

    action: Action | None
    reason: str
    streak: int = 0

    @property
    def generates(self) -> bool:
        return isinstance(self.action, Edit | Create)


def negative_streak(events: Sequence[Event], origin: Mapping[str, Origin] | Callable[[str], Origin]) -> int:
    """Consecutive negative signals on human items, counted back from the latest event.

    A like or click on any item ends the streak (the user is being served); negatives on AI
    items and neutral events (impressions, dwell) neither count nor end it.
    """
    origin_of = origin if callable(origin) else (lambda i: origin.get(i, Origin.HUMAN))
    streak = 0
    for event in sorted(events, key=lambda e: e.ts, reverse=True):
        if event.is_positive:
            break
        if event.is_negative and origin_of(event.item_id) is Origin.HUMAN:
            streak += 1
    return streak


class ActivationPolicy:
    """Decides retrieve | edit(task, item) | create(kind) for one turn.

    Parameters
    ----------
    negative_streak : int
        Negative signals on human items in a row that switch generation on (N >= 1).
    close_match : callable, optional
        ``understanding -> (item_id, content score) | None``: the corpus item closest to a
        requested change, used when an edit names no item.
    close_match_threshold : float
        Content score a close match needs to be edited instead of creating anew.
    kind : str
        What :class:`Create` makes (``"video"`` or ``"image"``).
    """

    def __init__(
        self,
        negative_streak: int = 3,
        close_match: CloseMatch | None = None,
        close_match_threshold: float = 0.8,
        kind: str = "video",
    ) -> None:
        if negative_streak < 1:
            raise ConfigError(f"negative_streak must be at least 1, got {negative_streak}")
        self.negative_streak = negative_streak
        self.close_match = close_match
        self.close_match_threshold = close_match_threshold
        self.kind = kind

    def _edit_task(self, u: Understanding, cover_dislikes: int = 0) -> str:
        if u.intent is Intent.EDIT_THUMBNAIL:  # a frame first; a drawn cover for content or after a disliked pick
            return cover_task(cover_dislikes, asks_content=bool(u.slots.attributes))
        return EDIT_TASKS.get(u.intent, "revision")

    def _match(self, u: Understanding) -> str | None:
        if self.close_match is None:
            return None
        found = self.close_match(u)
        if found is not None and found[1] >= self.close_match_threshold:
            return found[0]
        return None

    def decide(
        self, u: Understanding | None, streak: int = 0, item_id: str | None = None, cover_dislikes: int = 0
    ) -> Activation:
        """Decide for one turn; ``u`` is ``None`` when the user only gave feedback (no words).

        ``item_id`` is the item the turn refers to, already resolved (or ``None``); ``cover_dislikes``
        how often the user disliked its cover (facet ratings, :mod:`generec.instructor.facets`).
        """
        if u is None:
            if streak >= self.negative_streak:
                return Activation(Create(self.kind), "negative_streak", streak)
            return Activation(Retrieve(), "retrieve", streak)
        if u.intent.is_edit:
            target = item_id or self._match(u)
            if target is not None:
                return Activation(Edit(self._edit_task(u, cover_dislikes), target), "edit_requested", streak)
            if u.slots.attributes:
                return Activation(Create(self.kind), "edit_without_item", streak)
            return Activation(None, "needs_item", streak)
        if u.intent is Intent.CREATE:
            if item_id is not None:
                # "one like this, but with a dog": a change to a referenced item.
                return Activation(Edit("revision", item_id), "create_from_item", streak)
            return Activation(Create(self.kind), "create_requested", streak)
        if streak >= self.negative_streak and u.intent in _STREAK_INTENTS:
            return Activation(Create(self.kind), "negative_streak", streak)
        return Activation(Retrieve(), "retrieve", streak)
