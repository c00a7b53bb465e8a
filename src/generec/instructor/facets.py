"""Facet feedback (paper §2): what a rating of one aspect of an item tells the instructor.

A user rates an item's style, length or thumbnail (cover) as liked or not. A liked facet
asks for nothing. A disliked one proposes the editor that changes exactly that facet:
a disliked style a restyle (style transfer; revision "for your taste" where no style model
is installed), "too long" a personalized clip, a disliked cover a better cover, picked
from the video's own frames first and drawn anew (thumbnail generation) once a picked
one was disliked too. The proposal is offered, never run unasked: accepting it sends its
``instruction`` through the instructor like any request.

Example
-------
>>> from generec.types import Event, EventKind, Facet
>>> p = propose(Facet.LENGTH, liked=False, ratings=[], item_id="v1", available={"clipping"})
>>> p.task, p.instruction
('clipping', 'make this one shorter')
>>> propose(Facet.STYLE, liked=True, ratings=[], item_id="v1", available={"style_transfer"}) is None
True
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from generec.types import Event, EventKind, Facet

FACETS: tuple[str, ...] = tuple(f.value for f in Facet)
"""The facets a user can rate, in the order the page shows them."""

_EDITS: dict[Facet, tuple[str, ...]] = {
    Facet.STYLE: ("style_transfer", "revision"),
    Facet.LENGTH: ("clipping",),
    Facet.THUMBNAIL: ("thumbnail_selection", "thumbnail_generation"),
}
"""Per facet, the editor tasks that change it, in order of preference."""

INSTRUCTIONS: dict[str, str] = {
    "style_transfer": "restyle this one",
    "revision": "redo this for me",
    "clipping": "make this one shorter",
    "thumbnail_selection": "pick a better cover for this one",
    "thumbnail_generation": "make a new cover for it",
}
"""What accepting a proposal says to the instructor (each is also a seed example of its intent)."""

_OFFERS: dict[str, str] = {
    "style_transfer": "Shall I restyle it?",
    "revision": "Shall I redo it for your taste?",
    "clipping": "Shall I make a shorter version?",
    "thumbnail_selection": "Shall I pick a better cover from the video?",
    "thumbnail_generation": "Shall I draw a new cover for it?",
}
_NOTED = {
    (Facet.STYLE, True): "Noted: you like its style.",
    (Facet.STYLE, False): "Noted: not your style.",
    (Facet.LENGTH, True): "Noted: the length suits you.",
    (Facet.LENGTH, False): "Noted: too long for you.",
    (Facet.THUMBNAIL, True): "Noted: you like its cover.",
    (Facet.THUMBNAIL, False): "Noted: you don't like its cover.",
}


@dataclass(frozen=True, slots=True)
class FacetProposal:
    """The edit a disliked facet proposes: ``task`` on ``item_id``, asked for with ``instruction``."""

    facet: Facet
    item_id: str
    task: str
    instruction: str
    reply: str


def disliked(ratings: Sequence[Event], item_id: str, facet: Facet) -> int:
    """How many times the user disliked ``facet`` of ``item_id`` among their facet ``ratings``."""
    return sum(1 for e in ratings if e.item_id == item_id and e.facet == facet and e.kind is EventKind.DISLIKE)


def cover_task(cover_dislikes: int, asks_content: bool = False) -> str:
    """The cover editor for a request: a frame of the video first; a drawn cover once a picked
    one was disliked too (two dislikes of this item's cover), or when the words ask for content
    no frame may show."""
    return "thumbnail_generation" if asks_content or cover_dislikes >= 2 else "thumbnail_selection"


def noted(facet: Facet, liked: bool) -> str:
    """The short acknowledgement of a rating."""
    return _NOTED[(facet, liked)]


def propose(
    facet: Facet, *, liked: bool, ratings: Sequence[Event], item_id: str, available: Collection[str]
) -> FacetProposal | None:
    """The edit to offer after a rating (``ratings`` include it), or ``None`` (liked, or no editor installed).

    ``available`` are the editor tasks this install can run.
    """
    if liked:
        return None
    order = list(_EDITS[facet])
    if facet is Facet.THUMBNAIL and cover_task(disliked(ratings, item_id, facet)) == "thumbnail_generation":
        order.reverse()
    task = next((t for t in order if t in available), None)
    if task is None:
        return None
    return FacetProposal(facet, item_id, task, INSTRUCTIONS[task], f"{noted(facet, liked)} {_OFFERS[task]}")
