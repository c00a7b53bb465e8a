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

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generec.diffusion.attributes import AttributeVocabulary
from generec.diffusion.conditions import ConditionSpec, guidance_values
from generec.diffusion.model import DiffusionModel, to_pixels
from generec.encoders.base import l2_normalize
from generec.errors import ConfigError, ModelError
from generec.types import Guidance

ENCODER_PARTS = ("instruction", "user_hist")
"""Condition parts that are encoder features, so that made pixels can be compared with them; in this order
of preference as the target of :meth:`ConditionalGenerator.best_of` (what was asked before the taste)."""
CANDIDATE_SEED_STEP = 104729
"""Candidate ``c`` of a request is sampled with ``seed + c * CANDIDATE_SEED_STEP`` (candidate 0: ``seed``)."""


class ConditionalGenerator:
    """A trained diffusion model with the recipe for its condition vector (shared by creators and editors).

    Parameters
    ----------
    model
        A :class:`DiffusionModel` whose ``config.meta["condition"]`` names its condition parts.
    encoder
        An ``Encoder`` (``encode_texts``/``encode_images``/``encode_video``), used to embed
        instruction texts and frames; may be ``None`` if every guidance carries vectors.
    steps, guidance_scale, candidates
        DDIM steps, classifier-free guidance scale and candidates per request (:meth:`sample_best`) used by
        default.
    history_prompt
        When a guidance has no instruction, also give its User_Hist to the model's instruction input.
        User_Hist is a mean of the encoder's image features, and a dual encoder puts images and texts in
        one space, so the liked items become a *visual prompt* (as unCLIP conditions on image
        embeddings). A model trained on captions follows that input far more than its own User_Hist
        input, which training paired with a liker's whole, noisy history.

    Best of several candidates (DALL-E's reranking): a subclass may sample more than one candidate
    per request and keep the one whose encoder features lie closest to :meth:`targets`, where the
    guidance points in the encoder's space: the instruction embedding, or User_Hist when there is
    no instruction (User_Emb lives in the recommender's space and cannot judge pixels). A catalogue
    whose attributes are *measured* from an item's pixels (a fashion catalogue's brightness and
    texture) gives a ``reader`` that measures them the same way in what was made: then the candidate
    that is what was asked, by the catalogue's own rule, wins first, and the encoder breaks ties.
    """

    kind = "video"
    """The denoiser kind a subclass needs."""

    def __init__(
        self,
        model: DiffusionModel,
        encoder: Any | None = None,
        steps: int = 25,
        guidance_scale: float = 3.0,
        history_prompt: bool = False,
        reader: Callable[[np.ndarray], list[dict[str, str]]] | None = None,
        candidates: int = 1,
        screen: Callable[[np.ndarray], np.ndarray] | None = None,
    ):
        if model.config.denoiser != self.kind:
            raise ModelError(f"{type(self).__name__} needs a {self.kind} model, got a {model.config.denoiser} one")
        if "condition" not in model.config.meta:
            raise ModelError("this model's config names no condition parts; train it with GeneRec's train commands")
        self.model = model
        self.encoder = encoder
        self.spec = ConditionSpec.from_dict(model.config.meta["condition"])
        vocab = model.config.meta.get("attribute_vocabulary")
        self.vocabulary = AttributeVocabulary.from_mapping(vocab) if vocab else None
        self.steps = steps
        self.guidance_scale = guidance_scale
        if history_prompt and "instruction" not in self.spec.names:
            raise ConfigError("history_prompt needs a model with an instruction input (a creation model)")
        self.history_prompt = history_prompt
        self.reader = reader
        """Made items ``[n, ...]`` uint8 -> their measured attribute values (:meth:`best_of`); ``None``: none."""
        if candidates < 1:
            raise ConfigError(f"candidates must be at least 1, got {candidates}")
        self.candidates = candidates
        """Candidates a creator samples per request by default (the service's ``creator.candidates``)."""
        self.screen = screen
        """Made items ``[n, ...]`` uint8 -> ``[n]`` bool, which are near-copies of a training item (never kept
        when another candidate is not one); ``None``: no screen."""

    @classmethod
    def load(cls, path: str | Path, encoder: Any | None = None, device: str = "cpu", **kw: Any):
        return cls(DiffusionModel.load(path, device=device), encoder, **kw)

    @property
    def guidance_kind(self) -> str:
        return str(self.model.config.meta.get("guidance", "unconditional"))

    def _values(self, guidance: Guidance) -> dict[str, np.ndarray | None]:
        """The parts ``guidance`` gives, User_Hist also as the instruction with ``history_prompt``."""
        values = guidance_values(guidance, self.encoder, self.vocabulary)
        if self.history_prompt and values.get("instruction") is None:
            values["instruction"] = values.get("user_hist")
        return values

    def condition(self, guidance: Guidance | None) -> np.ndarray | None:
        """The model's condition vector for ``guidance``; ``None`` (unconditional) for no guidance."""
        if guidance is None:
            return None
        values = self._values(guidance)
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

    def targets(self, guidance: Guidance | list[Guidance | None] | None, n: int) -> np.ndarray | None:
        """Per request, its first encoder-space guidance vector (:data:`ENCODER_PARTS`) ``[n, dim]``; ``None``
        when any request has none (no encoder, unguided, or User_Emb only): then there is nothing to rank by."""
        if self.encoder is None:
            return None
        found = []
        for g in guidance if isinstance(guidance, list) else [guidance] * n:
            values = {} if g is None else self._values(g)
            part = next((k for k in ENCODER_PARTS if k in self.spec.names and values.get(k) is not None), None)
            if part is None:
                return None
            found.append(np.asarray(values[part], dtype=np.float32).reshape(-1))
        return np.stack(found)

    def sample_best(
        self,
        sample: Callable[[int], torch.Tensor],
        guidance: Guidance | list[Guidance | None] | None,
        n: int,
        candidates: int,
    ) -> torch.Tensor:
        """``sample(seed_offset)`` once or, with ``candidates > 1`` and something to rank by, that many
        times (offsets ``c * CANDIDATE_SEED_STEP``), keeping per request the candidate :meth:`best_of` picks.

        ``sample`` returns ``n`` samples ``[n, ...]`` in the model's pixel space; so does this.
        """
        if candidates < 1:
            raise ConfigError(f"candidates must be at least 1, got {candidates}")
        first = sample(0)
        targets = self.targets(guidance, n) if candidates > 1 and guidance is not None else None
        asked = self.measurable(guidance, n) if candidates > 1 and guidance is not None else None
        if targets is None and asked is None and (self.screen is None or candidates == 1):
            return first
        pool = torch.stack([first] + [sample(c * CANDIDATE_SEED_STEP) for c in range(1, candidates)])
        best = self.best_of(to_pixels(pool), targets, asked)
        return pool[torch.as_tensor(best), torch.arange(n)]

    def measurable(self, guidance: Guidance | list[Guidance | None] | None, n: int) -> list[dict[str, str]] | None:
        """Per request, the asked attribute values the :attr:`reader` measures (``None``: no reader, or
        nothing measurable asked)."""
        if self.reader is None or guidance is None:
            return None
        out = []
        for g in guidance if isinstance(guidance, list) else [guidance] * n:
            named = ((g.constraints or {}).get("attributes") or {}) if g is not None else {}
            out.append({a: str(v[0]) if isinstance(v, list | tuple) else str(v) for a, v in named.items() if v})
        return out if any(out) else None

    def best_of(self, candidates: np.ndarray, targets: np.ndarray | None,
                asked: list[dict[str, str]] | None = None) -> np.ndarray:  # fmt: skip
        """Index of the best candidate per request: ``candidates`` is uint8 ``[C, n, (T,) H, W, 3]``.

        A candidate the :attr:`screen` flags as a near-copy of a training item loses to every other. Then,
        with ``asked`` (per request, attribute values the :attr:`reader` measures), the candidates with the
        most of them measured as asked; among those (or with no ``asked``), the one whose mean frame feature
        lies closest (cosine) to its request's ``targets``; the first when there are no targets either.
        """
        c, n = candidates.shape[:2]
        score = np.zeros((c, n))
        if self.screen is not None:
            for k in range(c):
                score[k] -= 100.0 * np.asarray(self.screen(candidates[k]), dtype=np.float64)
        if asked is not None and self.reader is not None:
            if len(asked) != n:
                raise ConfigError(f"{n} requests but {len(asked)} sets of asked attributes")
            for k in range(c):
                read = self.reader(candidates[k])
                score[k] += [sum(got.get(a) == v for a, v in want.items())
                             for got, want in zip(read, asked, strict=True)]  # fmt: skip
        if targets is None:
            return score.argmax(axis=0)
        if targets.shape[0] != n:
            raise ConfigError(f"{n} requests but {targets.shape[0]} targets")
        frames = candidates.reshape(-1, *candidates.shape[-3:])
        feats = self.encoder.encode_images(frames).reshape(c, n, -1, targets.shape[1]).mean(axis=2)
        cosine = np.einsum("cnd,nd->cn", l2_normalize(feats), l2_normalize(targets))
        return (score * 4.0 + cosine).argmax(axis=0)  # a cosine lies in [-1, 1]: one more match always wins
