"""Image creation (covers, thumbnails from scratch): instruction embedding + User_Emb or User_Hist -> an image.

Example
-------
>>> creator = ImageCreator.load("models/creation-image", encoder)             # doctest: +SKIP
>>> creator.create(Guidance(instruction_text="a blue fish underwater"), n=4).shape  # doctest: +SKIP
(4, 32, 32, 3)
"""

from __future__ import annotations

import numpy as np

from generec.diffusion.generator import ConditionalGenerator
from generec.diffusion.model import to_pixels
from generec.types import Guidance


class ImageCreator(ConditionalGenerator):
    """Creates images ``[size, size, 3]`` uint8 from noise under a :class:`~generec.types.Guidance`."""

    kind = "image"

    def create(
        self,
        guidance: Guidance | list[Guidance | None] | None,
        n: int = 1,
        *,
        seed: int = 0,
        steps: int | None = None,
        guidance_scale: float | None = None,
        candidates: int = 1,
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
                lambda offset: self.model.sample(cond, n, seed=seed + offset, **kw), guidance, n, candidates
            )
        )
