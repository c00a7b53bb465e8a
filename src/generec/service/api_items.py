"""Item routes: metadata, media with range requests, "why am I seeing this", and uploads by uploaders.

Every item is read with the caller as viewer, so another user's private item answers 404
exactly as a missing one does.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from generec.errors import GeneRecError, MediaError, NotFoundError
from generec.fidelity.policy import is_blocked
from generec.pipeline import Decision, JobLimitError
from generec.pipeline_pictures import PICTURE_MIMES, store_picture
from generec.service.api import ctx, item_json, job_json, verdict_json
from generec.service.auth import current_user, require_role
from generec.service.media import file_response
from generec.store.scratch import scratch_dir
from generec.text import clean_text
from generec.types import Guidance, Item, Modality, Role, User

router = APIRouter(prefix="/api")
_SUFFIX = {"video/mp4": ".mp4", "video/webm": ".webm", "image/png": ".png", "image/jpeg": ".jpg"}


def visible_item(request: Request, item_id: str, user: User) -> Item:
    return ctx(request).generec.store.get_item(item_id, viewer=user.id)


@router.get("/items/{item_id}", tags=["items"])
def item(item_id: str, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    return item_json(visible_item(request, item_id, user))


def _media(request: Request, media_hash: str | None, what: str, item_id: str) -> Response:
    if not media_hash:
        raise HTTPException(404, f"item {item_id!r} has no {what}")
    c = ctx(request)
    try:
        path = c.generec.media.path_for(media_hash)
        mime = c.mimes.get(media_hash)
        if mime is None:
            mime = c.generec.store.get_media(media_hash).mime
            if len(c.mimes) > 100_000:  # bounded memory
                c.mimes.clear()
            c.mimes[media_hash] = mime
    except (NotFoundError, MediaError):
        raise HTTPException(404, f"the {what} file of item {item_id!r} is missing from the media store") from None
    return file_response(path, mime, request.headers.get("range"), media_hash)


@router.get("/items/{item_id}/media", tags=["items"])
def media(item_id: str, request: Request, user: User = Depends(current_user)) -> Response:
    """The item's video or image; honours ``Range: bytes=...`` (206) so players can seek."""
    it = visible_item(request, item_id, user)
    return _media(request, it.media_hash, "media", item_id)


@router.get("/items/{item_id}/thumbnail", tags=["items"])
def thumbnail(item_id: str, request: Request, user: User = Depends(current_user)) -> Response:
    """The item's cover: the caller's personalized one when GeneRec made one, else the uploader's."""
    it = visible_item(request, item_id, user)
    # Only this item's AI children made for the caller (not the whole visible set); checks passed, as in the feed.
    children = ctx(request).generec.store.list_items(viewer=user.id, parent_id=item_id, origin="ai", limit=None)
    own = [
        i for i in children if i.visible_to == user.id and i.attributes.get("task") == "thumbnail" and not is_blocked(i)
    ]
    return _media(request, own[-1].thumbnail_hash if own else it.thumbnail_hash, "thumbnail", item_id)


@router.get("/items/{item_id}/why", tags=["items"])
def why(item_id: str, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    """Who made the item and how (provenance), and every check's verdict on it."""
    it = visible_item(request, item_id, user)
    store = ctx(request).generec.store
    try:
        p = store.get_provenance(item_id)
        provenance = {"made_by": p.made_by, "task": p.task, "model_id": p.model_id, "parents": list(p.parents),
                      "authorship": p.authorship.value, "author_id": p.author_id, "created_at": p.created_at,
                      "params": {k: v for k, v in p.params.items() if k != "instruction"}}  # fmt: skip
    except NotFoundError:
        provenance = None
    who = "GeneRec (AI)" if it.is_ai else f"uploaded by {it.uploader_id or 'unknown'}"
    return {"item": item_json(it), "who": who, "provenance": provenance,
            "verdicts": [verdict_json(v) for v in store.verdicts_for(item_id)]}  # fmt: skip


# ------------------------------------------------------------------ uploads
THUMBNAIL_PX = 320  # longest side of an upload's cover; smaller uploads keep their size


def _title(text: str) -> str:
    text = clean_text(text)
    if not text:
        raise HTTPException(422, "an upload needs a title (query parameter 'title') with printable characters")
    return text[:200]


async def _receive(request: Request, dst: Path, limit: int) -> int:
    size = 0
    with open(dst, "wb") as f:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, f"upload too large (limit {limit} bytes)")
            f.write(chunk)
    if size == 0:
        raise HTTPException(422, "the upload is empty; send the file's bytes as the request body")
    return size


@router.post("/uploads", tags=["uploads"])
async def upload(request: Request, title: str = Query(..., max_length=200), caption: str = Query("", max_length=2000),
                 allow_ai_edits: bool = Query(True), user: User = Depends(current_user)) -> dict[str, Any]:  # fmt: skip
    """Upload a video or an image (raw body, ``Content-Type`` one of MP4, WebM, PNG, JPEG); uploaders only.

    The file is validated (decodable, within the limits) and stored with a cover; with
    ``allow_ai_edits`` GeneRec also queues an AI-edited version of a video for the uploader to
    review (private to them until they share it). Nothing of the request stays on the server's disk
    but the stored item.
    """
    require_role(user, Role.UPLOADER)
    c = ctx(request)
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if mime not in _SUFFIX:
        raise HTTPException(415, f"unsupported content type {mime or 'none'!r}; send one of {', '.join(_SUFFIX)}")
    title = _title(title)
    with scratch_dir(c.generec.settings.home) as tmp:
        path = tmp / f"upload{_SUFFIX[mime]}"
        await _receive(request, path, c.generec.settings.service.max_upload_bytes)
        try:
            item = await asyncio.to_thread(_store_upload, c.generec, user, path, title, caption, allow_ai_edits)
        except MediaError as exc:  # what is wrong with the file, not where the server keeps it
            raise HTTPException(422, str(exc).replace(str(path), "the upload")) from None
    offered = _offer_edit(c.generec, user, item) if allow_ai_edits else None
    return {"item": item_json(item), "offered_job": offered}


@router.post("/uploads/picture", tags=["uploads", "chat"])
async def chat_picture(request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    """Attach a picture to the chat (raw body, ``Content-Type`` PNG or JPEG); any signed-in user.

    Checked as uploads are (the same size limit, decodable in full) and stored private to the caller:
    pass ``picture`` as ``picture_id`` with the next ``POST /api/chat`` (paper §2, multimodal
    instructions). Nobody else can see it; nothing is stored for a refused file.
    """
    c = ctx(request)
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if mime not in PICTURE_MIMES:
        raise HTTPException(415, f"unsupported content type {mime or 'none'!r}; attach a picture as one of "
                                 f"{', '.join(PICTURE_MIMES)}")  # fmt: skip
    with scratch_dir(c.generec.settings.home) as tmp:
        path = tmp / f"picture{_SUFFIX[mime]}"
        await _receive(request, path, c.generec.settings.service.max_upload_bytes)
        try:
            picture = await asyncio.to_thread(store_picture, c.generec, user.id, path)
        except MediaError as exc:  # what is wrong with the file, not where the server keeps it
            message = str(exc).replace(str(path), "the picture").replace(str(tmp), "")
            raise HTTPException(422, f"this picture cannot be used: {message}") from None
    return {"picture": {"id": picture.id, "thumbnail_url": f"/api/items/{picture.id}/thumbnail"}}


def _store_upload(generec: Any, user: User, path: Path, title: str, caption: str, allow: bool) -> Item:
    """Validate the file, store it and its cover, and add the item (modality from the file)."""
    from generec.media import media_record, thumbnail

    record = media_record(path, settings=generec.settings.media)  # decodable, within limits, not truncated
    stored = generec.media.put_file(path)
    big = max(record.width or 0, record.height or 0) > THUMBNAIL_PX
    cover = generec.media.put_file(thumbnail(path, path.with_name("cover.png"), 0.0, THUMBNAIL_PX if big else None))
    image = record.mime.startswith("image/")
    item = Item(
        id=f"up{uuid.uuid4().hex[:14]}",
        title=title,
        caption=clean_text(caption, multiline=True),
        modality=Modality.IMAGE if image else Modality.VIDEO,
        uploader_id=user.id,
        created_at=time.time(),
        media_hash=stored.hash,
        thumbnail_hash=cover.hash,
        allow_ai_edits=allow,
    )
    generec.store.add_item(item, [stored, cover])
    return item


def _offer_edit(generec: Any, user: User, item: Item) -> dict[str, Any] | None:
    """Queue a shorter version of an uploaded video for its uploader to review, when this install can."""
    if item.modality is not Modality.VIDEO or "clipping" not in generec.runners:
        return None
    decision = Decision("edit_clip", "", "edit", "clipping", item.id, Guidance(instruction_text="a shorter version"))
    try:
        return job_json(generec.enqueue(user.id, decision))
    except (JobLimitError, GeneRecError):
        return None  # the upload itself succeeded; the offer can be asked for later in the chat


@router.get("/uploads", tags=["uploads"])
def my_uploads(request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    """The caller's uploads, each with the AI-edited versions made for them."""
    store = ctx(request).generec.store
    mine = store.list_items(viewer=user.id, uploader_id=user.id, origin="human", limit=200)
    out = []
    for it in (i for i in mine if not i.attributes.get("chat_picture")):  # pictures for the chat are no uploads
        versions = store.list_items(viewer=user.id, parent_id=it.id, origin="ai", limit=20)
        out.append({**item_json(it), "versions": [item_json(v) for v in versions if v.visible_to == user.id]})
    return {"uploads": out}
