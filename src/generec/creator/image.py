"""Image creation (covers, thumbnails from scratch): instruction embedding + User_Emb or User_Hist -> an image.

Example
-------
>>> creator = ImageCreator.load("models/creation-image", encoder)             # doctest: +SKIP
>>> creator.create(Guidance(instruction_text="a blue fish underwater"), n=4).shape  # doctest: +SKIP
(4, 32, 32, 3)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from generec.diffusion.generator import ConditionalGenerator
from generec.diffusion.model import DiffusionModel, to_pixels
from generec.types import Guidance


class ImageCreator(ConditionalGenerator):
    """Creates images ``[size, size, 3]`` uint8 from noise under a :class:`~generec.types.Guidance`.

    A model trained on a catalogue whose attributes are measured from pixels (its config's
    ``meta.data.domain``: fashion) judges its candidates by that domain's rules
    (:func:`generec.creator.fashion.product_rules`): read as the catalogue reads its photos, screened
    against the photos it learnt from, its shade moved to the one wanted.
    """

    kind = "image"

    memorisation: Any = None
    """The calibrated index of the photos the model learnt from (a fashion model's, when the Fashion-MNIST files
    are installed): candidates it flags are not kept, and the service's memorisation check reads it."""

    @classmethod
    def load(cls, path: str | Path, encoder: Any | None = None, device: str = "cpu", **kw: Any) -> ImageCreator:
        model = DiffusionModel.load(path, device=device)
        data = model.config.meta.get("data") or {}
        index = None
        if data.get("domain") == "fashion" and "rules" not in kw:
            from generec.creator.fashion import product_rules

            kw["rules"], index = product_rules(path, data, int(model.sample_shape[-1]))
        creator = cls(model, encoder, **kw)
        creator.memorisation = index
        return creator

    def create(
        self,
        guidance: Guidance | list[Guidance | None] | None,
        n: int = 1,
        *,
        seed: int = 0,
        steps: int | None = None,
        guidance_scale: float | None = None,
        candidates: int | None = None,
    ) -> np.ndarray:
        """``n`` images (or one per guidance in a list): ``[n, H, W, 3]`` uint8.

        With ``candidates > 1``, the best of that many per request, as in :meth:`VideoCreator.create`.
        """
        cond = self._conds(guidance, n)
        n = n if cond is None else len(cond)
        scale = self.guidance_scale if guidance_scale is None else guidance_scale
        kw = {"steps": steps or self.steps, "guidance": scale}
        return to_pixels(
            self.sample_best(
                lambda offset: self.model.sample(cond, n, seed=seed + offset, **kw),
                guidance,
                n,
                self.candidates if candidates is None else candidates,
            )
        )
