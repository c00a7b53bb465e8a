"""Facet ratings and captions of an item: ``/api/items/{id}/facets`` and ``/api/items/{id}/captions``.

A facet rating (paper §2: feedback on an item's style, length and thumbnail) is stored as an
event with that facet; a disliked facet answers with the edit the instructor proposes
(:mod:`generec.instructor.facets`), which the page offers as one tap that sends the
proposal's words through the chat. Captions are the WebVTT track made with a generated or
edited video. Items are read with the caller as viewer: another user's private item answers
404 exactly as a missing one.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from generec.instructor.facets import FACETS, noted, propose
from generec.service.api import ctx
from generec.service.api_items import _media, visible_item
from generec.service.auth import current_user
from generec.types import Event, EventKind, Facet, User

router = APIRouter(prefix="/api")


class FacetIn(BaseModel):
    facet: str = Field(min_length=1, max_length=40, description=f"One of: {', '.join(FACETS)}.")
    liked: bool = Field(description="True: liked this facet; false: did not (for length: too long).")


def _facet(name: str) -> Facet:
    if name not in FACETS:
        raise HTTPException(422, f"unknown facet {name[:40]!r}; rate one of: {', '.join(FACETS)}")
    return Facet(name)


@router.post("/items/{item_id}/facets", tags=["feed"])
def rate_facet(item_id: str, body: FacetIn, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    """Rate one facet of an item (style, length, thumbnail) as liked or not.

    A disliked facet comes back with the edit the instructor proposes for it (``proposal``:
    the editor ``task`` and the ``instruction`` that asks for it in the chat), or none when
    this install has no editor for that facet.
    """
    visible_item(request, item_id, user)  # 404 before anything is stored
    facet = _facet(body.facet)
    c = ctx(request)
    kind = EventKind.LIKE if body.liked else EventKind.DISLIKE
    c.events.write(user.id, [Event(user.id, item_id, kind, time.time(), 0.0, "web", facet)])
    ratings = c.generec.store.events_for_user(user.id, limit=200, facets=True)
    p = propose(facet, liked=body.liked, ratings=ratings, item_id=item_id, available=c.generec.runners)
    return {
        "item_id": item_id, "facet": facet.value, "liked": body.liked,
        "reply": p.reply if p else noted(facet, body.liked),
        "proposal": {"task": p.task, "instruction": p.instruction} if p else None,
    }  # fmt: skip


@router.get("/items/{item_id}/facets", tags=["feed"])
def my_ratings(item_id: str, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    """The caller's latest rating of each facet of an item (``null``: not rated)."""
    visible_item(request, item_id, user)
    latest: dict[str, bool | None] = dict.fromkeys(FACETS)
    for e in ctx(request).generec.store.events_for_user(user.id, limit=1000, facets=True):
        if e.item_id == item_id and e.facet is not None:
            latest[e.facet.value] = e.kind is EventKind.LIKE
    return {"item_id": item_id, "ratings": latest}


@router.get("/items/{item_id}/captions", tags=["items"])
def captions(item_id: str, request: Request, user: User = Depends(current_user)) -> Response:
    """The WebVTT captions of a generated or edited video: what was asked, what was made, timed to the clip."""
    it = visible_item(request, item_id, user)
    if not it.attributes.get("captions"):
        raise HTTPException(404, f"item {item_id!r} has no captions (only generated and edited videos have them)")
    return _media(request, it.attributes["captions"], "captions", item_id)
