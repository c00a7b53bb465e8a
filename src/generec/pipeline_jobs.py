"""Generation jobs of the loop: what a job made, and the path every made item takes.

A :class:`JobRunner` (see :mod:`generec.pipeline_runners`) turns a parent item's media into a new
file, or a guidance into a new file with no parent, and returns a :class:`Made`. :func:`run_made`
runs a queued job with the system's runner; :func:`publish_made` then does what every generated
item goes through, in this order, so nothing is exposed unchecked: watermark + signed manifest
(when the fidelity extras are installed), media into the media store, the item stored as
``PENDING`` (never shown) and labelled AI-generated, its provenance, then
:meth:`FidelityPolicy.check_and_record`, which makes it ``ACTIVE`` only if every check passed.

Example
-------
>>> job_seed("u1", "a red car", 0) == job_seed("u1", "a red car", 0)
True
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from generec.errors import GeneRecError
from generec.fidelity.base import AI_LABEL
from generec.types import Authorship, Guidance, Item, ItemStatus, Modality, Origin, Provenance, Visibility

if TYPE_CHECKING:
    from generec.config import Settings
    from generec.media.captions import Cue
    from generec.store import MediaStore, Store

log = logging.getLogger(__name__)


class JobLimitError(GeneRecError):
    """A user already has as many generation jobs queued or running as allowed."""


class NotApplicableError(GeneRecError):
    """The edit asked for does not apply to the item (a video-only editor asked of an image)."""


Progress = Callable[[float, str], None]


@dataclasses.dataclass(slots=True)
class Made:
    """What a runner produced: a media file (and optionally a thumbnail image) plus how it was made."""

    path: Path
    task: str
    made_by: str
    model_id: str = ""
    thumbnail: Path | None = None
    title: str = ""
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    attributes: dict[str, Any] = dataclasses.field(default_factory=dict)


@runtime_checkable
class JobRunner(Protocol):
    """Runs one editor/creator task; ``task`` is the instructor's name for it (``"clipping"``, ...).

    A runner may name the item ``modalities`` it takes (a tuple of :class:`~generec.types.Modality`);
    without it, it takes videos only.
    """

    task: str

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress) -> Made: ...


def _postprocess(path: Path, item_id: str, settings: Settings, out_dir: Path) -> tuple[Path, dict[str, str]]:
    """Watermark and sign the made file (the new pixels); return the final file and what was done."""
    done: dict[str, str] = {}
    if path.suffix.lower() not in (".mp4", ".png", ".jpg", ".jpeg"):
        return path, {"watermark": "skipped: unsupported format", "manifest": "skipped: unsupported format"}
    try:
        from generec.fidelity.watermark import Watermarker, watermark_file

        wm = Watermarker(strength=settings.fidelity.watermark_strength)  # what the identifiability check expects
        path, done["watermark"] = Path(watermark_file(path, out_dir / f"wm{path.suffix}", item_id, wm)), "embedded"
    except (GeneRecError, ImportError) as exc:
        done["watermark"] = f"not embedded: {exc}"
    try:
        from generec.fidelity.keys import DeploymentKeys
        from generec.fidelity.manifest import sign_file

        keys = DeploymentKeys.ensure(settings.home)  # the keys the identifiability check verifies with
        signed = sign_file(path, out_dir / f"signed{path.suffix}", Item(id=item_id, origin=Origin.AI), keys,
                           watermarked=done["watermark"] == "embedded")  # fmt: skip
        path, done["manifest"] = Path(signed), "signed"
    except (GeneRecError, ImportError) as exc:
        done["manifest"] = f"not signed: {exc}"
    return path, done


def _made_item(item_id: str, made: Made, parent: Item | None, requested_by: str, media_hash: str,
               thumb_hash: str | None) -> Item:  # fmt: skip
    """The stored record of a made item: PENDING, private to the requester, labelled AI-generated."""
    label = {"ai_label": AI_LABEL, "task": made.task}
    if parent is None:  # created: described by what was asked (for ranking), never by what it shows
        picture = Path(made.path).suffix.lower() in (".png", ".jpg", ".jpeg")  # a created picture, not a clip
        kind = Modality.IMAGE if picture else Modality.VIDEO
        source = "request and taste" if made.params.get("from_taste") else "request"  # who named the values
        return Item(id=item_id, title=made.title, caption=str(made.params.get("description", "")), modality=kind,
                    origin=Origin.AI, visibility=Visibility.PRIVATE, visible_to=requested_by,
                    status=ItemStatus.PENDING, created_at=time.time(), media_hash=media_hash,
                    thumbnail_hash=thumb_hash, allow_ai_edits=False, license="generated",
                    attributes={**made.attributes, "attributes_from": source, **label})  # fmt: skip
    own_edit = parent.uploader_id == requested_by
    return Item(
        id=item_id, title=made.title or parent.title, caption=parent.caption, modality=parent.modality,
        origin=Origin.AI, uploader_id=parent.uploader_id if own_edit else None, parent_id=parent.id,
        visibility=Visibility.PRIVATE, visible_to=requested_by, status=ItemStatus.PENDING, created_at=time.time(),
        media_hash=media_hash, thumbnail_hash=thumb_hash, allow_ai_edits=False, license=parent.license,
        attributes={**{k: v for k, v in parent.attributes.items() if k != "fidelity"}, **label},
    )  # fmt: skip


def made_captions(made: Made, parent: Item | None, instruction: str, duration: float) -> list[Cue]:
    """The caption track of a made video (paper §2, post-processing): what was asked, then what was made.

    The two halves of the clip carry one line each (a clip under 2 s carries both at once).
    """
    from generec.media.captions import Cue

    p, title = made.params, f"“{parent.title}”" if parent else ""
    if parent is None:
        what = f"a new video of {p['description']}" if p.get("description") else "a new video from what you liked"
    elif made.task in ("trim", "clip"):
        what = f"seconds {p.get('start_s', 0.0):.1f} to {p.get('end_s', duration):.1f} of {title}"
    elif made.task == "style_transfer":
        what = f"{title} restyled as {p.get('style', 'a new style')}"
    elif made.task == "revision":
        what = f"{title} redone for your taste" if p.get("guided_by") else f"{title} redone"
    else:
        what = made.title or made.task
    asked = f"You asked: {instruction[:160]}" if instruction else "Made for you from the videos you liked"
    made_line = f"{AI_LABEL}: {what}"
    if duration < 2.0:
        return [Cue(0.0, duration, f"{asked} · {made_line}")]
    return [Cue(0.0, duration / 2, asked), Cue(duration / 2, duration, made_line)]


def _captions(made: Made, parent: Item | None, instruction: str, settings: Settings, out_dir: Path) -> list[Cue]:
    """Captions for a made video (none for a new cover or an image), burned in when the settings say so."""
    from generec.media import probe

    if made.thumbnail is not None or made.path.suffix.lower() not in (".mp4", ".webm"):
        return []
    cues = made_captions(made, parent, instruction, probe(made.path).duration)
    if settings.service.burn_captions:
        from generec.media.captions import burn_captions

        made.path = burn_captions(made.path, cues, out_dir / f"captioned{made.path.suffix}")
        made.params["captions"] = "burned in and served as a track"
    return cues


def new_item_id() -> str:
    return f"ai{uuid.uuid4().hex[:14]}"


def publish_made(
    made: Made,
    parent: Item | None,
    *,
    requested_by: str,
    store: Store,
    media: MediaStore,
    policy: Any,
    settings: Settings,
    out_dir: Path,
    instruction: str = "",
    seed: int | None = None,
) -> tuple[Item, Any]:
    """Store a made item as PENDING with its provenance, run the fidelity policy, return (item, policy result)."""
    from generec.fidelity.base import Subject
    from generec.fidelity.watermark import read_frames
    from generec.media.captions import to_webvtt

    item_id = new_item_id()
    cues = _captions(made, parent, instruction, settings, out_dir)  # before marking: burned pixels get marked too
    # What the runner made is marked: the new video, or for a personalized cover the new image.
    if made.thumbnail is not None:
        made.thumbnail, post = _postprocess(made.thumbnail, item_id, settings, out_dir)
    else:
        made.path, post = _postprocess(made.path, item_id, settings, out_dir)
    record = media.put_file(made.path)
    records = [record]
    thumb_hash = parent.thumbnail_hash if parent else None
    if made.thumbnail is not None:
        thumb = media.put_file(made.thumbnail)
        records.append(thumb)
        thumb_hash = thumb.hash
    elif record.mime.startswith("image/"):  # a made picture is its own cover
        thumb_hash = record.hash
    store.add_media(record)
    item = _made_item(item_id, made, parent, requested_by, record.hash, thumb_hash)
    if cues:  # served with the video (GET /api/items/{id}/captions); checked below with the other texts
        track = media.put_bytes(to_webvtt(cues).encode("utf-8"), ".vtt")
        records.append(track)
        item.attributes["captions"] = track.hash
    store.add_item(item, records)
    own_edit = parent is not None and parent.uploader_id == requested_by
    provenance = Provenance(
        item_id=item_id, made_by=made.made_by, task=made.task, model_id=made.model_id, seed=seed,
        parents=(parent.id,) if parent else (), authorship=Authorship.UPLOADER if own_edit else Authorship.PLATFORM,
        author_id=requested_by if own_edit else "platform", requested_by=requested_by, created_at=time.time(),
        params={**made.params, **post, "instruction": instruction[:500]},
    )  # fmt: skip
    store.put_provenance(provenance)
    # What the checks judge is what GeneRec made: the new video, or for a new cover the cover (marked and signed).
    made_file = media.path_for(thumb_hash if made.thumbnail is not None else record.hash)
    try:
        frames = read_frames(made_file, max_frames=16)
    except GeneRecError:
        frames = None  # the checks that need pixels then fail closed on their own
    subject = Subject(
        item,
        frames=frames,
        media_path=made_file,
        extra_texts={
            **({"instruction": instruction} if instruction else {}),
            **({"captions": " ".join(c.text for c in cues)} if cues else {}),
        },  # fmt: skip
        provenance=provenance,
    )
    result = policy.check_and_record(subject, store)
    return store.get_item(item_id, system=True), result


def history_vector(encoder: Any, store: Any, media: Any, item_ids: list[str], user_id: str) -> np.ndarray | None:
    """User_Hist: the unit mean of the liked items' features (each the unit mean of a few of its frames)."""
    from generec.media import sample_frames

    feats = []
    for item in store.get_items(item_ids[:10], viewer=user_id):
        if not item.media_hash:
            continue
        try:
            _, frames = sample_frames(media.path_for(item.media_hash), 3)
        except GeneRecError:
            continue
        v = np.asarray(encoder.encode_images(frames), np.float32).mean(0)
        feats.append(v / (np.linalg.norm(v) + 1e-8))
    if not feats:
        return None
    mean = np.mean(feats, axis=0)
    return mean / (np.linalg.norm(mean) + 1e-8)


PERSONAL_EDITS = ("clipping", "thumbnail_selection")
"""Editors whose target ``t*`` (paper Eq. 1 and 2) is the user's taste unless the user named what they want."""


def job_guidance(system: Any, job: Any, runner: Any, edit: bool) -> Guidance:
    """The guidance a job runs with (paper §3.1: the instructor's guidance, User_Hist from the event log).

    A creation: the description of what was asked and User_Hist of the user's liked items. A
    personalised edit (Eq. 1 thumbnail selection, Eq. 2 clipping): what the user named ("the part
    with the dog at night") when they named something, otherwise User_Hist, so "make me a cover"
    picks the frame nearest their taste rather than nearest those words; the plain instruction
    only when neither exists. An edit that redoes the item for the user (revision, a drawn cover)
    takes User_Hist and the instruction together. Other edits (style) follow the instruction.
    """
    params = job.params
    described, said = params.get("description") or None, params.get("instruction") or None
    personal = edit and params.get("task") in PERSONAL_EDITS
    encoder = getattr(runner, "encoder", None)
    redo = getattr(runner, "uses_history", False)  # revision and drawn covers redo an item for the user's taste
    hist = None
    if (not edit or redo or (personal and not described)) and params.get("liked") and encoder is not None:
        hist = history_vector(encoder, system.store, system.media, list(params["liked"]), job.user_id or "")
    text = None if personal and not described and hist is not None else described or said
    # A creation also gets the attribute values the instructor read ("a dark patterned dress"): a model with an
    # attributes input (paper §5.2's instruction, made explicit) is steered by them as the tables steer it. The
    # values the request left open come from the user's attribute taste (GeneRec.taste_wants); said ones win. How
    # the taste weighs each value ("leanings") lets the creator keep the candidate the user would like most.
    wants = {a: list(v) for a, v in (params.get("wants") or {}).items() if v} if not edit else {}
    taste = {a: list(v) for a, v in (params.get("taste") or {}).items() if v and a not in wants} if not edit else {}
    leanings = (params.get("leanings") or {}) if not edit else {}
    return Guidance(instruction_text=text, user_hist=hist, length_s=params.get("length_s"),
                    constraints=creation_constraints(wants, taste, leanings))  # fmt: skip


def creation_constraints(said: Mapping[str, list[str]], taste: Mapping[str, list[str]],
                         leanings: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:  # fmt: skip
    """A creation's guidance constraints: the attribute values ``said`` and, for attributes left open, the ones
    the user's ``taste`` favours (named under ``taste``), with how it weighs each value (``leanings``, for
    :class:`~generec.diffusion.candidates.Wants`). Empty when nothing is wanted."""
    filled = {a: list(v) for a, v in taste.items() if v and a not in said}
    if not said and not filled:
        return {}
    weights = {a: dict(w) for a, w in leanings.items() if a in filled and w}
    return {"attributes": {**filled, **said}, **({"taste": sorted(filled)} if filled else {}),
            **({"leanings": weights} if weights else {})}  # fmt: skip


def job_seed(user_id: str, text: str, n: int) -> int:
    """A reproducible sampler seed for a user's ``n``-th job asking ``text``."""
    import zlib

    return zlib.crc32(f"{user_id}|{text}|{n}".encode()) & 0x7FFFFFFF


def run_made(system: Any, job: Any, progress: Progress) -> tuple[Item, Any]:
    """Run ``job`` (edit or create) with ``system``'s runner; store and check what it made."""
    from generec.store.scratch import scratch_dir

    runner = system.runners.get(str(job.params.get("task")))
    if runner is None:
        raise GeneRecError(f"this install cannot run {job.kind!r} jobs any more (no runner)")
    user_id = job.user_id or ""
    parent = source = None
    if job.params.get("item_id") is not None or not str(job.params.get("task")).startswith("create_"):
        parent = system.store.get_item(str(job.params.get("item_id")), viewer=user_id)  # authz at run time too
        if not parent.allow_ai_edits and parent.uploader_id != user_id:
            raise GeneRecError(f"the uploader of {parent.id!r} does not allow AI edits of it")
        if not parent.media_hash:
            raise GeneRecError(f"item {parent.id!r} has no media to edit")
        source = system.media.path_for(parent.media_hash)
    guidance = job_guidance(system, job, runner, parent is not None)
    if job.params.get("picture"):  # a picture attached in the chat (paper §2): its style or its content
        from generec.pipeline_pictures import with_picture

        guidance = with_picture(system, job, runner, guidance)
    seed = int(job.params.get("seed") or 0)
    progress(0.05, f"starting {runner.task}")
    with scratch_dir(system.settings.home) as tmp:
        if getattr(runner, "takes_seed", False):
            made = runner.run(parent, source, guidance, Path(tmp), progress, seed=seed)
        else:
            made = runner.run(parent, source, guidance, Path(tmp), progress)
        if parent is None:  # a created item is described by what was asked, for ranking with the corpus
            said = {a: v for a, v in (job.params.get("wants") or {}).items() if v}
            made.attributes = {a: v[0] for a, v in {**(job.params.get("taste") or {}), **said}.items() if v}
        progress(0.8, "checking the result (safety, privacy, rights, quality)")
        return publish_made(made, parent, requested_by=user_id, store=system.store, media=system.media,
                            policy=system.fidelity, settings=system.settings, out_dir=Path(tmp),
                            instruction=job.params.get("instruction") or "", seed=seed)  # fmt: skip
