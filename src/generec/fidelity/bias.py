"""Bias and fairness: exposure shares in a ranking (AI vs human, uploader groups) and stereotyped wording.

Exposure uses the usual position discount ``1 / log2(rank + 2)``: a share is a group's
discounted exposure over the list's total. The wording check is a learned
:class:`~generec.fidelity.text_model.SentenceClassifier` (logistic regression on sentence
embeddings) trained on hand-written generalisations about groups ("X are naturally ...",
"real men ...", "drives like a ...", "typical X, ...") against neutral and positive mentions of
the same groups ("these girls are amazing climbers") and unrelated uses of the same words
("vermin control"): a sentence is judged by what it says about a group, not by which words
it contains. Dehumanising hate is the safety check's business (toxic text).

Example
-------
>>> from generec.fidelity.bias import stereotype_scores
>>> [bool(p > 0.5) for p in stereotype_scores(["Women are bad at driving", "Women's driving lessons"])]
[True, False]
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from generec.fidelity.base import Subject, not_applicable, register_check, verdict
from generec.types import Item, Verdict

STEREOTYPE_THRESHOLD = 0.5
"""A text whose P(stereotyped) is above this fails the wording check."""


@functools.cache
def stereotype_model():
    """The stereotyped-wording classifier, fitted once per process on :mod:`generec.fidelity.text_corpus`."""
    from generec.fidelity.text_corpus import (
        NEUTRAL_TRAIN,
        PEOPLE_CAPTIONS,
        STEREOTYPE_TRAIN,
        platform_captions,
        platform_requests,
    )
    from generec.fidelity.text_model import SentenceClassifier

    benign = NEUTRAL_TRAIN + PEOPLE_CAPTIONS + platform_captions() + platform_requests()
    return SentenceClassifier().fit(STEREOTYPE_TRAIN + benign, [1] * len(STEREOTYPE_TRAIN) + [0] * len(benign))


def stereotype_scores(texts: Sequence[str]) -> np.ndarray:
    """P(the text generalises about a group: a stereotype or a prescribed role) for each text."""
    if not texts:
        return np.empty(0)
    return stereotype_model().predict_proba(list(texts))


@register_check("wording")
class WordingCheck:
    """Fail generated text with stereotyped wording about a group (a learned classifier, see module docs).

    Parameters
    ----------
    threshold : P(stereotyped) above which a text fails.
    """

    name = "wording"

    def __init__(self, threshold: float = STEREOTYPE_THRESHOLD) -> None:
        self.threshold = float(threshold)

    def check(self, subject: Subject) -> Verdict:
        texts = subject.texts()
        if not texts:
            return not_applicable(self.name, subject, "no text")
        scores = dict(zip(texts, stereotype_scores(list(texts.values())), strict=True))
        worst = max(scores.values())
        bad = [f"{field} ({p:.2f}): {texts[field][:60]!r}" for field, p in scores.items() if p > self.threshold]
        if not bad:
            return verdict(self.name, subject, True, 1.0 - worst,
                           f"no stereotyped wording in {', '.join(texts)} (max {worst:.2f}, "
                           f"limit {self.threshold:.2f})")  # fmt: skip
        return verdict(self.name, subject, False, 1.0 - worst,
                       f"stereotyped wording above {self.threshold:.2f}: " + "; ".join(bad))  # fmt: skip


def exposure_shares(ranking: Sequence[Item], group_of: Callable[[Item], str]) -> dict[str, float]:
    """Each group's share of position-discounted exposure (``1/log2(rank+2)``) in ``ranking``."""
    weights: dict[str, float] = defaultdict(float)
    for rank, item in enumerate(ranking):
        weights[group_of(item)] += 1.0 / math.log2(rank + 2)
    total = sum(weights.values())
    return {g: w / total for g, w in sorted(weights.items())} if total else {}


def uploader_group(item: Item) -> str:
    """Default uploader group: ``item.attributes['uploader_group']`` (``'ai'`` for AI items, else ``'unknown'``)."""
    if item.is_ai:
        return "ai"
    return str(item.attributes.get("uploader_group", "unknown"))


@register_check("exposure")
class ExposureCheck:
    """Bounds on exposure in a ranking: the AI share, and each uploader group's share.

    Parameters
    ----------
    ai_share : ``(min, max)`` allowed share of exposure going to AI items.
    group_min_share : minimum share per uploader group, e.g. ``{"new_creators": 0.1}``.
    group_max_share : no single human uploader group above this share.
    group_of : maps an item to its uploader group (default :func:`uploader_group`).

    Example
    -------
    >>> from generec.types import Item, Origin
    >>> ranking = [Item(id=f"a{i}", origin=Origin.AI) for i in range(5)]
    >>> ExposureCheck(ai_share=(0.0, 0.5)).check_ranking(ranking, "u1").passed
    False
    """

    name = "exposure"

    def __init__(
        self,
        ai_share: tuple[float, float] = (0.0, 0.5),
        group_min_share: Mapping[str, float] | None = None,
        group_max_share: float = 1.0,
        group_of: Callable[[Item], str] = uploader_group,
    ) -> None:
        self.ai_share = (float(ai_share[0]), float(ai_share[1]))
        self.group_min_share = dict(group_min_share or {})
        self.group_max_share = float(group_max_share)
        self.group_of = group_of

    def check(self, subject: Subject) -> Verdict:
        if not subject.ranking:
            return not_applicable(self.name, subject, "no ranking given")
        return self._judge(subject, list(subject.ranking))

    def check_ranking(self, ranking: Sequence[Item], ranking_id: str) -> Verdict:
        """Check one ranking; the verdict's ``item_id`` is ``ranking_id`` (e.g. the user or request id)."""
        subject = Subject(Item(id=ranking_id), ranking=ranking)
        return self._judge(subject, list(ranking))

    def _judge(self, subject: Subject, ranking: list[Item]) -> Verdict:
        ai = exposure_shares(ranking, lambda i: "ai" if i.is_ai else "human").get("ai", 0.0)
        groups = exposure_shares([i for i in ranking if not i.is_ai], self.group_of)
        problems = []
        lo, hi = self.ai_share
        if not lo <= ai <= hi:
            problems.append(f"AI share of exposure {ai:.2f} outside [{lo:.2f}, {hi:.2f}]")
        for g, need in self.group_min_share.items():
            if groups.get(g, 0.0) < need:
                problems.append(f"group {g!r} gets {groups.get(g, 0.0):.2f} of human exposure, below {need:.2f}")
        problems += [f"group {g!r} gets {s:.2f} of human exposure, above {self.group_max_share:.2f}"
                     for g, s in groups.items() if s > self.group_max_share]  # fmt: skip
        shares = ", ".join(f"{g} {s:.2f}" for g, s in groups.items())
        evidence = "; ".join(problems) or f"AI share {ai:.2f}; human groups: {shares or 'none'}"
        return verdict(self.name, subject, not problems, 1.0 - len(problems) / (2 + len(self.group_min_share)),
                       evidence, ai_share=ai, group_shares=groups)  # fmt: skip
