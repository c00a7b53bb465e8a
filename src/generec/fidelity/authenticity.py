"""Authenticity: attribute-value claims in generated text, checked against the platform's facts store.

Claims are found by patterns ("filmed in Paris", "released in 2019", "the 2013 short X",
"directed by X", "a 90-minute film", "set in X", "starring X"; see :mod:`generec.fidelity.claims`),
not by a language model. Each claim is about an *entity*: the facts-store entity that is the
subject of the claim's sentence, else one named earlier, else the item's own subject
(``item.attributes['about']``, else its parent, else itself). A claim is *supported* when the
store holds the same value (numbers compare as whole numbers), *contradicted* when it holds
another value for that attribute (the conflicting fact is quoted), *unsupported* when it holds
nothing. A negated claim ("not filmed in X") is contradicted when the store holds X.

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
from generec.fidelity.claims import CLAIM_PATTERNS, Claim, extract_claims, mentions, subject_of
from generec.types import Verdict


@dataclasses.dataclass(frozen=True)
class Fact:
    entity: str
    attribute: str
    value: str
    source: str = ""


def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", value.strip().lower())


def same_value(claimed: str, known: str) -> bool:
    """Whether a claimed value names the fact's value: numbers as whole numbers, names as whole words."""
    a, b = _norm(claimed), _norm(known)
    if a.isdigit() or b.isdigit():
        return a.isdigit() and b.isdigit() and int(a) == int(b)
    wa, wb = set(re.findall(r"\w+", a)), set(re.findall(r"\w+", b))
    return bool(wa) and bool(wb) and (wa <= wb or wb <= wa)


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
    named = mentions(text, facts.entities())
    out = []
    for c in extract_claims(text):
        entity = subject_of(c, text, named, _norm(default_entity))
        known = facts.facts(entity, c.attribute)
        if not known:
            out.append(ClaimResult(c, entity, "unsupported"))
            continue
        agrees = any(same_value(c.value, f.value) for f in known)
        status = "supported" if agrees != c.negated else "contradicted"
        out.append(ClaimResult(c, entity, status, tuple(known)))
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
            said = ("not " if r.claim.negated else "") + repr(r.claim.text)
            line = f"{r.status}: {said} ({f}, about {r.entity!r})"
            if r.status == "contradicted":
                line += " vs fact " + ", ".join(f"{x.attribute}={x.value!r} [{x.source or 'no source'}]"
                                                for x in r.facts)  # fmt: skip
            lines.append(line)
        supported = sum(r.status == "supported" for _, r in results)
        return verdict(self.name, subject, not bad, supported / len(results), "; ".join(lines),
                       statuses=[r.status for _, r in results])  # fmt: skip
