"""The text checks by class of case: disguised spellings, claims' wording, PII formats and look-alike codes."""

from __future__ import annotations

import pytest

from generec.errors import ConfigError
from generec.fidelity.authenticity import AuthenticityCheck, FactsStore, check_claims, same_value
from generec.fidelity.base import Subject
from generec.fidelity.claims import extract_claims
from generec.fidelity.privacy import find_pii, is_code
from generec.fidelity.safety import SafetyCheck
from generec.fidelity.text_model import SentenceClassifier, normalise
from generec.types import Item, Origin


def ai(**kw) -> Item:
    return Item(id=kw.pop("id", "g1"), origin=Origin.AI, **kw)


# ------------------------------------------------------------ normaliser
@pytest.mark.parametrize(
    ("disguised", "plain"),
    [("you 1d10t", "you idiot"), ("f*ck off", "fuck off"), ("sh!t", "shit"), ("an a$$hole", "an asshole"),
     ("stuuuupid", "stupid"), ("a b c d", "abcd"), ("kys", "kill yourself"), ("STFU", "shut the fuck up"),
     ("a-hole", "asshole")],
)  # fmt: skip
def test_normaliser_reads_disguised_words_back(disguised, plain):
    assert normalise(disguised) == plain


def test_normaliser_leaves_numbers_codes_and_hyphenated_words_alone():
    text = "Top 10 goals of 2019 in 4K, 3-1 at 10:45, a chapter-by-chapter read of the 1990s"
    assert normalise(text) == text.lower()


def test_sentence_classifier_needs_both_classes():
    with pytest.raises(ConfigError, match="both classes"):
        SentenceClassifier().fit(["a", "b"], [1, 1])


def test_toxic_text_by_meaning_not_by_word():
    check = SafetyCheck()
    for text in ("I will find out where your kids go to school", "nobody would notice if you were gone, go on"):
        v = check.check(Subject(ai(caption=text)))
        assert not v.passed and "toxic text above" in v.evidence, text
    for text in ("the band killed it, an insane encore", "Of Mice and Men: the audiobook"):
        assert check.check(Subject(ai(caption=text))).passed, text


def test_the_platforms_own_requests_are_not_flagged():
    """Short imperatives ("redo this for me") are what users type; the checks read them with the item's texts.
    Held-out instructions of GeneRec-Sim (never in the checks' training texts) pass safety and wording."""
    from generec.data.sim.instructions import generate_instructions
    from generec.fidelity.bias import STEREOTYPE_THRESHOLD, stereotype_scores
    from generec.fidelity.safety import AUDIENCES, toxicity_scores

    held = [r["text"] for r in generate_instructions(400, 11) if r["split"] == "heldout"]
    assert len(held) > 50
    assert max(toxicity_scores(held)) <= AUDIENCES["general"]["toxic"]
    assert max(stereotype_scores(held)) <= STEREOTYPE_THRESHOLD


# ---------------------------------------------------------------- claims
@pytest.fixture
def facts() -> FactsStore:
    f = FactsStore(":memory:")
    for entity, attribute, value in [
        ("Sintel", "year", "2010"),
        ("Sintel", "runtime_min", "15"),
        ("Sintel", "filmed_in", "Amsterdam"),
        ("Big Buck Bunny", "year", "2008"),
    ]:
        f.add(entity, attribute, value, source="Blender")  # fmt: skip
    return f


@pytest.mark.parametrize(
    ("text", "statuses"),
    [("Sintel is a 150-minute epic", ["contradicted"]),  # 150 is not 15
     ("Sintel, a 15-minute short", ["supported"]),
     ("SINTEL WAS RELEASED IN 2012", ["contradicted"]),
     ("In 2012, Sintel premiered", ["contradicted"]),
     ("Released in 2010, Sintel is a fantasy", ["supported"]),
     ("the 2009 short Sintel", ["contradicted"]),
     ("Sintel (2010)", ["supported"]),
     ("Sintel was not filmed in Amsterdam but in Berlin", ["contradicted", "contradicted"]),
     ("Sintel was not filmed in Berlin but in Amsterdam", ["supported", "supported"]),
     ("Sintel, like Big Buck Bunny, was released in 2008", ["contradicted"]),
     ("Big Buck Bunny, unlike Sintel, was released in 2008", ["supported"])],
)  # fmt: skip
def test_claims_by_wording(facts, text, statuses):
    assert [r.status for r in check_claims(text, facts, "nothing")] == statuses


def test_claims_are_negated_and_values_compare_whole():
    (claim,) = extract_claims("it was never released in 1999")
    assert claim.negated and claim.value == "1999"
    assert same_value("15", "15") and not same_value("150", "15") and not same_value("8", "80")
    assert same_value("Amsterdam", "amsterdam") and not same_value("Amster", "Amsterdam")


def test_negated_claim_evidence_says_not(facts):
    v = AuthenticityCheck(facts).check(Subject(ai(caption="Sintel wasn't released in 2010")))
    assert not v.passed and "contradicted: not 'released in 2010'" in v.evidence


# ------------------------------------------------------------------- PII
@pytest.mark.parametrize(
    ("text", "entity"),
    [("Handy +49 170 1234567", "PHONE_NUMBER"), ("ring 0412 987 654 after lunch", "PHONE_NUMBER"),
     ("Lieferung an Goethestraße 17, 60313 Frankfurt", "STREET_ADDRESS"), ("Am Rosenweg 3a", "STREET_ADDRESS"),
     ("her NI number is JK 44 55 66 B", "UK_NINO"), ("passport: P4366918", "PASSPORT"),
     ("Ana Ruiz, DOB 1985-11-30", "DATE_OF_BIRTH"), ("born on March 2, 1990 in Porto", "DATE_OF_BIRTH")],
)  # fmt: skip
def test_pii_formats_beyond_the_us(text, entity):
    assert entity in {e for e, _, _ in find_pii(text)}, find_pii(text)


@pytest.mark.parametrize(
    "text",
    ["ISBN 978-3-16-148410-0", "the book 0-306-40615-2 in paperback", "SKU 5012345678900", "EAN 4 006381 333931",
     "firmware 10.4.2.1", "order no. 2023-884512", "born in Vienna in 1756", "a passport photo booth",
     "the Hauptstraße at night"],
)  # fmt: skip
def test_codes_and_dates_that_are_not_personal_are_not_pii(text):
    assert find_pii(text) == []


def test_is_code_looks_at_the_words_before_a_number():
    text = "part 0151 2345678, or call 0151 2345678"
    first, second = text.index("0151"), text.rindex("0151")
    assert is_code(text, first, first + 12) and not is_code(text, second, second + 12)


def test_the_platforms_own_captions_pass_the_learned_text_checks():
    import numpy as np

    from generec.data.sim.samples import sample_shot
    from generec.fidelity.bias import stereotype_scores
    from generec.fidelity.safety import AUDIENCES, toxicity_scores

    rng = np.random.default_rng(2024)  # not the seed the models were trained with
    captions = sorted({sample_shot(rng)["caption"] for _ in range(300)})
    assert len(captions) > 200
    assert int((toxicity_scores(captions) > AUDIENCES["general"]["toxic"]).sum()) == 0
    assert int((stereotype_scores(captions) > 0.5).sum()) == 0
