"""A small learned text classifier for the fidelity checks: a normaliser, then logistic regression on sentences.

Word lists cannot tell "killed it on stage" from "I will kill you", and miss "id10t" or
"stfu". Here a text is first *normalised* (digits and symbols standing for letters, masked
letters, stretched letters, spaced-out letters and chat abbreviations are read back to words),
then embedded with the packaged all-MiniLM-L6-v2 sentence encoder, and a logistic regression
head (scikit-learn) trained on hand-written examples (:mod:`generec.fidelity.text_corpus`)
gives the probability of the class. The head is tiny and is fitted on first use (seconds).

Example
-------
>>> from generec.fidelity.text_model import normalise
>>> normalise("stfu you 1d10t, f*ck off")
'shut the fuck up you idiot, fuck off'
>>> normalise("stuuuupid  c u n t")
'stupid cunt'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np

from generec.errors import ConfigError

ABBREVIATIONS = {
    "kys": "kill yourself", "kms": "kill myself", "stfu": "shut the fuck up", "gtfo": "get the fuck out",
    "foad": "fuck off and die", "stfd": "sit the fuck down", "wtf": "what the fuck", "fu": "fuck you",
    "fk": "fuck", "fkn": "fucking", "fking": "fucking", "af": "as fuck", "pos": "piece of shit",
    "sob": "son of a bitch", "mf": "motherfucker", "mofo": "motherfucker", "biatch": "bitch", "azz": "ass",
    "urself": "yourself", "ahole": "asshole", "ur": "your", "u": "you", "r": "are", "ya": "you",
}  # fmt: skip
"""Chat abbreviations read back as words (applied to whole tokens only)."""

MASKED_WORDS = (
    "fuck", "fucking", "fucker", "fucked", "motherfucker", "shit", "shitty", "bitch", "bitches", "cunt", "dick",
    "dickhead", "asshole", "arse", "arsehole", "bastard", "idiot", "moron", "retard", "retarded", "whore", "slut",
    "douchebag", "twat", "prick", "loser", "stupid", "dumb", "dumbass", "kill", "die", "faggot", "nigger", "crap",
)  # fmt: skip
"""Words a masked spelling ("f*ck", "sh!t", "a$$hole") is matched against, shortest fit first."""

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s",
                       "!": "i", "|": "l", "€": "e", "+": "t"})  # fmt: skip
_TOKEN = re.compile(r"[\w*#@$!|€+.\-]+")


def _read_part(part: str) -> str:
    """One piece of a token with digits/symbols standing for letters read back ("1d10t" -> "idiot")."""
    if part.isalpha() or not re.search(r"[a-z]", part):
        return part  # a plain word, or a number / code such as "2019", "10:45"
    if re.fullmatch(r"\d+(?:st|nd|rd|th|s|k|m|km|kg|px|fps|p|am|pm|x)", part):
        return part  # "4k", "100m", "1990s", "3rd"
    leet = part.translate(_LEET)
    if "*" in leet or "#" in leet:
        pattern = re.compile(re.sub(r"[*#]+", lambda m: f"[a-z]{{{len(m.group(0))},{len(m.group(0)) + 2}}}", leet))
        fits = [w for w in MASKED_WORDS if pattern.fullmatch(w)]
        return min(fits, key=len) if fits else part
    return leet if leet.isalpha() else part


def _unmask(token: str) -> str:
    """A token with letter stand-ins or masks read back to a word (unchanged if it has none)."""
    core = token.strip(".-!,?")
    if not core:
        return token
    start = token.index(core)
    lead, trail = token[:start], token[start + len(core) :]
    pieces = re.split(r"([.\-_])", core)
    words = [_read_part(p) for p in pieces[::2]]
    joined = "".join(words)
    spelled_out = all(len(w) == 1 and w.isalpha() for w in words)
    if len(words) > 1 and (spelled_out or joined in MASKED_WORDS or joined in ABBREVIATIONS):
        return lead + joined + trail  # "p.o.s", "f-u-c-k", "a-hole" style
    pieces[::2] = words
    return lead + "".join(pieces) + trail


def normalise(text: str) -> str:
    """Lower-case ``text`` and undo the usual ways of disguising words (see the module docstring)."""
    low = text.lower()
    # s p a c e d letters: three or more single letters in a row become one word
    low = re.sub(r"\b(?:[a-z] ){2,}[a-z]\b", lambda m: m.group(0).replace(" ", ""), low)
    low = _TOKEN.sub(lambda m: _unmask(m.group(0)), low)
    low = re.sub(r"([a-z])\1{2,}", r"\1", low)  # stretched letters: "stuuupid" -> "stupid"
    low = re.sub(r"\b[a-z']+\b", lambda m: ABBREVIATIONS.get(m.group(0), m.group(0)), low)
    return re.sub(r"\s+", " ", low).strip()


@functools.cache
def shared_encoder():
    """One packaged MiniLM tower for all text checks, so a caption checked twice is embedded once."""
    from generec.encoders.text import MiniLMText

    return MiniLMText()


class SentenceClassifier:
    """Logistic regression on sentence embeddings of normalised text (binary: 1 = the class is present).

    Parameters
    ----------
    C : inverse regularisation strength of the logistic regression.
    encoder : anything with ``embed(texts) -> (n, d)`` unit rows; default the packaged MiniLM
        (:class:`generec.encoders.text.MiniLMText`).

    Example
    -------
    >>> clf = SentenceClassifier().fit(["you idiot", "nice video"], [1, 0])  # doctest: +SKIP
    >>> clf.predict_proba(["what an 1d10t"])[0] > 0.5  # doctest: +SKIP
    True
    """

    def __init__(self, C: float = 4.0, encoder=None) -> None:
        self.C = C
        self.encoder = encoder

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        if self.encoder is None:
            self.encoder = shared_encoder()
        return np.asarray(self.encoder.embed([normalise(t) for t in texts]), np.float64)

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> SentenceClassifier:
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(labels, int)
        if len(texts) != len(y) or set(y.tolist()) != {0, 1}:
            raise ConfigError("a sentence classifier needs as many labels as texts, with both classes 0 and 1")
        self.head_ = LogisticRegression(C=self.C, max_iter=3000).fit(self._embed(texts), y)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(class) for each text."""
        if not texts:
            return np.empty(0)
        return self.head_.predict_proba(self._embed(texts))[:, 1]
