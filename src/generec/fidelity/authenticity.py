"""Authenticity: attribute-value claims in generated text, checked against the platform's facts store.

Kept simple and honest: claims are found by a handful of patterns ("filmed in Paris",
"released in 2019", "directed by X", "90 minutes long", "set in X", "starring X"), not by a
language model. Each claim is about an *entity*: a facts-store entity named in the text before
the claim, else the item's own subject (``item.attributes['about']``, else its parent, else itself).
A claim is *supported* when the store holds the same value, *contradicted* when it holds another
value for that attribute (the conflicting fact is quoted), *unsupported* when it holds nothing.

Example
-------
>>> from generec.fidelity.authenticity import FactsStore, extract_claims
>>> facts = FactsStore(":memory:")
>>> facts.add("Big Buck Bunny", "year", "2008", source="Blender Foundation")
>>> [c.attribute for c in extract_claims("Big Buck Bunny, released in 2008")]
['year']
"""

from __future__ import annotations

import dataclasses
import os
import re
import sqlite3
from pathlib import Path

from generec.fidelity.base import FidelityError, Subject, not_applicable, register_check, verdict
from generec.types import Verdict

_NAME = r"([A-Z][\w'\-]*(?:\s+(?:of|de|la|the|[A-Z][\w'\-]*))*)"
CLAIM_PATTERNS: dict[str, re.Pattern[str]] = {
    "filmed_in": re.compile(r"\b(?:filmed|shot|recorded)\s+(?:on location\s+)?in\s+" + _NAME),
    "set_in": re.compile(r"\bset\s+in\s+" + _NAME),
    "year": re.compile(r"\b(?:released|made|filmed|premiered|published)\s+in\s+(\d{4})\b"),
    "directed_by": re.compile(r"\bdirected\s+by\s+" + _NAME),
    "starring": re.compile(r"\bstarring\s+" + _NAME),
    "runtime_min": re.compile(r"\b(\d{1,3})[-\s]minutes?\b(?:\s+long)?"),
}


@dataclasses.dataclass(frozen=True)
class Claim:
    attribute: str
    value: str
    text: str
    start: int


@dataclasses.dataclass(frozen=True)
class Fact:
    entity: str
    attribute: str
    value: str
    source: str = ""


def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", value.strip().lower())


def extract_claims(text: str) -> list[Claim]:
    """Attribute-value claims in ``text``, in order."""
    claims = [Claim(attr, m.group(1).strip(), m.group(0), m.start()) for attr, pat in CLAIM_PATTERNS.items()
              for m in pat.finditer(text)]  # fmt: skip
    return sorted(claims, key=lambda c: c.start)


class FactsStore:
    """The platform's facts table (SQLite): ``(entity, attribute, value, source)``; several values allowed."""

    def __init__(self, path: str | os.PathLike[str] = ":memory:") -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path))
            self._db.execute("CREATE TABLE IF NOT EXISTS facts (entity TEXT NOT NULL, attribute TEXT NOT NULL, "
                             "value TEXT NOT NULL, source TEXT NOT NULL DEFAULT '', "
                             "UNIQUE(entity, attribute, value))")  # fmt: skip
        except sqlite3.DatabaseError as exc:
            raise FidelityError(f"{path}: not a usable facts database ({exc})") from exc

    def add(self, entity: str, attribute: str, value: str, source: str = "") -> None:
        """Record a fact (idempotent). Entities and values are matched case-insensitively."""
        if not entity.strip() or attribute not in CLAIM_PATTERNS or not str(value).strip():
            raise FidelityError(f"bad fact ({entity!r}, {attribute!r}, {value!r}): need an entity, one of "
                                f"{', '.join(CLAIM_PATTERNS)} and a value")  # fmt: skip
        with self._db:
            self._db.execute("INSERT OR IGNORE INTO facts VALUES (?, ?, ?, ?)",
                             (_norm(entity), attribute, _norm(str(value)), source))  # fmt: skip

    def facts(self, entity: str, attribute: str) -> list[Fact]:
        rows = self._db.execute("SELECT entity, attribute, value, source FROM facts WHERE entity=? AND attribute=?",
                                (_norm(entity), attribute))  # fmt: skip
        return [Fact(*r) for r in rows]

    def entities(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT entity FROM facts")]

    def close(self) -> None:
        self._db.close()


@dataclasses.dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    entity: str
    status: str  # supported | contradicted | unsupported
    facts: tuple[Fact, ...] = ()


def check_claims(text: str, facts: FactsStore, default_entity: str) -> list[ClaimResult]:
    """Judge every claim in ``text`` against ``facts`` (see the module docstring for the rules)."""
    low = text.lower()
    mentions = sorted((m.start(), e) for e in facts.entities() for m in re.finditer(re.escape(e), low))
    out = []
    for c in extract_claims(text):
        before = [e for pos, e in mentions if pos < c.start]
        entity = before[-1] if before else default_entity
        known = facts.facts(entity, c.attribute)
        if not known:
            out.append(ClaimResult(c, entity, "unsupported"))
        elif any(_norm(c.value).startswith(f.value) or f.value.startswith(_norm(c.value)) for f in known):
            out.append(ClaimResult(c, entity, "supported", tuple(known)))
        else:
            out.append(ClaimResult(c, entity, "contradicted", tuple(known)))
    return out


@register_check("authenticity")
class AuthenticityCheck:
    """Flag contradicted claims (always) and unsupported claims (when ``strict``, e.g. the news domain)."""

    name = "authenticity"

    def __init__(self, facts: FactsStore | None = None, strict: bool = False) -> None:
        self.facts = facts
        self.strict = strict

    def check(self, subject: Subject) -> Verdict:
        texts = subject.texts()
        if self.facts is None:
            return not_applicable(self.name, subject, "no facts store configured")
        item = subject.item
        default = str(item.attributes.get("about") or item.parent_id or item.id)
        results = [(f, r) for f, t in texts.items() for r in check_claims(t, self.facts, default)]
        if not results:
            return verdict(self.name, subject, True, 1.0, "no checkable claims")
        bad = [(f, r) for f, r in results if r.status == "contradicted" or (self.strict and r.status == "unsupported")]
        lines = []
        for f, r in results:
            line = f"{r.status}: {r.claim.text!r} ({f}, about {r.entity!r})"
            if r.status == "contradicted":
                line += " vs fact " + ", ".join(f"{x.attribute}={x.value!r} [{x.source or 'no source'}]"
                                                for x in r.facts)  # fmt: skip
            lines.append(line)
        supported = sum(r.status == "supported" for _, r in results)
        return verdict(self.name, subject, not bad, supported / len(results), "; ".join(lines),
                       statuses=[r.status for _, r in results])  # fmt: skip
