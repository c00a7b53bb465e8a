"""API routes for the signed-in user: sign-in, feed, events, chat, history, jobs; and the admin's audit view.

No route takes another user's id (admin routes aside): each reads the caller's own records,
so one user cannot reach another's history, conversation or jobs by guessing ids.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, field_validator

from generec.errors import GeneRecError, NotFoundError
from generec.pipeline import Response as StepResponse
from generec.service.auth import COOKIE, current_user, require_role, token_of
from generec.store import Job
from generec.text import clean_text
from generec.types import Event, EventKind, Item, ItemStatus, Role, User

router = APIRouter(prefix="/api")


class LoginIn(BaseModel):
    token: str = Field(min_length=8, max_length=200)


class EventIn(BaseModel):
    item_id: str = Field(min_length=1, max_length=200)
    kind: Literal["impression", "click", "like", "dislike", "skip", "dwell"]
    value: float = Field(default=0.0, ge=0.0, le=86_400.0)


class EventsIn(BaseModel):
    events: list[EventIn] = Field(min_length=1, max_length=500)


class ChatIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    focus_item_id: str | None = Field(default=None, max_length=200, description="The item the user is looking at.")
    events: list[EventIn] = Field(default_factory=list, max_length=500)
    picture_id: str | None = Field(
        default=None, max_length=200, description="A picture attached to the words (from POST /api/uploads/picture)."
    )

    @field_validator("text")
    @classmethod
    def _printable(cls, text: str) -> str:
        text = clean_text(text, multiline=True)
        if not text:
            raise ValueError("the message has no printable characters")
        return text


def ctx(request: Request) -> Any:
    return request.app.state.ctx


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "role": Role(user.role).value}


def item_json(item: Item, thumbnail_hash: str | None = None) -> dict[str, Any]:
    """What a client may know about an item it can see; AI items always carry their label."""
    base = f"/api/items/{item.id}"
    return {
        "id": item.id, "title": item.title, "caption": item.caption, "modality": item.modality.value,
        "origin": item.origin.value, "ai_generated": item.is_ai,
        "label": item.attributes.get("ai_label", "AI-generated") if item.is_ai else None,
        "parent_id": item.parent_id, "uploader_id": item.uploader_id, "private": item.visibility.value == "private",
        "media_url": f"{base}/media" if item.media_hash else None,
        "thumbnail_url": f"{base}/thumbnail" if (thumbnail_hash or item.thumbnail_hash) else None,
        "captions_url": f"{base}/captions" if item.attributes.get("captions") else None,
        "personal_thumbnail": thumbnail_hash is not None, "created_at": item.created_at,
    }  # fmt: skip


def job_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.id, "kind": job.kind, "status": job.status.value, "progress": job.progress,
        "message": job.message, "error": job.error, "result_item_id": job.result_item_id,
        "item_id": job.params.get("item_id"), "created_at": job.created_at, "updated_at": job.updated_at,
        "attempts": job.attempts, "finished": job.is_finished,
    }  # fmt: skip


def step_json(r: StepResponse) -> dict[str, Any]:
    return {
        "reply": r.reply,
        "items": [{**item_json(s.item, s.thumbnail_hash), "score": s.score if s.score != float("inf") else None,
                   "source": s.source, "why": s.why, "exposure": s.exposure} for s in r.items],  # fmt: skip
        "intent": r.decision.intent, "action": r.decision.action,
        "job": job_json(r.queued) if r.queued else None,
        "jobs": [job_json(j) for j in r.jobs if not j.is_finished],
    }  # fmt: skip


def events_of(user: User, events: list[EventIn]) -> list[Event]:
    now = time.time()
    return [Event(user.id, e.item_id, EventKind(e.kind), now, e.value, "web") for e in events]


# ------------------------------------------------------------------ sign-in
@router.post("/auth/login", tags=["auth"])
def login(body: LoginIn, request: Request, response: Response) -> dict[str, Any]:
    """Exchange a token for the sign-in cookie (the page uses it for video requests); returns the user."""
    try:
        user = ctx(request).tokens.user(body.token)
    except NotFoundError as exc:
        raise HTTPException(401, str(exc)) from None
    response.set_cookie(COOKIE, body.token, httponly=True, samesite="strict", max_age=30 * 86400, path="/")
    return user_json(user)


@router.post("/auth/logout", tags=["auth"])
def logout(request: Request, response: Response) -> dict[str, str]:
    """Sign this browser out (drop the cookie); the token itself stays valid (see ``/auth/revoke``)."""
    token = token_of(request)
    if token:
        ctx(request).tokens.forget(token)
    response.delete_cookie(COOKIE, path="/")
    return {"status": "signed out"}


@router.post("/auth/revoke", tags=["auth"])
def revoke(request: Request, response: Response, user: User = Depends(current_user)) -> dict[str, str]:
    """Revoke the token this request signed in with, everywhere and at once, and drop the cookie."""
    ctx(request).tokens.revoke(token_of(request) or "")
    response.delete_cookie(COOKIE, path="/")
    return {"status": "token revoked", "user_id": user.id}


@router.get("/me", tags=["auth"])
def me(user: User = Depends(current_user)) -> dict[str, Any]:
    return user_json(user)


@router.get("/health", tags=["service"])
async def health(request: Request) -> dict[str, Any]:
    c = ctx(request)
    describe = getattr(c.generec.ranker, "describe", None)  # which ranker orders the feed (a model, or tags)
    ranker = describe() if callable(describe) else {"ranker": type(c.generec.ranker).__name__}
    return {"status": "ok", "tasks": sorted(c.generec.runners), "workers": c.pool.n_workers, "ranker": ranker}


# ------------------------------------------------------------------ the loop
@router.get("/feed", tags=["feed"])
def feed(request: Request, k: int = Query(12, ge=1, le=50), user: User = Depends(current_user)) -> dict[str, Any]:
    """Ranked items for the caller (human and AI), and finished generations announced once."""
    return step_json(ctx(request).session(user.id).step(k=k))


@router.post("/events", tags=["feed"])
def post_events(body: EventsIn, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    """Store the caller's impressions, clicks, likes, dislikes, skips and dwell times."""
    # Same rule as Session.record (own events, visible items), but committed together with
    # other users' concurrent posts: one disk sync per batch instead of one per request.
    return {"stored": ctx(request).events.write(user.id, events_of(user, body.events))}


@router.post("/chat", tags=["chat"])
def chat(body: ChatIn, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    """One chat turn through the instructor; generation is queued, never waited for.

    ``picture_id``: a picture the caller attached (paper §2): its style restyles the item in focus,
    or its content finds or guides the making of items like it, as the words say.
    """
    session = ctx(request).session(user.id)
    return step_json(session.step(body.text, events_of(user, body.events), focus=body.focus_item_id,
                                  picture=body.picture_id))  # fmt: skip


@router.get("/chat", tags=["chat"])
def conversation(request: Request, limit: int = Query(50, ge=1, le=500),
                 user: User = Depends(current_user)) -> dict[str, Any]:  # fmt: skip
    turns = ctx(request).generec.store.turns(user.id, limit=limit)
    return {"turns": [{"role": t.role.value, "text": t.text, "ts": t.ts} for t in turns]}


@router.get("/history", tags=["feed"])
def history(request: Request, limit: int = Query(100, ge=1, le=1000),
            user: User = Depends(current_user)) -> dict[str, Any]:  # fmt: skip
    events = ctx(request).generec.store.events_for_user(user.id, limit=limit, facets=None)  # ratings of facets too
    return {"events": [{"item_id": e.item_id, "kind": e.kind.value, "ts": e.ts, "value": e.value,
                        "facet": e.facet.value if e.facet else None} for e in events]}  # fmt: skip


# ------------------------------------------------------------------ jobs
def own_job(request: Request, job_id: str, user: User) -> Job:
    try:
        job = ctx(request).generec.store.get_job(job_id)
    except NotFoundError:
        job = None
    if job is None or job.user_id != user.id:  # someone else's job reads exactly like a missing one
        raise HTTPException(404, f"job {job_id!r} not found")
    return job


@router.get("/jobs", tags=["jobs"])
def jobs(request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    return {"jobs": [job_json(j) for j in ctx(request).generec.store.list_jobs(user_id=user.id, limit=50)]}


@router.get("/jobs/{job_id}", tags=["jobs"])
def job(job_id: str, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    return job_json(own_job(request, job_id, user))


@router.post("/jobs/{job_id}/cancel", tags=["jobs"])
def cancel(job_id: str, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    own_job(request, job_id, user)
    try:
        return job_json(ctx(request).generec.store.cancel_job(job_id))
    except GeneRecError as exc:
        raise HTTPException(409, str(exc)) from None


@router.get("/jobs/{job_id}/events", tags=["jobs"])
async def job_events(job_id: str, request: Request, user: User = Depends(current_user)) -> StreamingResponse:
    """Server-sent events: the job's state whenever it changes, until it finishes (at most 10 minutes)."""
    own_job(request, job_id, user)
    store = ctx(request).generec.store

    async def stream():
        last, deadline = None, time.monotonic() + 600
        while time.monotonic() < deadline and not await request.is_disconnected():
            state = job_json(await asyncio.to_thread(store.get_job, job_id))
            if state != last:
                yield f"data: {json.dumps(state)}\n\n"
                last = state
            if state["finished"]:
                return
            await asyncio.sleep(0.5)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


# ------------------------------------------------------------------ admin
@router.get("/admin/blocked", tags=["admin"])
def blocked(request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    """AI items the fidelity policy held back, with every verdict (admins only)."""
    require_role(user, Role.ADMIN)
    store = ctx(request).generec.store
    out = []
    for item in store.list_items(system=True, status=ItemStatus.BLOCKED, limit=None):
        verdicts = store.verdicts_for(item.id)
        out.append({**item_json(item), "requested_by": item.visible_to,
                    "failed": [v.check for v in verdicts if not v.passed],
                    "verdicts": [verdict_json(v) for v in verdicts]})  # fmt: skip
    return {"items": out}


def verdict_json(v: Any) -> dict[str, Any]:
    return {"check": v.check, "passed": v.passed, "score": v.score, "evidence": v.evidence, "at": v.created_at}


@router.post("/admin/users/{user_id}/tokens", tags=["admin"])
def issue_token(user_id: str, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    """Issue a sign-in token for a user (admins only); shown once."""
    require_role(user, Role.ADMIN)
    token = ctx(request).generec.store.create_token(user_id, label=f"issued by {user.id}")
    return {"user_id": user_id, "token": token}


@router.post("/admin/users/{user_id}/tokens/revoke", tags=["admin"])
def revoke_tokens(user_id: str, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    """Revoke every token of a user (admins only); they stop working at once."""
    require_role(user, Role.ADMIN)
    return {"user_id": user_id, "revoked": ctx(request).tokens.revoke_user(user_id)}
