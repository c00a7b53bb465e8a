"""Exposure policy (paper §3.4, task 2): show a generated item directly, or rank it with the corpus.

Generated items go straight to the user when they asked for them (an edit or a
creation) or have rejected human items ``negative_streak`` times in a row;
otherwise they compete with human items on their content score. Either way
every AI item leaves here labelled :data:`AI_LABEL`, and the decision record
carries the label too.

Example
-------
>>> from generec.types import Candidate
>>> policy = ExposurePolicy(negative_streak=3)
>>> d = policy.decide(explicit=False, streak=0)
>>> d.mode.value, d.label
('rank', 'AI-generated')
>>> [e.item_id for e in policy.arrange([Candidate("h1", 0.9), Candidate("h2", 0.2)], [("g1", 0.5)], d)]
['h1', 'g1', 'h2']
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from generec.errors import ConfigError
from generec.types import Candidate

AI_LABEL = "AI-generated"


class ExposureMode(enum.StrEnum):
    DIRECT = "direct"
    RANK = "rank"


@dataclass(frozen=True, slots=True)
class ExposureDecision:
    """How generated items are shown, why (``requested`` | ``negative_streak`` | ``ranked``), and their label."""

    mode: ExposureMode
    reason: str
    label: str = AI_LABEL


@dataclass(frozen=True, slots=True)
class Exposed:
    """One item as shown: its score, where it came from, and its label (``AI-generated`` or ``None``)."""

    item_id: str
    score: float
    source: str
    label: str | None = None

    @property
    def is_ai(self) -> bool:
        return self.label == AI_LABEL


class ExposurePolicy:
    """Direct exposure vs ranking of generated items.

    Parameters
    ----------
    negative_streak : int
        Rejections of human items in a row after which generated items are shown directly.
    """

    def __init__(self, negative_streak: int = 3) -> None:
        if negative_streak < 1:
            raise ConfigError(f"negative_streak must be at least 1, got {negative_streak}")
        self.negative_streak = negative_streak

    def decide(self, explicit: bool, streak: int) -> ExposureDecision:
        """``explicit``: the user asked for generated content this turn; ``streak``: human-item rejections."""
        if explicit:
            return ExposureDecision(ExposureMode.DIRECT, "requested")
        if streak >= self.negative_streak:
            return ExposureDecision(ExposureMode.DIRECT, "negative_streak")
        return ExposureDecision(ExposureMode.RANK, "ranked")

    def arrange(
        self,
        human: Sequence[Candidate],
        generated: Sequence[tuple[str, float]],
        decision: ExposureDecision,
        k: int | None = None,
    ) -> list[Exposed]:
        """Merge ranked human candidates with generated ``(item_id, content score)`` pairs.

        ``DIRECT`` puts generated items first (best score first); ``RANK`` sorts everything by score
        (ties keep human items first). Scores must be comparable (the same content scorer).
        """
        ai = [Exposed(i, float(s), "generated", decision.label) for i, s in sorted(generated, key=lambda g: -g[1])]
        people = [Exposed(c.item_id, float(c.score), c.source) for c in human]
        if decision.mode is ExposureMode.DIRECT:
            out = ai + people
        else:
            order = sorted(range(len(people) + len(ai)), key=lambda j: (-(people + ai)[j].score, j))
            out = [(people + ai)[j] for j in order]
        return out[:k] if k is not None else out
