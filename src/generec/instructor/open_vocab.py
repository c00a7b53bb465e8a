"""Open vocabulary: every content word is mapped to a value this install has, or reported back.

The slot filler finds the values a user names, and their listed or close synonyms.
What is left may still be content ("parrots", "outer space", "claymation"). Each
such word (or run of words, or a modifier glued to a found value, "sports car") is
embedded in the sentence encoder's space inside the same short template as every
surface form of the vocabulary ("a video of ..."). Its nearest value counts only when
it stands out from all the others: the score is the cosine similarity to that value
in standard deviations above the mean over every value (a z-score; short verbs like
"playing" are close to everything, a real synonym close to one thing). Above the
threshold the phrase is *mapped*, below it is *reported*, with the nearest value as a
suggestion. The reply says both ("I read 'parrots' as bird";
"I can't make 'planes' yet"), so no word is dropped silently.

The threshold is calibrated on a held-out word list (:func:`calibrate`; the list lives
with the tests, written apart from any evaluation set), weighing a wrong mapping twice
as bad as a word reported back. Words the instructor knows as instruction words (the
seed examples and training instructions, outside their values) are never content.

Example
-------
>>> from generec.instructor.vocabulary import Vocabulary
>>> ov = OpenVocabulary(Vocabulary({"category": ["cat", "dog"]}), encoder=None)
>>> ov.content_runs("show me a zebra please".split(), taken=set())
[(3, 4)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from generec.instructor.scope import NEGATION_CUES
from generec.instructor.text_encoder import TextEncoder
from generec.instructor.vocabulary import Vocabulary, tokenize

TEMPLATE = "a video of {}"
SUBJECT = "category"  # the attribute a modifier may refine ("sports car"); other attributes are not nouns
THRESHOLD = 4.0
"""Score (z) a content word needs to be mapped; :func:`calibrate` on ``tests/instructor/oov_words.py`` chose it."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that carry no content of their own: function words and the words of asking and pointing.
FUNCTION_WORDS = _words(
    """a an the and or but if so to of in on at by for from with without into onto over under about as is are was were
    be been being it its it's this that these those there here i i'm i'd i've me my mine you you're your we our they
    them their he she his her do does did done can can't could would should will shall may might must please pls
    thanks thank hi hello hey yes yeah ok okay not no nor more less most some any all each every one ones video
    videos clip clips thing things item items something anything everything nothing stuff show make give want need
    like see watch get let just only very really too also again now then new why what which who how when where much
    many time times way bit lot kind sort maybe perhaps well sure still even ever than while through between across
    around near up down out off into upon via per etc am been got gets getting have has had having look looks
    looking feel feels feeling style styled version same other another different instead set setting scene scenes"""
)
# The verbs of asking and the words that rate or time a request are no content either ("draw me a dog",
# "what's popular right now", "how come I keep seeing cats").
REQUEST_WORDS = _words(
    """draw render generate create produce design animate play find search recommend suggest put turn change
    right now today tonight lately recently usual usually popular trending random surprise come seeing fun good
    great best better favourite favorite nice cool boring interesting"""
)


@dataclass(frozen=True, slots=True)
class Mapped:
    """A content phrase the user said, read as ``value`` (``start``/``end`` over tokens)."""

    phrase: str
    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Unknown:
    """A content phrase this install has no value for, and the nearest value to offer instead."""

    phrase: str
    nearest: str | None


class OpenVocabulary:
    """Maps content words outside the vocabulary onto it, or reports them.

    Parameters
    ----------
    vocabulary : Vocabulary
        What this install can make or retrieve (the catalogue's attribute values).
    encoder : TextEncoder or None
        Sentence encoder; ``None`` reports every content word (nothing is mapped).
    threshold : float
        How far (in standard deviations over all values) the nearest value must stand out to be mapped.
    known_words : iterable of str
        Instruction words that are never content (the seed and training texts' words).
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        encoder: TextEncoder | None,
        threshold: float = THRESHOLD,
        known_words: Iterable[str] = (),
    ) -> None:
        self.vocabulary = vocabulary
        self.encoder = encoder
        self.threshold = threshold
        self.known_words = set(FUNCTION_WORDS | REQUEST_WORDS) | set(known_words)
        table = vocabulary.surface_table()
        self._surfaces = [" ".join(k) for k in table]
        self._values = list(dict.fromkeys(table.values()))
        index = {v: i for i, v in enumerate(self._values)}
        self._value_of_surface = np.array([index[v] for v in table.values()])
        self._surface_emb: np.ndarray | None = None
        self._cache: dict[str, tuple[str, float]] = {}
        self._max_cached = 50_000

    def clear_cache(self) -> None:
        """Forget the phrases embedded so far (a benchmark times turns it has not seen)."""
        self._cache.clear()

    def learn_words(self, texts: Iterable[str], min_count: int = 3, content: Iterable[str] = ()) -> None:
        """Remember the words of instruction texts as non-content, except the vocabulary's and ``content``.

        Only words seen in at least ``min_count`` texts: "show", "trim", "from now on" are the words of
        asking; a word said once ("are you a robot") may well be content in another request. ``content``
        names words of the texts' own world ("dog" in the built-in world's instructions), content even
        where this install cannot make them.
        """
        surface_words = {w for s in self._surfaces for w in s.split()} | {w for c in content for w in c.split()}
        counts = Counter(w for text in texts for w in set(tokenize(text)) if w not in surface_words)
        self.known_words.update(w for w, n in counts.items() if n >= min_count)

    def _is_content(self, tok: str) -> bool:
        return (
            any(c.isalpha() for c in tok)
            and len(tok) > 1
            and tok not in self.known_words
            and tok not in NEGATION_CUES
            and not tok.isdigit()
        )

    def content_runs(self, tokens: Sequence[str], taken: set[int]) -> list[tuple[int, int]]:
        """Maximal runs of content tokens no value took ("outer space", "retro video game")."""
        runs, i = [], 0
        while i < len(tokens):
            if i in taken or not self._is_content(tokens[i]):
                i += 1
                continue
            j = i + 1
            while j < len(tokens) and j not in taken:
                if self._is_content(tokens[j]):
                    j += 1
                elif tokens[j] in {"video", "videos"} and j + 1 < len(tokens) and self._is_content(tokens[j + 1]):
                    j += 2  # "retro video game": a noun phrase, not two words
                else:
                    break
            runs.append((i, j))
            i = j
        return runs

    def nearest(self, phrases: Sequence[str]) -> list[tuple[str, float]]:
        """(nearest value, its z-score over all values) for each phrase, in the shared template."""
        if self.encoder is None or len(self._values) < 2:  # nothing to compare with: every phrase is reported
            self._cache.update((p, ("", 0.0)) for p in phrases)
            return [("", 0.0) for _ in phrases]
        if self._surface_emb is None:
            self._surface_emb = self.encoder.encode_texts([TEMPLATE.format(s) for s in self._surfaces])
        todo = sorted({p for p in phrases if p not in self._cache})
        if len(self._cache) + len(todo) > self._max_cached:  # bounded in a long-running service
            self._cache.clear()
            todo = sorted(set(phrases))
        if todo:
            sims = self.encoder.encode_texts([TEMPLATE.format(p) for p in todo]) @ self._surface_emb.T
            per_value = np.full((len(todo), len(self._values)), -np.inf)
            np.maximum.at(per_value.T, self._value_of_surface, sims.T)  # best surface form of each value
            z = (per_value.max(1) - per_value.mean(1)) / np.maximum(per_value.std(1), 1e-6)
            for p, k, score in zip(todo, per_value.argmax(1), z, strict=True):
                self._cache[p] = (self._values[int(k)], float(score))
        return [self._cache[p] for p in phrases]

    def _runs(
        self, tokens: Sequence[str], spans: Sequence[tuple[int, int, str]]
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int, str]], list[str]]:
        """Content runs, runs glued before a found value ("sports car"), and every phrase to embed."""
        taken = {i for s, e, _ in spans for i in range(s, e)}
        span_at = {s: (e, v) for s, e, v in spans}
        runs = self.content_runs(tokens, taken)
        glued = [(s, span_at[e][0], span_at[e][1]) for s, e in runs if e in span_at]
        phrases = [" ".join(tokens[s:e]) for s, e in runs] + [" ".join(tokens[s:e]) for s, e, _ in glued]
        return runs, glued, phrases + [t for s, e in runs for t in tokens[s:e]]

    def warm(self, texts: Iterable[tuple[Sequence[str], Sequence[tuple[int, int, str]]]]) -> None:
        """Embed, in one batch, every phrase :meth:`resolve` will need for these ``(tokens, spans)``."""
        self.nearest([p for tokens, spans in texts for p in self._runs(tokens, spans)[2]])

    def resolve(
        self, tokens: Sequence[str], spans: Sequence[tuple[int, int, str]]
    ) -> tuple[list[Mapped], list[Unknown]]:
        """Map or report every content run of ``tokens`` that ``spans`` (found values) left over."""
        runs, glued, phrases = self._runs(tokens, spans)
        self.nearest(phrases)
        words = [" ".join(tokens[s:e]) for s, e in runs]
        mapped, unknown = [], []
        for (s, e), phrase in zip(runs, words, strict=True):
            value, score = self._cache[phrase]
            own_attribute = value and score >= self.threshold and self.vocabulary.attribute_of(value) != SUBJECT
            # A modifier of a found subject may just name it more precisely ("sports car" is a car), unless
            # it is a value of another attribute on its own ("violet flowers": a colour).
            glue = next((g for g in glued if g[0] == s), None)
            if glue is not None and self.vocabulary.attribute_of(glue[2]) == SUBJECT and not own_attribute:
                glued_value, glued_score = self._cache[" ".join(tokens[glue[0] : glue[1]])]
                if glued_value == glue[2] and glued_score >= self.threshold:
                    mapped.append(Mapped(" ".join(tokens[glue[0] : glue[1]]), glued_value, s, glue[1]))
                    continue
            if score >= self.threshold:
                mapped.append(Mapped(phrase, value, s, e))
                continue
            # The run as a whole is unknown; its words may still map one by one ("woman walking").
            parts = [(k, *self._cache[tokens[k]]) for k in range(s, e) if tokens[k] not in {"video", "videos"}]
            hits = [score_k >= self.threshold for _, _, score_k in parts]
            if e - s == 1 or not any(hits):
                unknown.append(Unknown(phrase, value or None))
                continue
            if hits[-1] and not any(hits[:-1]):  # "charcoal drawing": the head word maps, the rest refines it
                mapped.append(Mapped(phrase, parts[-1][1], s, e))
                continue
            for k, value_k, score_k in parts:
                if score_k >= self.threshold:
                    mapped.append(Mapped(tokens[k], value_k, k, k + 1))
                else:
                    unknown.append(Unknown(tokens[k], value_k or None))
        return mapped, unknown


def calibrate(
    encoder: TextEncoder,
    vocabulary: Vocabulary,
    mapped: Mapping[str, str],
    unknown: Sequence[str],
    wrong_cost: float = 2.0,
    grid: Sequence[float] = tuple(np.round(np.arange(2.0, 6.0, 0.05), 2)),
) -> tuple[float, dict[str, float]]:
    """The threshold maximising right mappings minus ``wrong_cost`` x wrong ones on a held-out word list.

    ``mapped`` holds words with the value they should map to, ``unknown`` words with none (they must be
    reported). Returns the threshold and its counts (``right``, ``wrong``, ``reported``).
    """
    ov = OpenVocabulary(vocabulary, encoder)
    words = list(mapped) + list(unknown)
    found = ov.nearest(words)
    best: tuple[float, float, dict[str, float]] | None = None
    for tau in grid:
        right = sum(1 for w, (v, s) in zip(words, found, strict=True) if s >= tau and mapped.get(w) == v)
        wrong = sum(1 for w, (v, s) in zip(words, found, strict=True) if s >= tau and mapped.get(w) != v)
        score = right - wrong_cost * wrong
        if best is None or score > best[0]:
            best = (score, float(tau), {"right": right, "wrong": wrong, "reported": len(words) - right - wrong})
    assert best is not None
    return best[1], best[2]
