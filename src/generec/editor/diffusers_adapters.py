"""Pretrained diffusion pipelines from a local directory (optional extra ``diffusers``), returning GeneRec's types.

GeneRec trains its own small diffusion models; users who own pretrained weights (Stable
Diffusion, a text-to-video model) plug them in here. Each adapter loads a pipeline saved with
``save_pretrained`` (a folder with ``model_index.json``) strictly from disk - nothing is
downloaded - and speaks GeneRec's language: uint8 frames ``[H, W, 3]`` / ``[T, H, W, 3]`` in,
the same out, and a :class:`~generec.types.Guidance` (its instruction text) or a plain prompt.

* :class:`DiffusersImageReviser` - image-to-image: revise a thumbnail or cover (§5.1.1/§5.1.3).
* :class:`DiffusersImageCreator` - text-to-image: create a cover or image item (§5.2).
* :class:`DiffusersVideoCreator` - text-to-video: create a clip (§5.2).

Example
-------
>>> creator = DiffusersImageCreator.load("weights/stable-diffusion-v1-5")          # doctest: +SKIP
>>> images = creator.create("a red car in the snow", n=2, seed=0)                  # doctest: +SKIP
>>> images.shape, images.dtype                                                     # doctest: +SKIP
((2, 512, 512, 3), dtype('uint8'))
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from generec.errors import ConfigError, DataError, ModelError, require
from generec.types import Guidance

EXTRA = "diffusers"
INDEX = "model_index.json"


def _pipeline_dir(directory: str | Path, expected: tuple[str, ...]) -> Path:
    """Check a saved pipeline folder before importing anything heavy; say what is wrong and what to do."""
    d = Path(directory)
    if not d.is_dir():
        raise ModelError(f"{d} is not a directory; give the folder a diffusers pipeline was saved to (save_pretrained)")
    if not (d / INDEX).is_file():
        raise ModelError(f"{d} has no {INDEX}: not a diffusers pipeline folder (save one with pipe.save_pretrained)")
    try:
        index = json.loads((d / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{d / INDEX} is not readable JSON: {exc}") from exc
    name = str(index.get("_class_name", ""))
    if expected and name not in expected:
        raise ModelError(f"{d} holds a {name or 'unnamed'} pipeline; this adapter loads {', '.join(expected)}")
    return d


def _load(cls_name: str, directory: Path, device: str, purpose: str) -> Any:
    diffusers = require("diffusers", EXTRA, purpose)
    require("transformers", EXTRA, purpose)  # the text encoders and tokenizers of every pipeline here
    import torch

    try:
        pipe = getattr(diffusers, cls_name).from_pretrained(str(directory), local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, AttributeError) as exc:
        raise ModelError(f"cannot load a {cls_name} from {directory}: {exc}") from exc
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for but torch sees no GPU; use device='cpu'")
    pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _prompt(prompt: str | Guidance) -> str:
    if isinstance(prompt, Guidance):
        if not prompt.instruction_text:
            raise ConfigError("a pretrained text-conditioned pipeline needs Guidance.instruction_text (a prompt)")
        return prompt.instruction_text
    if not isinstance(prompt, str) or not prompt.strip():
        raise ConfigError("give a non-empty prompt (or a Guidance with instruction_text)")
    return prompt


def _uint8(x: Any) -> np.ndarray:
    """diffusers' ``output_type="np"`` floats in [0, 1] -> uint8."""
    return (np.clip(np.asarray(x, dtype=np.float32), 0.0, 1.0) * 255.0).round().astype(np.uint8)


def _generator(seed: int) -> Any:
    import torch

    return torch.Generator(device="cpu").manual_seed(int(seed))


class _Adapter:
    pipeline_classes: tuple[str, ...] = ()
    purpose = "a pretrained diffusion pipeline"

    def __init__(self, pipe: Any, steps: int = 30, guidance_scale: float = 7.5) -> None:
        if steps < 1:
            raise ConfigError(f"steps must be at least 1, got {steps}")
        self.pipe = pipe
        self.steps = steps
        self.guidance_scale = guidance_scale

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu", **kw: Any):
        """Load the pipeline saved in ``directory`` (``model_index.json`` + component folders), offline only."""
        d = _pipeline_dir(directory, cls.pipeline_classes)
        return cls(_load(cls.pipeline_classes[0], d, device, cls.purpose), **kw)

    @property
    def default_size(self) -> int:
        """The pixel size the pipeline was trained at (UNet sample size x VAE scale factor)."""
        return int(self.pipe.unet.config.sample_size) * int(self.pipe.vae_scale_factor)

    def _size(self, size: int | None) -> int:
        s = self.default_size if size is None else int(size)
        f = int(self.pipe.vae_scale_factor)
        if s < f or s % f:
            raise ConfigError(f"size must be a positive multiple of {f} for this pipeline, got {s}")
        return s


class DiffusersImageReviser(_Adapter):
    """Image-to-image (SDEdit with a pretrained latent model): revise a thumbnail or cover toward a prompt.

    Example
    -------
    >>> reviser = DiffusersImageReviser.load("weights/sd-v1-5")                           # doctest: +SKIP
    >>> cover = reviser.revise(thumbnail, "the same scene at night", strength=0.5)       # doctest: +SKIP
    """

    pipeline_classes = ("StableDiffusionImg2ImgPipeline", "StableDiffusionPipeline")
    purpose = "image-to-image revision with pretrained weights"

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu", **kw: Any) -> DiffusersImageReviser:
        # A text-to-image folder holds the same components: img2img loads from either.
        d = _pipeline_dir(directory, cls.pipeline_classes)
        return cls(_load("StableDiffusionImg2ImgPipeline", d, device, cls.purpose), **kw)

    def revise(
        self,
        image: np.ndarray,
        prompt: str | Guidance,
        *,
        strength: float = 0.6,
        seed: int = 0,
        size: int | None = None,
    ) -> np.ndarray:
        """Revise one uint8 image ``[H, W, 3]``; returns uint8 ``[S, S, 3]`` (S: ``size`` or the pipeline's)."""
        from PIL import Image

        img = np.asarray(image)
        if img.ndim != 3 or img.shape[-1] != 3 or img.dtype != np.uint8:
            raise DataError(f"expected a uint8 image [H, W, 3], got {img.dtype} {img.shape}")
        if not 0.0 < strength <= 1.0:
            raise ConfigError(f"strength must be in (0, 1], got {strength}")
        s = self._size(size)
        source = Image.fromarray(img).resize((s, s), Image.BICUBIC)
        out = self.pipe(
            _prompt(prompt), image=source, strength=strength, num_inference_steps=self.steps,
            guidance_scale=self.guidance_scale, generator=_generator(seed), output_type="np",
        )  # fmt: skip
        return _uint8(out.images[0])


class DiffusersImageCreator(_Adapter):
    """Text-to-image: create covers or image items from a prompt (or a Guidance's instruction).

    Example
    -------
    >>> DiffusersImageCreator.load("weights/sd-v1-5").create("a cat on a beach", n=1).shape   # doctest: +SKIP
    (1, 512, 512, 3)
    """

    pipeline_classes = ("StableDiffusionPipeline",)
    purpose = "text-to-image creation with pretrained weights"

    def create(self, prompt: str | Guidance, *, n: int = 1, seed: int = 0, size: int | None = None) -> np.ndarray:
        """``n`` uint8 images ``[n, S, S, 3]``; the same seed gives the same images."""
        if n < 1:
            raise ConfigError(f"n must be at least 1, got {n}")
        s = self._size(size)
        out = self.pipe(
            _prompt(prompt), height=s, width=s, num_images_per_prompt=n, num_inference_steps=self.steps,
            guidance_scale=self.guidance_scale, generator=_generator(seed), output_type="np",
        )  # fmt: skip
        return _uint8(out.images)


class DiffusersVideoCreator(_Adapter):
    """Text-to-video (a ``TextToVideoSDPipeline`` folder, e.g. ModelScope's): create a clip from a prompt.

    Example
    -------
    >>> creator = DiffusersVideoCreator.load("weights/text-to-video-ms")                        # doctest: +SKIP
    >>> creator.create("a dog running", frames=16).shape                                      # doctest: +SKIP
    (16, 256, 256, 3)
    """

    pipeline_classes = ("TextToVideoSDPipeline",)
    purpose = "text-to-video creation with pretrained weights"

    def __init__(self, pipe: Any, steps: int = 25, guidance_scale: float = 9.0) -> None:
        super().__init__(pipe, steps, guidance_scale)

    def create(self, prompt: str | Guidance, *, frames: int = 16, seed: int = 0, size: int | None = None) -> np.ndarray:
        """One clip, uint8 ``[frames, S, S, 3]``; the same seed gives the same clip."""
        if frames < 1:
            raise ConfigError(f"frames must be at least 1, got {frames}")
        s = self._size(size)
        out = self.pipe(
            _prompt(prompt), num_frames=frames, height=s, width=s, num_inference_steps=self.steps,
            guidance_scale=self.guidance_scale, generator=_generator(seed), output_type="np",
        )  # fmt: skip
        clip = np.asarray(out.frames)
        return _uint8(clip[0] if clip.ndim == 5 else clip)
