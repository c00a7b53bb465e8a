"""The runners backed by GeneRec's diffusion models: the creator, content revision and cover generation.

Each loads a trained checkpoint (paper §5.2 creation, §5.1.3 revision, §5.1.1 thumbnail
generation), makes its media at the model's native size and shows it at the display size
(:func:`to_display`); :func:`generec.pipeline_runners.default_runners` installs the ones whose
checkpoints exist.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from generec.errors import MediaError, ModelError
from generec.pipeline_jobs import Made, Progress
from generec.types import Guidance, Item


def to_display(frames: Any, size: int) -> np.ndarray:
    """Frames ``[T, S, S, 3]`` (or one image) as the model made them, resized to ``size`` px with LANCZOS.

    Models work at their own native size (64 px for the packaged demo models); what a user sees, and what
    the watermark needs (it does not survive videos under 256 px), is the display size. LANCZOS
    interpolates: no pixel replication, no blocky mosaic.
    """
    from PIL import Image

    arr = np.asarray(frames)
    one = arr.ndim == 3
    out = np.stack(
        [np.asarray(Image.fromarray(f).resize((size, size), Image.LANCZOS)) for f in (arr[None] if one else arr)]
    )
    return out[0] if one else out


def trained_with(path: Path, encoder: Any) -> None:
    """:class:`ModelError` unless the checkpoint at ``path`` was trained with ``encoder`` (by id)."""

    meta = json.loads((path / "config.json").read_text(encoding="utf-8")).get("meta", {})
    wanted, have = str(meta.get("encoder", "")), str(getattr(encoder, "id", ""))
    if wanted and wanted not in ("unknown", have):
        raise ModelError(f"the {meta.get('task', 'model')} checkpoint in {path} was trained with encoder {wanted!r}, "
                         f"this install has {have!r}; load the checkpoint's encoder")  # fmt: skip


class CreateRunner:
    """Makes a new video from noise with a trained :class:`generec.creator.VideoCreator` (paper §5.2).

    The instruction (the description the instructor built from the request) and, when the model
    was trained with it and the guidance has it, User_Hist steer the sampler. The clip, made at
    the model's native size, is shown at ``size`` px (:func:`to_display`).

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
    noun = "video"
    takes_seed = True

    def __init__(self, creator: Any, model_id: str, frames: int = 16, fps: float = 8.0, size: int = 256,
                 candidates: int = 1) -> None:  # fmt: skip
        self.creator, self.model_id, self.encoder = creator, model_id, creator.encoder
        self.frames, self.fps, self.size, self.candidates = frames, fps, size, candidates

    @classmethod
    def load(cls, path: str | Path, encoder: Any, **kw: Any) -> CreateRunner:
        """A runner for the checkpoint at ``path``; :class:`ModelError` if ``encoder`` is not the one it needs."""
        trained_with(Path(path), encoder)
        creator = cls._creator().load(path, encoder)
        return cls(creator, f"{Path(path).name}:{creator.model.config.meta.get('task', 'creation')}", **kw)

    @staticmethod
    def _creator() -> Any:
        from generec.creator import VideoCreator

        return VideoCreator

    def _make(self, guidance: Guidance | None, seed: int, out_dir: Path) -> tuple[Path, dict[str, Any]]:
        """Sample the item, write it at the display size; its path and what provenance says of it."""
        from generec.media import write_video

        clip = self.creator.create(guidance, frames=self.frames, seed=seed, candidates=self.candidates)[0]
        out = write_video(to_display(clip, self.size), out_dir / "created.mp4", self.fps)
        return out, {"frames": len(clip), "fps": self.fps, "native_size": int(clip.shape[-2])}

    @property
    def takes_picture(self) -> bool:
        """Whether the model has an image-space input (User_Hist: the mean encoder feature of liked items),
        through which an attached picture's vector (same encoder, same space) can steer it."""
        return "user_hist" in self.creator.spec.names

    def picture_note(self) -> str:
        """What the reply says about how a picture steers this model (it has no picture input of its own)."""
        if self.takes_picture:
            return ("This model has no picture input of its own: your picture's features steer it through its "
                    "image-space input, the one that otherwise carries the features of videos you liked.")  # fmt: skip
        return ""

    def run(self, parent: Item | None, source: Path | None, guidance: Guidance, out_dir: Path, progress: Progress,
            seed: int = 0) -> Made:  # fmt: skip
        text = guidance.instruction_text or ""
        hist = guidance.user_hist if self.takes_picture else None
        picture = guidance.picture_emb is not None and self.takes_picture
        if picture:  # paper §2: the attached picture, in the encoder space User_Hist lives in, steers instead
            hist = guidance.picture_emb
        # Nothing asked and no history (a new user who only rejected): an unguided sample, said in provenance.
        # The constraints carry the attribute values the instructor read (a model with an ``attributes`` input),
        # and those the user's taste filled in where the request said nothing ("taste" names them).
        g = Guidance(instruction_text=text or None, user_hist=hist, constraints=dict(guidance.constraints)) \
            if text or hist is not None else None  # fmt: skip
        progress(0.2, f"creating a new {self.noun} from noise")
        out, made = self._make(g, seed, out_dir)
        params = {
            "description": text,
            "seed": seed,
            **made,
            "steps": self.creator.steps,
            "candidates": self.candidates,
            **({"attributes": asked} if (asked := (g.constraints if g is not None else {}).get("attributes")) else {}),
            **({"from_taste": filled} if (filled := guidance.constraints.get("taste")) else {}),
            "guided_by": [n for n, v in (("instruction", text), ("picture as user_hist" if picture else "user_hist",
                                                                 hist)) if v is not None and len(v)],
            **({"picture": guidance.picture} if picture else {}),
        }  # fmt: skip
        return Made(out, "create", f"generec.creator.{type(self.creator).__name__}", self.model_id,
                    title=text or f"A new {self.noun} for you", params=params)  # fmt: skip


class ImageCreateRunner(CreateRunner):
    """Makes a new picture from noise with a trained :class:`generec.creator.ImageCreator` (paper §5.2 for images:
    a fashion product for one shopper), guided as :class:`CreateRunner` guides a video."""

    task = "create_image"
    noun = "picture"

    @staticmethod
    def _creator() -> Any:
        from generec.creator.image import ImageCreator

        return ImageCreator

    def _make(self, guidance: Guidance | None, seed: int, out_dir: Path) -> tuple[Path, dict[str, Any]]:
        from generec.media import write_image

        image = self.creator.create(guidance, seed=seed, candidates=self.candidates)[0]
        return write_image(to_display(image, self.size), out_dir / "created.png"), {"native_size": int(image.shape[0])}


def _steering(model_parts: Any, guidance: Guidance) -> tuple[Guidance | None, list[str]]:
    """The part of ``guidance`` a model has inputs for (instruction, User_Hist), and their names.

    ``None`` when it has none of them (no words the model reads, no liked items yet): the model
    then samples unconditionally, as the paper's reference does, and provenance says so.
    """
    given = {"instruction": guidance.instruction_text, "user_hist": guidance.user_hist}
    used = [n for n, v in given.items() if n in model_parts and v is not None and len(v)]
    if not used:
        return None, []
    return Guidance(instruction_text=given["instruction"] if "instruction" in used else None,
                    user_hist=given["user_hist"] if "user_hist" in used else None), used  # fmt: skip


class RevisionRunner:
    """Redoes a video for the user's taste (paper §5.1.3): SDEdit with :class:`generec.editor.revision.Reviser`.

    The clip is noised to ``strength`` of the schedule and denoised under User_Hist (the user's
    liked items, which :func:`generec.pipeline_jobs.run_made` computes) and the instruction when
    the checkpoint has an input for it. As many evenly spaced frames of the source as the model's
    window holds are revised at its native size, shown at ``size`` px over the source's length.
    """

    task = "revision"
    takes_seed = True
    uses_history = True

    def __init__(self, reviser: Any, model_id: str, size: int = 256, strength: float | None = None) -> None:
        self.reviser, self.model_id, self.encoder = reviser, model_id, reviser.encoder
        self.size, self.strength = size, strength

    @classmethod
    def load(cls, path: str | Path, encoder: Any, **kw: Any) -> RevisionRunner:
        """A runner for the checkpoint at ``path``; :class:`ModelError` if ``encoder`` is not the one it needs."""
        from generec.editor.revision import Reviser

        trained_with(Path(path), encoder)
        return cls(Reviser.load(path, encoder), _model_id(path, "revision"), **kw)

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress,
            seed: int = 0) -> Made:  # fmt: skip
        from generec.media import probe, sample_frames, write_video

        info = probe(source)
        if info.is_image:
            raise MediaError(f"item {parent.id!r} is an image; revision redoes videos")
        n = self.reviser.model.config.shape.frames
        _, frames = sample_frames(source, n)
        steer, used = _steering(self.reviser.spec.names, guidance)
        strength = self.reviser.strength if self.strength is None else self.strength
        progress(0.2, "redoing the video for your taste" if used else "redoing the video")
        clip = self.reviser.revise(frames, steer, strength=strength, seed=seed)
        fps = min(8.0, max(1.0, len(clip) / max(info.duration, 1e-3)))  # the revised clip spans the source
        out = write_video(to_display(clip, self.size), out_dir / "revised.mp4", fps)
        params = {"strength": strength, "seed": seed, "steps": self.reviser.steps, "frames": len(clip),
                  "native_size": int(clip.shape[-2]), "fps": fps, "guided_by": used,
                  "description": guidance.instruction_text or "redone for your taste"}  # fmt: skip
        return Made(out, "revision", "generec.editor.Reviser", self.model_id, title=f"{parent.title} (redone for you)",
                    params=params)  # fmt: skip


class ThumbnailGenerationRunner:
    """Draws a new cover for a video (paper §5.1.1) with the editor's ``ThumbnailGenerator``.

    The condition is the video's own frames plus the user's taste (User_Hist stands in for the
    liked covers, same encoder space); ``candidates`` covers are drawn and the one closest to the
    video's frames in the encoder's space is kept, so the cover still shows what the video does.
    """

    task = "thumbnail_generation"
    takes_seed = True
    uses_history = True

    def __init__(self, generator: Any, model_id: str, size: int = 256, candidates: int = 4) -> None:
        self.generator, self.model_id, self.encoder = generator, model_id, generator.encoder
        self.size, self.candidates = size, candidates

    @classmethod
    def load(cls, path: str | Path, encoder: Any, **kw: Any) -> ThumbnailGenerationRunner:
        from generec.editor.thumbnail_generation import ThumbnailGenerator

        trained_with(Path(path), encoder)
        return cls(ThumbnailGenerator.load(path, encoder), _model_id(path, "thumbnail-generation"), **kw)

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress,
            seed: int = 0) -> Made:  # fmt: skip
        from PIL import Image

        from generec.encoders.base import l2_normalize
        from generec.media import sample_frames

        _, frames = sample_frames(source, 8)
        progress(0.2, "drawing a new cover for you")
        covers = self.generator.generate(frames, guidance=Guidance(user_hist=guidance.user_hist),
                                         n=self.candidates, seed=seed)  # fmt: skip
        feats = l2_normalize(self.encoder.encode_images(covers))
        video = l2_normalize(self.encoder.encode_images(frames).mean(0, keepdims=True))
        scores = (feats @ video.T).ravel()
        best = int(scores.argmax())
        out = out_dir / "cover.png"
        Image.fromarray(to_display(covers[best], self.size)).save(out)
        params = {"seed": seed, "candidates": self.candidates, "score": float(scores[best]), "generated": True,
                  "native_size": int(covers.shape[-2]), "guided_by": ["video"] + (["user_hist"] if guidance.user_hist
                  is not None else [])}  # fmt: skip
        return Made(source, "thumbnail", "generec.editor.ThumbnailGenerator", self.model_id, thumbnail=out,
                    title=parent.title, params=params)  # fmt: skip


def _model_id(path: str | Path, task: str) -> str:
    """``<folder>/<checkpoint>:<task>``, e.g. ``checkpoints/creation-demo:revision`` for the packaged reviser."""
    return f"{Path(path).parent.name}/{Path(path).name}:{task}"
