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

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generec.diffusion.attributes import AttributeVocabulary
from generec.diffusion.candidates import CandidateRules, Wants
from generec.diffusion.conditions import ConditionSpec, guidance_values
from generec.diffusion.model import DiffusionModel, to_model_space, to_pixels
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
    per request and keep the best by :mod:`generec.diffusion.candidates`' ranking. Without ``rules``
    that is the one whose encoder features lie closest to :meth:`targets` (the instruction, else
    User_Hist; User_Emb lives in the recommender's space and cannot judge pixels). A domain that
    measures its items from their pixels (fashion: category, brightness, texture) gives ``rules``:
    then a near-copy of a training item never wins, and what was asked, as the catalogue measures it,
    wins first.
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
        candidates: int = 1,
        rules: CandidateRules | None = None,
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
        if candidates < 1:
            raise ConfigError(f"candidates must be at least 1, got {candidates}")
        self.candidates = candidates
        """Candidates a creator samples per request by default (the service's ``creator.candidates``)."""
        self.rules = rules or CandidateRules()
        """How candidates are judged and edited (:mod:`generec.diffusion.candidates`); empty: by the encoder."""

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
        times (offsets ``c * CANDIDATE_SEED_STEP``), keeping per request the candidate :meth:`best_of` picks;
        each candidate first edited towards what was wanted (the rules' ``touch``).

        ``sample`` returns ``n`` samples ``[n, ...]`` in the model's pixel space; so does this.
        """
        if candidates < 1:
            raise ConfigError(f"candidates must be at least 1, got {candidates}")
        rules = self.rules
        wants = self.wants(guidance, n)
        targets = self.targets(guidance, n) if candidates > 1 and guidance is not None and rules.read is None else None
        touch = rules.touch is not None and wants is not None
        ranks = wants is not None and rules.read is not None
        if candidates == 1 or (targets is None and not ranks and rules.screen is None):
            candidates = 1  # nothing to rank by: one sample
        pool = torch.stack([sample(c * CANDIDATE_SEED_STEP) for c in range(candidates)])
        if touch:
            assert wants is not None and rules.touch is not None
            values = [w.values for w in wants]
            pixels = np.stack([rules.touch(p, values) for p in to_pixels(pool)])
            pool = to_model_space(pixels).to(pool.device)
        if candidates == 1:
            return pool[0]
        best = self.best_of(to_pixels(pool), targets, wants)
        return pool[torch.as_tensor(best), torch.arange(n)]

    def wants(self, guidance: Guidance | list[Guidance | None] | None, n: int) -> list[Wants] | None:
        """Per request, what it wants of the attributes the rules read or touch (``None``: no such rules, or
        nothing wanted)."""
        if guidance is None or (self.rules.read is None and self.rules.touch is None):
            return None
        out = [Wants.of(g.constraints if g is not None else None)
               for g in (guidance if isinstance(guidance, list) else [guidance] * n)]  # fmt: skip
        return out if any(out) else None

    def best_of(self, candidates: np.ndarray, targets: np.ndarray | None,
                wants: Sequence[Wants] | None = None) -> np.ndarray:  # fmt: skip
        """Index of the best candidate per request (:mod:`generec.diffusion.candidates`' ranking): ``candidates``
        is uint8 ``[C, n, (T,) H, W, 3]``, ``targets`` ``[n, dim]`` encoder vectors (used without a reader),
        ``wants`` one :class:`Wants` per request."""
        c, n = candidates.shape[:2]
        rules = self.rules
        keys: list[np.ndarray] = []  # most important first, each [C, n]
        screened = [rules.screen(candidates[k]) for k in range(c)] if rules.screen is not None else None
        if screened is not None:
            keys.append(-np.stack([np.asarray(flags, dtype=np.float64) for flags, _ in screened]))
        if wants is not None and rules.read is not None:
            if len(wants) != n:
                raise ConfigError(f"{n} requests but {len(wants)} sets of wanted attributes")
            read = [rules.read(candidates[k]) for k in range(c)]
            keys.append(np.stack([rules.said_score(r, wants) for r in read]))
            keys.append(np.stack([rules.leaning_score(r, wants) for r in read]))
        if screened is not None:
            keys.append(np.stack([np.asarray(novelty, dtype=np.float64) for _, novelty in screened]))
        if targets is not None and rules.read is None:
            if targets.shape[0] != n:
                raise ConfigError(f"{n} requests but {targets.shape[0]} targets")
            frames = candidates.reshape(-1, *candidates.shape[-3:])
            feats = self.encoder.encode_images(frames).reshape(c, n, -1, targets.shape[1]).mean(axis=2)
            keys.append(np.einsum("cnd,nd->cn", l2_normalize(feats), l2_normalize(targets)))
        keys.append(np.repeat(-np.arange(c, dtype=np.float64)[:, None], n, axis=1))  # ties: the earlier
        return np.lexsort(keys[::-1], axis=0)[-1]  # lexsort's last key is its first; the last row the best
