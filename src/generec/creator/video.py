"""Video creation from noise (paper §5.2): instruction embedding + User_Emb or User_Hist -> a new clip.

Longer clips than the model's window are made the MCVD way: the first window from
noise, each next one conditioned on the last ``overlap`` frames already made.

Example
-------
>>> creator = VideoCreator.load(DEMO_CHECKPOINT, encoder)                    # doctest: +SKIP
>>> clip = creator.create(Guidance(instruction_text="a red car in the snow", user_hist=u), seed=0)  # doctest: +SKIP
>>> clip.shape                                            # one clip of the packaged 64 px model  # doctest: +SKIP
(1, 16, 64, 64, 3)
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generec.diffusion.candidates import CandidateRules
from generec.diffusion.generator import ConditionalGenerator
from generec.diffusion.model import DiffusionModel, to_model_space, to_pixels
from generec.errors import ConfigError, DataError
from generec.types import Guidance

log = logging.getLogger(__name__)

READER_DIR = "reader"
"""A video model's own attribute reader (``generec train reader --clips-of MODEL``), in its folder."""
CATEGORY_IMPORTANCE = 3.0
"""How much more a candidate read as the asked subject counts than one read in an asked colour, size, motion,
scene or style: a clip of another subject fails the request, a wrong shade is a near miss."""


def training_clips(world: Any, data: dict[str, Any], frames: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The single-subject shots of the items a creation model learnt from (its config's ``meta.data``: the
    world's items less its held-out split), as ``frames`` x ``size`` px clips and their catalogue labels
    (value indices, :func:`generec.data.sim.reader.value_indices`)."""
    from generec.data.sim.reader import value_indices
    from generec.diffusion.conditions import load_world, shot_clips, single_subject, split_items

    try:
        held_out, seed = float(data["held_out"]), int(data["seed"])
    except (KeyError, TypeError, ValueError):
        raise DataError("the model's config does not say which items it learnt from (meta.data)") from None
    world = load_world(world)
    train, _ = split_items(world.items["id"], held_out, seed)
    clips, table = shot_clips(world, frames, size, train, progress=False)
    keep = single_subject(world, table)
    if not keep.any():
        raise DataError("the model's training items have no single-subject shots to learn to read from")
    return clips[keep], value_indices(table[keep])


def clip_rules(path: str | Path) -> CandidateRules | None:
    """The candidate rules of a video model saved at ``path``: its own reader (``path/reader``, trained on the
    clips it learnt from) reads each candidate, the asked subject counting most. ``None`` without one (a
    reader trained on other clips, e.g. the judge of an evaluation, is not the product's to use)."""
    from generec.data.sim.reader import AttributeReader

    folder = Path(path) / READER_DIR
    if not (folder / "config.json").is_file():
        return None
    reader = AttributeReader.load(folder)
    if "data" not in reader.fit_info_:
        log.info("%s: the reader there was not trained on the model's own clips; candidates are not read", folder)
        return None
    return CandidateRules(read=reader.read, importance={"category": CATEGORY_IMPORTANCE})


class VideoCreator(ConditionalGenerator):
    """Creates clips ``[frames, size, size, 3]`` uint8 from noise under a :class:`~generec.types.Guidance`."""

    kind = "video"

    @classmethod
    def load(cls, path: str | Path, encoder: Any | None = None, device: str = "cpu", **kw: Any) -> VideoCreator:
        """The model at ``path``; its candidates read by its own reader where it has one (:func:`clip_rules`)."""
        if "rules" not in kw:
            kw["rules"] = clip_rules(path)
        return cls(DiffusionModel.load(path, device=device), encoder, **kw)

    def create(
        self,
        guidance: Guidance | list[Guidance | None] | None,
        n: int = 1,
        *,
        frames: int | None = None,
        overlap: int = 2,
        seed: int = 0,
        steps: int | None = None,
        guidance_scale: float | None = None,
        sampler: str = "ddim",
        candidates: int | None = None,
    ) -> np.ndarray:
        """``n`` clips (or one per guidance in a list): ``[n, frames, H, W, 3]`` uint8.

        ``frames`` beyond the model's window are made by MCVD extension with ``overlap`` known frames.
        ``sampler="ddpm"`` walks every schedule step (the slow baseline). With ``candidates > 1`` the
        first window is sampled that many times and the one closest to the guidance in the encoder's
        space is kept and extended (:meth:`~generec.diffusion.generator.ConditionalGenerator.best_of`);
        a guidance with no encoder-space part (User_Emb only, or none) keeps the first candidate.
        """
        cond = self._conds(guidance, n)
        n = n if cond is None else len(cond)
        window = self.model.config.shape.frames
        total = frames or window
        if total < 1 or (total > window and not 0 < overlap < window):
            raise ConfigError(f"cannot make {total} frames with window {window} and overlap {overlap}")
        scale = self.guidance_scale if guidance_scale is None else guidance_scale
        kw = {"steps": steps or self.steps, "guidance": scale, "sampler": sampler}
        clip = self.sample_best(lambda offset: self.model.sample(cond, n, seed=seed + offset, **kw), guidance, n,
                                self.candidates if candidates is None else candidates)  # fmt: skip
        k = 0
        while clip.shape[1] < total:
            k += 1
            known = torch.zeros_like(clip[:, :window])
            known[:, :overlap] = clip[:, -overlap:]
            mask = torch.zeros(n, window, dtype=torch.bool, device=clip.device)
            mask[:, :overlap] = True
            more = self.model.sample(cond, n, seed=seed + 7919 * k, known=(known, mask), **kw)
            clip = torch.cat([clip, more[:, overlap:]], dim=1)
        return to_pixels(clip[:, :total])

    def extend(self, frames: np.ndarray, guidance: Guidance | None, new_frames: int, seed: int = 0) -> np.ndarray:
        """Predict ``new_frames`` frames after ``frames`` (``[T, H, W, 3]`` at the model's size): MCVD prediction."""
        window = self.model.config.shape.frames
        x = to_model_space(frames).unsqueeze(0).to(self.model.device)
        known_n = min(window - 1, x.shape[1])
        out = x
        k = 0
        while out.shape[1] < x.shape[1] + new_frames:
            known = torch.zeros(1, *self.model.sample_shape, device=x.device)
            known[:, :known_n] = out[:, -known_n:]
            mask = torch.zeros(1, window, dtype=torch.bool, device=x.device)
            mask[:, :known_n] = True
            more = self.model.sample(
                self._conds(guidance, 1),
                1,
                seed=seed + k,
                steps=self.steps,
                guidance=self.guidance_scale,
                known=(known, mask),
            )
            out = torch.cat([out, more[:, known_n:]], dim=1)
            k += 1
        return to_pixels(out[0, x.shape[1] : x.shape[1] + new_frames])
