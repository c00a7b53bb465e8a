"""Bias and fairness: exposure shares in a ranking (AI vs human, uploader groups) and stereotyped wording.

Exposure uses the usual position discount ``1 / log2(rank + 2)``: a share is a group's
discounted exposure over the list's total. The wording check is a small hand-made lexicon
of demeaning terms plus a few generalisation patterns ("all <group> are ...", "<group> are
lazy", "... for a girl"); it is a tripwire for obvious cases, not a trained classifier,
and it misses anything subtle.

Example
-------
>>> from generec.fidelity.bias import stereotype_hits
>>> stereotype_hits("All women are bad at driving")[0][0]
'generalisation'
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from generec.fidelity.base import Subject, not_applicable, register_check, verdict
from generec.types import Item, Verdict

_GROUPS = (r"women|men|girls|boys|wives|husbands|mothers|blacks|whites|asians|africans|arabs|latinos|mexicans|"
           r"indians|chinese|muslims|jews|christians|hindus|atheists|immigrants|refugees|foreigners|gays|lesbians|"
           r"trans people|old people|elderly people|the elderly|disabled people|the disabled|poor people|the poor|"
           r"fat people|blondes|millennials|boomers|teenagers")  # fmt: skip
_TRAITS = (r"lazy|stupid|dumb|criminals?|dirty|inferior|terrorists?|violent|greedy|weak|hysterical|"
           r"too emotional|bad at \w+|useless|worthless|thieves|savages|animals|a burden|dangerous")  # fmt: skip
PATTERNS: dict[str, re.Pattern[str]] = {
    "generalisation": re.compile(
        rf"\b(?:all|every|typical|those|these)\s+(?:{_GROUPS})\s+(?:are|can't|cannot|can not|never|always|should|"
        rf"belong|only)\b",
        re.I,
    ),  # fmt: skip
    "generalisation-singular": re.compile(
        r"\b(?:every|any|a typical|your typical)\s+(?:woman|man|girl|boy|wife|mother|teenager|immigrant|refugee|"
        r"foreigner|muslim|jew|christian|hindu|arab|asian|african|mexican|old person|blonde|gay|lesbian)\s+"
        r"(?:is|can't|cannot|never|always|should|belongs)\b",
        re.I,
    ),
    "trait": re.compile(rf"\b(?:{_GROUPS})\s+(?:are|is)\s+(?:all\s+|just\s+|naturally\s+)?(?:{_TRAITS})\b", re.I),
    "for-a": re.compile(
        r"\b(?:good|smart|strong|pretty|brave|clever)\s+for\s+an?\s+"
        r"(?:girl|woman|black|asian|immigrant|old|disabled|gay)\b",
        re.I,
    ),  # fmt: skip
    "role": re.compile(r"\b(?:women|girls|wives)\s+belong\s+in\s+the\s+kitchen\b|\blike\s+a\s+girl\b", re.I),
}
DEMEANING = frozenset({"subhuman", "vermin", "savages", "mongoloid", "retard", "retarded", "cripple", "tranny",
                       "inferior race", "lesser race", "breeders", "parasites"})  # fmt: skip
"""Demeaning terms flagged wherever they appear (kept short on purpose; extend per deployment)."""


def stereotype_hits(text: str) -> list[tuple[str, str]]:
    """``(rule, matched text)`` for each stereotyped or demeaning phrase in ``text``."""
    hits = [(rule, m.group(0)) for rule, pat in PATTERNS.items() for m in pat.finditer(text)]
    low = text.lower()
    hits += [("demeaning", w) for w in sorted(DEMEANING) if re.search(rf"\b{re.escape(w)}\b", low)]
    return hits


@register_check("wording")
class WordingCheck:
    """Fail generated text with stereotyped or demeaning wording (lexicon + patterns, see module docs)."""

    name = "wording"

    def check(self, subject: Subject) -> Verdict:
        texts = subject.texts()
        if not texts:
            return not_applicable(self.name, subject, "no text")
        hits = [(field, rule, m) for field, t in texts.items() for rule, m in stereotype_hits(t)]
        if not hits:
            return verdict(self.name, subject, True, 1.0, f"no stereotyped or demeaning wording in {', '.join(texts)}")
        listed = "; ".join(f"{rule} in {field}: {m!r}" for field, rule, m in hits)
        return verdict(self.name, subject, False, 0.0, f"stereotyped/demeaning wording: {listed}")


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
