"""Open vocabulary: every content word is mapped (and the reply says to what) or reported back."""

from __future__ import annotations

import pytest
from oov_words import MAPPED, REQUEST_WORDS, UNKNOWN

from generec.instructor import DialogueManager, Instructor
from generec.instructor.judging import mentions
from generec.instructor.open_vocab import THRESHOLD, OpenVocabulary, calibrate
from generec.instructor.understanding import OfflineUnderstanding
from generec.instructor.vocabulary import Vocabulary, tokenize


def test_the_threshold_is_the_calibrated_one(nlu: OfflineUnderstanding) -> None:
    tau, counts = calibrate(nlu.encoder, nlu.vocabulary, MAPPED, UNKNOWN + REQUEST_WORDS)
    assert tau == pytest.approx(THRESHOLD)
    # A wrong reading is rare; what does not stand out is reported.
    assert counts["wrong"] <= 0.05 * (len(MAPPED) + len(UNKNOWN) + len(REQUEST_WORDS))


@pytest.fixture
def ins(nlu: OfflineUnderstanding) -> Instructor:
    return Instructor(nlu)


def test_no_held_out_word_is_dropped_silently(ins: Instructor) -> None:
    words = list(MAPPED) + list(UNKNOWN)
    dropped = []
    for word in words:
        d = ins.respond(DialogueManager(), "u1", f"show me a {word} please")
        if not mentions(d.reply, word):
            dropped.append((word, d.reply))
    assert len(words) >= 30 and dropped == [], "\n".join(f"{w}: {r}" for w, r in dropped)


def test_a_mapped_word_says_what_it_became(ins: Instructor) -> None:
    d = ins.respond(DialogueManager(), "u1", "show me an owl in the snow")
    assert d.understanding.slots.values("category") == ("bird",) and "'owl' as bird" in d.reply


def test_an_unknown_word_is_reported_with_an_offer(ins: Instructor) -> None:
    d = ins.respond(DialogueManager(), "u1", "make a zebra on the beach")
    assert d.understanding.pairs() == {("scene", "beach")}
    assert "can't make or find 'zebra' yet" in d.reply and "instead?" in d.reply


def test_only_plain_words_are_echoed(ins: Instructor) -> None:
    d = ins.respond(DialogueManager(), "u1", 'show me a <b onclick="x()">zebra</b>')
    assert "<" not in d.reply and '"' not in d.reply and "zebra" in d.reply


def test_instruction_words_are_not_content() -> None:
    ov = OpenVocabulary(Vocabulary({"category": ["cat", "dog"]}), encoder=None)
    ov.learn_words(["please recommend a cat"], min_count=1)
    assert ov.content_runs(["please", "recommend", "a", "zebra"], taken=set()) == [(3, 4)]
    _, unknown = ov.resolve(["please", "recommend", "a", "zebra"], [])
    assert [u.phrase for u in unknown] == ["zebra"]  # without an encoder nothing maps, everything is said


def test_the_vocabulary_comes_from_the_catalogue() -> None:
    items = [{"category": "cat", "genres": ["jazz"], "title": "not a value"}, {"category": "zeppelin"}, {}]
    v = Vocabulary.from_catalogue(items)
    assert v.attributes == {"category": ("cat", "zeppelin"), "genres": ("jazz",)}
    assert "kitten" in v.surfaces_of("cat")  # a value the built-in world knows keeps its ways to say it
    assert v.surfaces_of("zeppelin") == {"zeppelin", "zeppelins"}
    assert Vocabulary.from_catalogue([{"title": "x"}]).attributes == Vocabulary.from_sim().attributes


def test_the_phrase_cache_stays_bounded(nlu: OfflineUnderstanding) -> None:
    ov = OpenVocabulary(nlu.vocabulary, nlu.encoder)
    ov._max_cached = 2  # a long-running service: the cache is emptied rather than grown past its bound
    ov.resolve(["giraffe"], [])
    mapped, unknown = ov.resolve(tokenize("an owl and a zebra and a tractor"), [])  # 3 new phrases: over the bound
    assert set(ov._cache) == {"owl", "zebra", "tractor"}  # only this turn's phrases are kept
    assert [m.phrase for m in mapped] + [u.phrase for u in unknown] == ["owl", "zebra", "tractor"]
