"""Finding attribute-value claims in text and the entity each one is about (for the authenticity check).

Patterns, not a language model, and so deliberately narrow; what they handle:

- the claim's wording in any case ("RELEASED IN 2012"), before or after its subject
  ("Released in 2015, Spring ...", "In 2006, X premiered", "the 2013 short X", "X (2019)");
- negation: "was not filmed in A but in B" claims *not A* and *B*;
- numbers as whole numbers ("80-minute" is 80, never 8);
- the subject: the nearest entity in the claim's sentence (before the claim, else after it),
  skipping entities only named for comparison ("like X", "unlike X", "than X"); else the
  last entity named earlier; else the item's own subject.

Example
-------
>>> from generec.fidelity.claims import extract_claims
>>> [(c.attribute, c.value, c.negated) for c in extract_claims("Not filmed in Rome but in Oslo, a 90-minute film")]
[('filmed_in', 'Rome', True), ('filmed_in', 'Oslo', False), ('runtime_min', '90', False)]
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

_STOP = r"(?:And|But|Or|Was|Were|Is|Are|In|On|At|With|For|By|From|Who|Which|That|Its|His|Her|Their|The)\b"
_NAME = rf"([A-Z][\w'\-]*(?:\s+(?:of|de|la|the|van|von|(?!{_STOP})[A-Z][\w'\-]*))*)"
_YEAR = r"((?:18|19|20)\d\d)"
_KINDS = r"(?i:film|short|movie|feature|animation|documentary|series|cartoon)"
_OUT = r"(?i:released|premiered|came out|debuted|published)"
_NEG = r"(?:(?i:not|never|n't)\s+(?:(?i:been|be|actually|really)\s+)?)"
CLAIM_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "filmed_in": [re.compile(rf"\b(?i:filmed|shot|recorded)\s+(?:(?i:on location)\s+)?(?i:in)\s+{_NAME}")],
    "set_in": [re.compile(rf"\b(?i:set)\s+(?i:in)\s+{_NAME}")],
    "year": [
        re.compile(rf"\b(?i:released|made|filmed|premiered|published|came out|debuted)\s+(?i:in)\s+{_YEAR}\b"),
        re.compile(
            rf"\b(?i:in)\s+{_YEAR},?\s+(?=[^.;]{{0,80}}?\b(?i:released|premiered|came out|debuted|published)\b)"
        ),
        re.compile(rf"\b{_YEAR}\s+(?:[\w\-]+\s+){{0,2}}?{_KINDS}\b"),
        re.compile(rf"\({_YEAR}\)"),
    ],
    "directed_by": [re.compile(rf"\b(?:(?i:directed)\s+(?i:by)|(?i:(?:film|short|movie|animation)\s+by))\s+{_NAME}")],
    "starring": [re.compile(rf"\b(?i:starring)\s+{_NAME}")],
    "runtime_min": [re.compile(r"\b(\d{1,3})[-\s]?(?i:minutes?|mins?)\b")],
}
"""Attribute -> patterns whose first group is the claimed value."""
_BUT = re.compile(rf"\s*,?\s*(?i:but)\s+(?:(?i:in|by)\s+)?(?:{_YEAR}\b|{_NAME})")
_COMPARE = re.compile(r"\b(?:like|unlike|than|as|versus|vs\.?|after|before|besides)\s*$", re.I)


@dataclasses.dataclass(frozen=True)
class Claim:
    """``attribute`` = ``value`` claimed in ``text`` (at ``start``); ``negated``: the text says it is *not* so."""

    attribute: str
    value: str
    text: str
    start: int
    negated: bool = False


def _shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) > 0.8 * len(letters)


def readable(text: str) -> str:
    """``text`` with all-capitals runs written in title case (so names can be told from words again)."""
    return text.title() if _shouting(text) else text


def extract_claims(text: str) -> list[Claim]:
    """Attribute-value claims in ``text``, in order (see the module docstring)."""
    text = readable(text)
    claims: list[Claim] = []
    for attribute, patterns in CLAIM_PATTERNS.items():
        for pattern in patterns:
            for m in pattern.finditer(text):
                if any(c.attribute == attribute and c.start <= m.start() < c.start + len(c.text) for c in claims):
                    continue  # one claim, two wordings
                negated = bool(re.search(rf"{_NEG}$", text[max(0, m.start() - 24) : m.start()]))
                claims.append(Claim(attribute, m.group(1).strip(), m.group(0), m.start(), negated))
                if negated and (but := _BUT.match(text, m.end())):
                    value = (but.group(1) or but.group(2)).strip()
                    claims.append(Claim(attribute, value, but.group(0).strip(" ,"), but.start() + 1))
    return sorted(claims, key=lambda c: c.start)


def mentions(text: str, entities: Iterable[str]) -> list[tuple[int, int, str]]:
    """``(start, end, entity)`` for each known entity named in ``text`` (whole words; capitalised unless shouting)."""
    text = readable(text)
    found = []
    for entity in entities:
        for m in re.finditer(rf"\b{re.escape(entity)}\b", text, re.I):
            if m.group(0)[0].isupper() or not entity[0].isalpha():
                found.append((m.start(), m.end(), entity))
    return sorted(found)


def subject_of(claim: Claim, text: str, named: list[tuple[int, int, str]], default: str) -> str:
    """The entity ``claim`` is about: see the module docstring for the rule."""
    text = readable(text)
    begin = max(text.rfind(s, 0, claim.start) for s in (". ", "! ", "? ", "; ", "\n")) + 1
    end = min((i for s in (". ", "! ", "? ", "; ", "\n") if (i := text.find(s, claim.start)) >= 0), default=len(text))
    in_sentence = [(s, e, n) for s, e, n in named if begin <= s < end and not _COMPARE.search(text[begin:s])]
    before = [n for s, _, n in in_sentence if s < claim.start]
    after = [n for s, _, n in in_sentence if s >= claim.start]
    if before or after:
        return before[-1] if before else after[0]
    earlier = [n for s, _, n in named if s < begin]
    return earlier[-1] if earlier else default
