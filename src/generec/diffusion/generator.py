"""A trained conditional diffusion model bundled with the recipe for its condition vector.

The creator and the editor's generative tasks derive from :class:`ConditionalGenerator`:
it turns a :class:`~generec.types.Guidance` into the exact condition vector the
model was trained with (the parts are recorded in the model's config).

Example
-------
>>> gen = ConditionalGenerator.load("models/revision", encoder)   # doctest: +SKIP
>>> gen.condition(Guidance(user_hist=u)).shape                      # doctest: +SKIP
(128,)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from generec.diffusion.conditions import ConditionSpec, guidance_values
from generec.diffusion.model import DiffusionModel
from generec.errors import ConfigError, ModelError
from generec.types import Guidance


class ConditionalGenerator:
    """A trained diffusion model with the recipe for its condition vector (shared by creators and editors).

    Parameters
    ----------
    model
        A :class:`DiffusionModel` whose ``config.meta["condition"]`` names its condition parts.
    encoder
        An ``Encoder`` (``encode_texts``/``encode_images``/``encode_video``), used to embed
        instruction texts and frames; may be ``None`` if every guidance carries vectors.
    steps, guidance_scale
        DDIM steps and classifier-free guidance scale used by default.
    """

    kind = "video"
    """The denoiser kind a subclass needs."""

    def __init__(self, model: DiffusionModel, encoder: Any | None = None, steps: int = 25, guidance_scale: float = 3.0):
        if model.config.denoiser != self.kind:
            raise ModelError(f"{type(self).__name__} needs a {self.kind} model, got a {model.config.denoiser} one")
        if "condition" not in model.config.meta:
            raise ModelError("this model's config names no condition parts; train it with GeneRec's train commands")
        self.model = model
        self.encoder = encoder
        self.spec = ConditionSpec.from_dict(model.config.meta["condition"])
        self.steps = steps
        self.guidance_scale = guidance_scale

    @classmethod
    def load(cls, path: str | Path, encoder: Any | None = None, device: str = "cpu", **kw: Any):
        return cls(DiffusionModel.load(path, device=device), encoder, **kw)

    @property
    def guidance_kind(self) -> str:
        return str(self.model.config.meta.get("guidance", "unconditional"))

    def condition(self, guidance: Guidance | None) -> np.ndarray | None:
        """The model's condition vector for ``guidance``; ``None`` (unconditional) for no guidance."""
        if guidance is None:
            return None
        values = guidance_values(guidance, self.encoder)
        if all(values.get(n) is None for n in self.spec.names):
            raise ConfigError(
                f"the guidance gives none of {', '.join(self.spec.names)}, which this model is steered by"
            )
        return self.spec.vector(values)

    def _conds(self, guidance: Guidance | list[Guidance | None] | None, n: int) -> np.ndarray | None:
        if isinstance(guidance, list):
            vecs = [self.condition(g) for g in guidance]
            if any(v is None for v in vecs):
                if not all(v is None for v in vecs):
                    raise ConfigError("mix of guided and unguided requests; make them in separate calls")
                return None
            return np.stack(vecs)  # type: ignore[arg-type]
        v = self.condition(guidance)
        return None if v is None else np.repeat(v[None], n, axis=0)
