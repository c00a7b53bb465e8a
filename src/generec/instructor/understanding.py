"""Offline understanding: intent + slots from text, with no LLM at all.

:class:`OfflineUnderstanding` composes the :class:`~generec.instructor.slots.SlotFiller`
(corpus vocabulary, synonyms by embedding similarity, negation, references,
durations) and the :class:`~generec.instructor.intents.IntentClassifier`
(logistic regression on sentence embeddings + structural slot signals). It is
fitted on the instructor's own seed examples plus any labelled instructions
the caller has (e.g. the world's training split).

Example
-------
>>> from generec.instructor.vocabulary import Vocabulary, tokenize
>>> nlu = OfflineUnderstanding(Vocabulary.from_sim()).fit()     # doctest: +SKIP
>>> u = nlu.understand("no more cats please")                   # doctest: +SKIP
>>> u.intent.value, u.constraints[0].describe()                 # doctest: +SKIP
('dislike', 'no cat')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from generec.errors import ModelError
from generec.instructor.intents import IntentClassifier
from generec.instructor.open_vocab import THRESHOLD
from generec.instructor.schema import Constraint, Intent, ItemRef, RefKind, Understanding
from generec.instructor.scope import RESTRICT, REVOKE, STANDING, rescope
from generec.instructor.seeds import fill_seeds
from generec.instructor.slots import SlotFiller, SlotResult
from generec.instructor.text_encoder import MiniLMEncoder, TextEncoder
from generec.instructor.vocabulary import Vocabulary, tokenize

# Intents whose words point at a standing rule or at nothing, never at an item ("keep it to snow videos").
_NO_REFERENCE = frozenset({Intent.SET_CONSTRAINT, Intent.CLEAR_CONSTRAINT, Intent.CHITCHAT, Intent.REFUSE})
# Intents about "the current item" even when no word names it ("great video!", "cut out the boring part").
_IMPLIED_REFERENCE = frozenset(
    {Intent.LIKE, Intent.DISLIKE, Intent.ASK_WHY, Intent.EDIT_THUMBNAIL, Intent.EDIT_CLIP, Intent.EDIT_STYLE}
)
_STRUCTURE_WEIGHT = 0.5
_N_STRUCTURE = 10


def structure_features(result: SlotResult) -> np.ndarray:
    """Signals the slot filler found, as features next to the sentence embedding."""
    s, refs = result.slots, result.references
    return _STRUCTURE_WEIGHT * np.array(
        [
            bool(refs),
            any(r.kind is RefKind.ORDINAL for r in refs),
            s.duration_s is not None,
            s.max_duration_s is not None,
            s.length_change is not None,
            bool(result.excluded),
            bool(s.attributes),
            min(len(s.pairs()), 3) / 3.0,
            STANDING in result.cues,
            REVOKE in result.cues,
        ],
        dtype=np.float64,
    )


class OfflineUnderstanding:
    """Intent classification + slot filling over a corpus vocabulary.

    Parameters
    ----------
    vocabulary : Vocabulary
        The corpus vocabulary (values, synonyms, plurals).
    encoder : TextEncoder, optional
        Sentence encoder; default the process-wide packaged MiniLM.
    threshold : float
        Open-vocabulary threshold of the slot filler (:data:`generec.instructor.open_vocab.THRESHOLD`).
    l2 : float
        Penalty of the intent classifier.
    seed : int
        Seeds the filling of the seed examples' placeholders.
    seed_copies : int
        Filled copies of each seed example with placeholders.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        encoder: TextEncoder | None = None,
        *,
        threshold: float = THRESHOLD,
        l2: float = 1e-4,
        seed: int = 0,
        seed_copies: int = 2,
    ) -> None:
        self.vocabulary = vocabulary
        self.encoder = encoder if encoder is not None else MiniLMEncoder.shared()
        self.slot_filler = SlotFiller(vocabulary, self.encoder, threshold=threshold)
        self.l2 = l2
        self.seed = seed
        self.seed_copies = seed_copies

    def features(self, texts: Sequence[str], results: Sequence[SlotResult] | None = None) -> np.ndarray:
        """Sentence embedding, embedding of the delexicalised sentence, structural signals: ``(n, 2 * dim + 10)``.

        The delexicalised copy ("make the category colour") lets the intent generalise across content
        words, the original keeps what the values themselves say.
        """
        results = results if results is not None else self.slot_filler.fill_many(texts)
        delex = [r.delexicalized(tokenize(t), self.vocabulary) for r, t in zip(results, texts, strict=True)]
        emb = self.encoder.encode_texts([t.lower() for t in texts] + delex).astype(np.float64)
        n = len(texts)
        structure = np.stack([structure_features(r) for r in results]) if n else np.zeros((0, _N_STRUCTURE))
        return np.hstack([emb[:n], emb[n:], structure])

    def fit(self, examples: Iterable[tuple[str, str | Intent]] = ()) -> OfflineUnderstanding:
        """Learn intents from the seeds plus ``examples`` (``(text, intent)`` pairs); returns self."""
        rng = np.random.default_rng(self.seed)
        rows = [(t, Intent(i)) for t, i in fill_seeds(self.vocabulary, rng, self.seed_copies)]
        for text, intent in examples:
            try:
                rows.append((text, Intent(intent)))
            except ValueError:
                raise ModelError(f"unknown intent {intent!r} in training examples; use one of {list(Intent)}") from None
        texts = [t for t, _ in rows]
        # The words of asking are no content to report; the built-in world's values (its instructions teach
        # the intents) are content, whether or not this install's catalogue holds them.
        builtin = Vocabulary.from_sim()
        self.slot_filler.open_vocab.learn_words(
            texts, content=(f for v in builtin.values for f in builtin.surfaces_of(v))
        )
        results = self.slot_filler.fill_many(texts)
        X = self.features(texts, results)
        self.classifier_ = IntentClassifier(l2=self.l2).fit(X, [i.value for _, i in rows])
        self.n_examples_ = len(rows)
        return self

    def understand(self, text: str) -> Understanding:
        """Understand one turn."""
        return self.understand_many([text])[0]

    def understand_many(self, texts: Sequence[str]) -> list[Understanding]:
        """Understand many turns at once (one encoder batch)."""
        if not hasattr(self, "classifier_"):
            raise ModelError("the understanding is not fitted: call fit() first")
        results = self.slot_filler.fill_many(texts)
        proba = self.classifier_.predict_proba(self.features(texts, results)) if texts else np.zeros((0, 0))
        out = []
        for p, result in zip(proba, results, strict=True):
            best = int(p.argmax())
            out.append(self.compose(Intent(self.classifier_.classes_[best]), float(p[best]), result))
        return out

    @staticmethod
    def compose(intent: Intent, confidence: float, result: SlotResult) -> Understanding:
        """Turn an intent and what the slot filler found into an :class:`Understanding`.

        Negation is put where it belongs first (:func:`generec.instructor.scope.rescope`).
        """
        intent = rescope(intent, bool(result.excluded), bool(result.slots.attributes), result.references, result.cues)
        refs: tuple[ItemRef, ...] = result.references
        if intent in _NO_REFERENCE:
            refs = ()
        elif not refs and intent in _IMPLIED_REFERENCE and not result.slots.attributes and not result.excluded:
            refs = (ItemRef(RefKind.DEICTIC, 0, text="(implied)"),)
        constraints = [Constraint(a, v, exclude=True) for a, v in result.excluded]
        # "only dogs" is a requirement; in "not cats but dogs" the dogs are this turn's wish, the cats the rule.
        if intent is Intent.SET_CONSTRAINT and (RESTRICT in result.cues or not result.excluded):
            constraints += [Constraint(a, v, exclude=False) for a, v in sorted(result.slots.pairs())]
        mapped = tuple((m.phrase, m.value) for m in result.mapped)
        unknown = tuple((w.phrase, w.nearest) for w in result.unknown)
        return Understanding(intent, confidence, result.slots, refs, tuple(constraints), mapped=mapped, unknown=unknown)
