"""Slot filling from the corpus vocabulary: values, negation, item references, durations.

Values are found in two passes. First an exact, longest-first n-gram match
against every surface form of the :class:`~generec.instructor.vocabulary.Vocabulary`
(values, their synonyms and plurals). Then every content word left over is
mapped onto a value by similarity in the sentence encoder's space, or reported
back (:mod:`generec.instructor.open_vocab`), so a synonym the vocabulary never
listed ("pup", "woodland", "trucks") still lands on its value and a word with
no value here is said, not dropped. A negation cue ("no", "skip", "anything
but") opens a scope (:mod:`generec.instructor.scope`); values inside it become
exclusion constraints instead of wishes.

Example
-------
>>> from generec.instructor.vocabulary import Vocabulary
>>> filler = SlotFiller(Vocabulary({"category": ["cat", "dog"]}), encoder=None)
>>> r = filler.fill("no more cats, show me the second dog video")
>>> r.excluded, r.slots.attributes, r.references[0].index
((('category', 'cat'),), {'category': ('dog',)}, 1)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from generec.instructor.open_vocab import THRESHOLD, Mapped, OpenVocabulary, Unknown
from generec.instructor.schema import ItemRef, RefKind, Slots
from generec.instructor.scope import cues, negated
from generec.instructor.text_encoder import TextEncoder
from generec.instructor.vocabulary import Vocabulary, tokenize


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS = _words(
    """a an the and or but if so to of in on at by for from with without into onto over under about as is are was
    were be been being it its it's this that these those there here i me my you your we our they them he she his her
    do does did done can could would should will shall may might must please pls thanks thank hi hello hey yes yeah
    ok okay not no nor more less most some any all each every one ones video videos clip clips thing things item
    items something anything show make give want need like see watch get let just only very really too also again
    now then new why what which who how when where much many time times way bit lot kind sort"""
)

_ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
    "fifth": 4, "5th": 4, "sixth": 5, "6th": 5, "seventh": 6, "7th": 6, "eighth": 7, "8th": 7,
    "ninth": 8, "9th": 8, "tenth": 9, "10th": 9, "last": -1, "final": -1,
}  # fmt: skip
_ITEM_NOUNS = _words("one video clip item result thing post movie film thumbnail pick recommendation")
_DEICTIC = frozenset({"this", "that", "it", "it's", "these", "those"})
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45,
    "fifty": 50, "sixty": 60, "ninety": 90,
}  # fmt: skip
# A bare "s" counts as seconds only after digits ("5s"): "the neon ones" holds no duration.
_DURATION = re.compile(
    r"\b(?:(\d+(?:\.\d+)?)\s*-?\s*(seconds?|secs?|s|minutes?|mins?)"
    r"|(half an? |"
    + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
    + r")\s*-?\s*(seconds?|secs?|minutes?|mins?))\b"
)
_UPPER_BOUND = re.compile(r"(longer than|more than|over|under|less than|shorter than|at most|max(?:imum)?|up to)\s*$")
_SHORTER = ("shorter", "shorten", "trim", "cut it down", "cut down", "too long", "briefer", "condense", "quicker")
_LONGER = ("longer", "lengthen", "extend", "too short", "stretch it")


@dataclass(frozen=True, slots=True)
class SlotResult:
    """What :meth:`SlotFiller.fill` found in one text."""

    slots: Slots
    references: tuple[ItemRef, ...] = ()
    excluded: tuple[tuple[str, str], ...] = ()
    spans: tuple[tuple[int, int, str], ...] = field(default=())  # (start, end, value) over tokens
    cues: frozenset[str] = frozenset()  # scope cues: restrict / standing / revoke (generec.instructor.scope)
    mapped: tuple[Mapped, ...] = ()  # words read as a value by similarity: the reply says so
    unknown: tuple[Unknown, ...] = ()  # content words with no value here: the reply reports them

    def delexicalized(self, tokens: Sequence[str], vocabulary: Vocabulary) -> str:
        """The text with each found value replaced by its attribute's name (intent features)."""
        out, i = [], 0
        by_start = {s: (e, v) for s, e, v in self.spans}
        while i < len(tokens):
            if i in by_start:
                end, value = by_start[i]
                out.append(vocabulary.attribute_of(value))
                i = end
            else:
                out.append(tokens[i])
                i += 1
        return " ".join(out)


class SlotFiller:
    """Finds attribute values, exclusions, item references and durations in text.

    Parameters
    ----------
    vocabulary : Vocabulary
        The corpus vocabulary (any corpus).
    encoder : TextEncoder or None
        Sentence encoder for the open vocabulary; ``None`` maps nothing (exact forms only, the rest reported).
    threshold : float
        How far a leftover word's nearest value must stand out to be read as it
        (:data:`generec.instructor.open_vocab.THRESHOLD`).
    """

    def __init__(
        self, vocabulary: Vocabulary, encoder: TextEncoder | None = None, threshold: float = THRESHOLD
    ) -> None:
        self.vocabulary = vocabulary
        self.encoder = encoder
        self._table = vocabulary.surface_table()
        self._max_len = max(len(k) for k in self._table)
        # Words of asking, pointing and lengths are never content the open vocabulary must map or report.
        lengths = "second seconds sec secs minute minutes min mins half shorter longer length duration"
        known = [*_ORDINALS, *_NUMBER_WORDS, *_ITEM_NOUNS, *_DEICTIC, *lengths.split(), *_SHORTER, *_LONGER]
        self.open_vocab = OpenVocabulary(vocabulary, encoder, threshold, (w for k in known for w in k.split()))

    # -- values -------------------------------------------------------------------------------------------------
    def _exact(self, tokens: list[str]) -> list[tuple[int, int, str]]:
        spans, i = [], 0
        while i < len(tokens):
            for n in range(min(self._max_len, len(tokens) - i), 0, -1):
                value = self._table.get(tuple(tokens[i : i + n]))
                if value is not None:
                    spans.append((i, i + n, value))
                    i += n
                    break
            else:
                i += 1
        return spans

    def _values(self, tokens: list[str]) -> tuple[list[tuple[int, int, str]], list[Mapped], list[Unknown]]:
        """Found values as sorted spans, the phrases read by similarity, and the content left unknown."""
        spans = self._exact(tokens)
        mapped, unknown = self.open_vocab.resolve(tokens, spans)
        # A mapped phrase may take in a value found inside it ("sports car" holds "car").
        inside = {i for m in mapped for i in range(m.start, m.end)}
        spans = [(s, e, v) for s, e, v in spans if s not in inside] + [(m.start, m.end, m.value) for m in mapped]
        return sorted(spans), mapped, unknown

    # -- references and lengths ---------------------------------------------------------------------------------
    @staticmethod
    def _references(tokens: list[str]) -> tuple[ItemRef, ...]:
        refs: list[ItemRef] = []
        for i, tok in enumerate(tokens):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            prev = tokens[i - 1] if i > 0 else ""
            if tok == "second" and (prev.isdigit() or prev in _NUMBER_WORDS):  # "a 10 second video": a length
                continue
            if tok in _ORDINALS and (prev in {"the", "that", "this"} or nxt in _ITEM_NOUNS or nxt == "one"):
                refs.append(ItemRef(RefKind.ORDINAL, _ORDINALS[tok], text=f"{prev} {tok} {nxt}".strip()))
            elif (tok in {"number", "#", "no"} and nxt.isdigit()) or (tok in _ITEM_NOUNS and nxt.isdigit()):
                refs.append(ItemRef(RefKind.ORDINAL, max(int(nxt) - 1, 0), text=f"{tok} {nxt}"))
            elif tok in _DEICTIC and not refs:
                # "a video that has cats": a relative "that" followed by a verb-ish word is no reference.
                if (
                    tok == "that"
                    and nxt
                    and nxt not in _ITEM_NOUNS
                    and nxt not in ".,;!?"
                    and prev
                    not in {
                        "like",
                        "love",
                        "hate",
                        "about",
                        "of",
                        "is",
                        "was",
                    }
                ):
                    continue
                refs.append(ItemRef(RefKind.DEICTIC, 0, text=f"{tok} {nxt}".strip()))
        ordinal = [r for r in refs if r.kind is RefKind.ORDINAL]
        return tuple(ordinal[:1] or refs[:1])

    @staticmethod
    def _duration(text: str) -> tuple[float | None, bool]:
        """(seconds, is an upper bound) of the first duration in ``text``."""
        low = text.lower()
        m = _DURATION.search(low)
        if m is None:
            return None, False
        num, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3).strip(), m.group(4))
        n = 0.5 if num.startswith("half") else float(num) if num[0].isdigit() else float(_NUMBER_WORDS[num])
        bound = _UPPER_BOUND.search(low[: m.start()]) is not None
        return (n * 60.0 if unit.startswith("m") else n), bound

    @staticmethod
    def _length_change(text: str) -> str | None:
        low = text.lower()
        if any(c in low for c in _SHORTER):
            return "shorter"
        if any(c in low for c in _LONGER):
            return "longer"
        return None

    def fill_many(self, texts: Sequence[str]) -> list[SlotResult]:
        """:meth:`fill` for many texts, with one encoder batch for all open-vocabulary phrases."""
        tokenized = [tokenize(t) for t in texts]
        self.open_vocab.warm((tokens, self._exact(tokens)) for tokens in tokenized)
        return [self.fill(t) for t in texts]

    def fill(self, text: str) -> SlotResult:
        """Find everything slot-like in ``text``."""
        tokens = tokenize(text)
        spans, mapped, unknown = self._values(tokens)
        excluded_at = negated(tokens, spans)
        wanted: dict[str, list[str]] = {}
        excluded: list[tuple[str, str]] = []
        for k, (_, _, value) in enumerate(spans):
            pair = (self.vocabulary.attribute_of(value), value)
            if k in excluded_at:
                if pair not in excluded:
                    excluded.append(pair)
            elif value not in wanted.setdefault(pair[0], []):
                wanted[pair[0]].append(value)
        seconds, bound = self._duration(text)
        slots = Slots(
            attributes={a: tuple(vs) for a, vs in wanted.items() if vs},
            duration_s=None if bound else seconds,
            max_duration_s=seconds if bound else None,
            # An explicit length says it all: "cut it down to 5 seconds" is no extra "shorter" wish.
            length_change=None if seconds is not None else self._length_change(text),
        )
        refs = self._references(tokens)
        return SlotResult(slots, refs, tuple(excluded), tuple(spans), cues(tokens), tuple(mapped), tuple(unknown))
