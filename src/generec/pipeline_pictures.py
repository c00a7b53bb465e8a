"""Pictures in the chat (paper §2, multimodal instructions): stored privately, used as guidance.

* :func:`store_picture` checks a picture as uploads are checked (a PNG or JPEG that decodes,
  within the media limits) and stores it as an item private to the user who attached it: never
  ranked in anyone's feed, readable by that user only (another user's request reads as 404).
* :class:`PictureGuide` encodes a picture with the install's encoder (the one the items' frames are
  encoded with for the recommender's content path, :class:`~generec.pipeline_item_content.ItemContent`)
  and reorders ranked candidates by their similarity to it: "something like this" as image-space
  guidance of retrieval.
* :func:`with_picture` hands a generation job its picture: the style image of style transfer, or
  the picture's vector in the creator's own encoder space for creation.

Example
-------
>>> picture = store_picture(generec, "u1", Path("beach.jpg"))                   # doctest: +SKIP
>>> generec.session("u1").step("something like this", picture=picture.id)      # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from generec.errors import GeneRecError, MediaError, NotFoundError
from generec.types import Candidate, Guidance, Item, Modality, Visibility

PICTURE_MIMES = ("image/png", "image/jpeg")
COVER_PX = 320  # longest side of the preview, as for uploads
PICTURE_WEIGHT = 3.0
"""Weight of the picture's similarity next to the ranker's score (both standardised): what the user just
showed outweighs their past, which still orders items that look alike."""


def store_picture(system: Any, user_id: str, path: Path) -> Item:
    """Check the picture at ``path`` and store it, with a preview, as an item private to ``user_id``.

    :class:`MediaError` (nothing stored) for a file that is not a PNG or JPEG, does not decode in
    full, or is over the media limits.
    """
    from generec.media import media_record, read_image, thumbnail

    settings = system.settings.media
    record = media_record(path, settings=settings)  # the header: a known image type, within the limits
    if record.mime not in PICTURE_MIMES:
        raise MediaError(f"the picture is {record.mime}; attach a PNG or JPEG image")
    read_image(path, settings=settings)  # every pixel decodes: a truncated file is refused before anything is kept
    big = max(record.width or 0, record.height or 0) > COVER_PX
    cover = thumbnail(path, path.with_name(f"{path.stem}-cover.png"), 0.0, COVER_PX if big else None)
    stored, preview = system.media.put_file(path), system.media.put_file(cover)
    item = Item(id=f"pic{uuid.uuid4().hex[:14]}", title="Picture attached in the chat", modality=Modality.IMAGE,
                uploader_id=user_id, visibility=Visibility.PRIVATE, visible_to=user_id, created_at=time.time(),
                media_hash=stored.hash, thumbnail_hash=preview.hash, allow_ai_edits=False,
                attributes={"chat_picture": True})  # fmt: skip
    system.store.add_item(item, [stored, preview])
    return item


def picture_file(system: Any, user_id: str, picture_id: str) -> tuple[Item, Path]:
    """The user's own chat picture and its file; :class:`NotFoundError` for anyone else's or a missing one."""
    try:
        item = system.store.get_item(picture_id, viewer=user_id)
    except NotFoundError:
        item = None
    if item is None or item.visible_to != user_id or not item.attributes.get("chat_picture") or not item.media_hash:
        raise NotFoundError(f"picture {picture_id!r} not found; attach the picture again")
    return item, Path(system.media.path_for(item.media_hash))


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32).reshape(-1)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def encode_picture(encoder: Any, path: Path) -> np.ndarray:
    """The picture's unit vector in ``encoder``'s image space."""
    from generec.media import read_image

    return _unit(encoder.encode_images([read_image(path)])[0])


class PictureGuide:
    """Reorders ranked items by how much they look like a picture, in the install's encoder space.

    Parameters
    ----------
    content : ItemContent
        The encoder, media store, frame count and feature cache items are encoded with (an item's
        vector is the pooled encoding of ``frames`` of its frames, cached on disk by media hash).
    weight : float
        Weight of the picture similarity next to the ranker's score (:data:`PICTURE_WEIGHT`).
    pool : int
        How many of the ranker's best items are reordered (the rest stay below them).
    """

    def __init__(self, content: Any, weight: float = PICTURE_WEIGHT, pool: int = 200) -> None:
        self.content, self.weight, self.pool = content, weight, pool

    @classmethod
    def from_system(cls, system: Any) -> PictureGuide:
        """The guide of ``system``'s encoder; :class:`GeneRecError` (saying why) when the install has none."""
        from generec.pipeline_item_content import ItemContent

        served = getattr(system.ranker, "served", None)
        content = getattr(served, "content", None)
        if content is None:
            try:
                content = ItemContent.from_settings(system.settings, system.media)
            except (ImportError, OSError) as exc:
                raise GeneRecError(f"the image encoder could not be loaded: {exc}") from exc
        return cls(content)

    def vector(self, path: Path) -> np.ndarray:
        return encode_picture(self.content.encoder, path)

    def similarities(self, picture: np.ndarray, items: Sequence[Item]) -> np.ndarray:
        """Cosine of each item's content vector with ``picture`` (``NaN`` where the item's media cannot be read)."""
        from generec.recommender.features import file_feature

        c, out = self.content, np.full(len(items), np.nan, dtype=np.float32)
        for k, item in enumerate(items):
            if not item.media_hash:
                continue
            try:
                path = c.media.path_for(item.media_hash)
                out[k] = float(_unit(file_feature(c.encoder, path, c.frames, c.cache, media_hash=item.media_hash))
                               @ picture)  # fmt: skip
            except (GeneRecError, OSError, ValueError):
                continue
        return out

    def rerank(self, ranked: Sequence[Candidate], items: Mapping[str, Item], picture: np.ndarray,
               k: int) -> list[Candidate]:  # fmt: skip
        """The top ``k`` of ``ranked`` by ``weight`` x picture similarity + the ranker's score (both standardised)."""
        head = [c for c in ranked[: self.pool] if c.item_id in items]
        if not head:
            return list(ranked[:k])
        sims = self.similarities(picture, [items[c.item_id] for c in head])
        sims = np.where(np.isfinite(sims), sims, np.nanmin(sims) if np.isfinite(sims).any() else 0.0)
        base = np.asarray([c.score if np.isfinite(c.score) else 0.0 for c in head], dtype=np.float32)
        score = self.weight * _standardise(sims) + _standardise(base)
        order = np.argsort(-score, kind="stable")[:k]
        return [Candidate(head[j].item_id, float(score[j]), "picture") for j in order]

    def nearest(self, picture: np.ndarray, items: Sequence[Item]) -> Item | None:
        """The item that looks most like the picture (``None`` when none can be read)."""
        sims = self.similarities(picture, items)
        return items[int(np.nanargmax(sims))] if np.isfinite(sims).any() else None


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 0 else x - x.mean()


def with_picture(system: Any, job: Any, runner: Any, guidance: Guidance) -> Guidance:
    """``guidance`` with the job's picture: the style image for style transfer, else the picture's vector
    in the runner's encoder space (the space of its image-space condition). Read with the requester as
    viewer, so a job can only ever use its requester's own picture."""
    picture_id = job.params.get("picture")
    if not picture_id:
        return guidance
    _, path = picture_file(system, job.user_id or "", str(picture_id))
    if job.params.get("task") == "style_transfer":
        return dataclasses.replace(guidance, picture=str(picture_id), style_image=str(path))
    encoder = getattr(runner, "encoder", None)
    emb = encode_picture(encoder, path) if encoder is not None else None
    return dataclasses.replace(guidance, picture=str(picture_id), picture_emb=emb)


def rank_for_picture(session: Any, visible: Sequence[Item], recent: Sequence[Any], decision: Any,
                     k: int) -> tuple[list[Candidate] | None, str]:  # fmt: skip
    """For "something like this" with a picture: the ranker's best items reordered by the picture, and ``""``;
    ``(None, reply)`` when this install has no image encoder (the reply says so); ``(None, "")`` otherwise."""
    g = decision.guidance
    if g is None or not g.picture or decision.action != "retrieve":
        return None, ""
    guide, why = session.system.picture_guide()
    if guide is None:
        return None, f"I can't search by picture on this install yet ({why}); here is what I'd pick for you instead."
    _, path = picture_file(session.system, session.user_id, g.picture)
    ranked = session._rank(visible, recent, decision, max(k, guide.pool))
    return guide.rerank(ranked, {i.id: i for i in visible}, guide.vector(path), k), ""


def creation_note(system: Any, user_id: str, decision: Any) -> str:
    """What the reply says about how a picture steers a creation, filling in what the model can take.

    A model with an image-space input takes the picture's vector (:meth:`CreateRunner.picture_note`);
    one without is given, in the attribute words it reads, the catalogue item nearest the picture
    (among the first :attr:`PictureGuide.pool` public items), and the reply says so.
    """
    from generec.pipeline_parts import PROFILE_KEYS, describe_wants

    g, runner = decision.guidance, system.runners.get(decision.task)
    if g is None or not g.picture or runner is None:
        return ""
    if getattr(runner, "takes_picture", False):
        return runner.picture_note()
    guide, why = system.picture_guide()
    alone = "This model cannot take a picture, so I'm making it from your words alone"
    if guide is None:
        return f"{alone} (no image encoder to describe the picture: {why})."
    _, path = picture_file(system, user_id, g.picture)
    near = guide.nearest(guide.vector(path), list(system.catalog().values())[: guide.pool])
    wants = {a: (str(near.attributes[a]),) for a in PROFILE_KEYS if near is not None and near.attributes.get(a)}
    if not wants:
        return f"{alone}."
    decision.wants = {**wants, **decision.wants}  # what the user said outweighs what the picture suggests
    return (f"This model cannot take a picture, so I described yours by the catalogue video closest to it "
            f"({describe_wants(decision.wants)}) and asked for that.")  # fmt: skip
