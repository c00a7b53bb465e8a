"""Build the instructor from configuration (``[instructor]`` in the config file).

Example
-------
>>> from generec.config import Settings
>>> from generec.instructor.factory import build_understanding, build_instructor
>>> nlu = build_understanding(Settings().instructor, Vocabulary.from_sim())      # doctest: +SKIP
>>> ins = build_instructor(Settings().instructor, nlu)                             # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable

from generec.config import InstructorSettings
from generec.errors import ConfigError
from generec.instructor.activation import ActivationPolicy, CloseMatch
from generec.instructor.exposure import ExposurePolicy
from generec.instructor.guidance import GuidanceBuilder
from generec.instructor.instructor import Instructor, Understander
from generec.instructor.llm import LlamaCppBackend, LLMUnderstanding, OpenAIChatBackend
from generec.instructor.text_encoder import TextEncoder
from generec.instructor.understanding import OfflineUnderstanding
from generec.instructor.vocabulary import Vocabulary


def build_understanding(
    cfg: InstructorSettings,
    vocabulary: Vocabulary,
    examples: Iterable[tuple[str, str]] = (),
    encoder: TextEncoder | None = None,
    offline: OfflineUnderstanding | None = None,
) -> Understander:
    """The offline understanding fitted on seeds + ``examples``, behind the configured LLM if any.

    Pass an already fitted ``offline`` understanding to reuse it (fitting takes seconds).
    """
    if offline is None:
        offline = OfflineUnderstanding(vocabulary, encoder, threshold=cfg.open_vocab_threshold).fit(examples)
    if cfg.llm_backend == "none":
        return offline
    if cfg.llm_backend == "openai":
        key = cfg.llm_api_key.get_secret_value() if cfg.llm_api_key else None
        backend = OpenAIChatBackend(cfg.llm_base_url, cfg.llm_model, api_key=key, timeout_s=cfg.llm_timeout_s)
        return LLMUnderstanding(backend, offline)
    if cfg.llm_backend == "llamacpp":
        return LLMUnderstanding(LlamaCppBackend(cfg.llm_model_path), offline)
    raise ConfigError(f"unknown instructor.llm_backend {cfg.llm_backend!r}: use none, openai or llamacpp")


def build_instructor(
    cfg: InstructorSettings,
    understanding: Understander,
    close_match: CloseMatch | None = None,
    guidance: GuidanceBuilder | None = None,
    kind: str = "video",
) -> Instructor:
    """An :class:`Instructor` whose policies follow ``cfg``; it creates items of ``kind`` (video or image)."""
    activation = ActivationPolicy(cfg.negative_streak, close_match, cfg.close_match_threshold, kind=kind)
    return Instructor(understanding, activation, ExposurePolicy(cfg.negative_streak), guidance, cfg.min_confidence)
