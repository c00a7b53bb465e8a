"""Each fidelity check on real inputs: a case it must pass, a case it must catch, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from generec.errors import ConfigError
from generec.fidelity.authenticity import AuthenticityCheck, FactsStore, extract_claims
from generec.fidelity.base import FidelityError, Subject, available_checks, build_check
from generec.fidelity.bias import ExposureCheck, WordingCheck, exposure_shares
from generec.fidelity.evalset import near_copy, photo_frames, photos
from generec.fidelity.legal import ConsentCheck, CopyrightCheck, NearDuplicateIndex, expected_authorship
from generec.fidelity.privacy import FaceCheck, LeakageCheck, PIICheck
from generec.fidelity.quality import QualityCheck, RelevanceCheck
from generec.fidelity.safety import SafetyCheck
from generec.types import Authorship, Item, Origin, Provenance, Visibility


def ai(**kw) -> Item:
    return Item(origin=Origin.AI, **{"id": "g1", **kw})


def test_registry_builds_every_check_by_name():
    for name in available_checks():
        check = build_check(name)
        assert check.name == name
    with pytest.raises(ConfigError, match="unknown fidelity check"):
        build_check("nope")
    with pytest.raises(ConfigError, match="bad options"):
        build_check("quality", colour="red")


# ------------------------------------------------------------------ safety
def test_toxic_text_is_caught_and_clean_text_passes():
    check = SafetyCheck()
    bad = check.check(Subject(ai(title="you are a fucking idiot")))
    assert not bad.passed and "title" in bad.evidence
    good = check.check(Subject(ai(title="a calm walk by the lake", caption="sunset colours")))
    assert good.passed and good.score > 0.5


def test_teen_audience_is_stricter_and_instructions_are_checked():
    borderline = Subject(ai(title="damn, that was a crappy ride"))
    general, teen = SafetyCheck().check(borderline), SafetyCheck(audience="teen").check(borderline)
    assert teen.score == general.score  # same model score...
    assert SafetyCheck(audience="teen").toxic_threshold < SafetyCheck().toxic_threshold  # ...stricter limit
    s = Subject(ai(title="fine"), extra_texts={"instruction": "make it about that stupid bitch"})
    assert not SafetyCheck().check(s).passed
    with pytest.raises(ConfigError, match="audience"):
        SafetyCheck(audience="toddlers")


def test_safe_photos_pass_the_nsfw_classifier():
    frames = photo_frames(4, 128, seed=2)
    v = SafetyCheck(audience="teen").check(Subject(ai(), frames=frames))
    assert v.passed and "NSFW max" in v.evidence


# ----------------------------------------------------------------- privacy
@pytest.mark.parametrize(
    "text",
    [
        "mail me: jane.doe@example.com",
        "card 4111 1111 1111 1111",
        "call (212) 555-0143 now",
        "IBAN GB82 WEST 1234 5698 7654 32",
        "I live at 42 Baker Street",
    ],  # fmt: skip
)
def test_pii_is_caught_and_masked_in_the_evidence(text):
    v = PIICheck().check(Subject(ai(caption=text)))
    assert not v.passed
    assert "jane.doe@example.com" not in v.evidence  # evidence must not leak the PII itself


def test_clean_captions_with_numbers_are_not_pii():
    v = PIICheck().check(Subject(ai(title="Top 10 goals of 2019", caption="Filmed in Paris with 3 cameras")))
    assert v.passed


def test_faces_are_reported_and_a_policy_can_block_them():
    import skimage.data

    face = [skimage.data.astronaut()]
    report = FaceCheck().check(Subject(ai(), frames=face))
    assert report.passed and report.details["faces"] and report.evidence.startswith("1 face")
    blocked = FaceCheck(policy=lambda s, faces: not faces).check(Subject(ai(), frames=face))
    assert not blocked.passed
    assert FaceCheck().check(Subject(ai(), frames=[skimage.data.coffee()])).details["faces"] == []


def test_private_history_must_stay_private():
    prov = Provenance(item_id="g1", made_by="creator", task="video", requested_by="alice",
                      params={"private_history": True})  # fmt: skip
    public = LeakageCheck().check(Subject(ai(), provenance=prov))
    assert not public.passed and "everyone" in public.evidence
    private = ai(visibility=Visibility.PRIVATE, visible_to="alice")
    assert LeakageCheck().check(Subject(private, provenance=prov)).passed
    to_bob = ai(visibility=Visibility.PRIVATE, visible_to="bob")
    assert not LeakageCheck().check(Subject(to_bob, provenance=prov)).passed


def test_near_copy_of_another_users_private_item_is_blocked():
    frame = photo_frames(1, 128, seed=4)[0]
    index = NearDuplicateIndex()
    index.add("bob-secret", [frame], owner="bob", private=True)
    prov = Provenance(item_id="g1", made_by="creator", task="image", requested_by="alice")
    v = LeakageCheck(index).check(Subject(ai(), frames=[near_copy(frame, "jpeg")], provenance=prov))
    assert not v.passed and "bob-secret" in v.evidence
    # bob himself may get a variation of his own private item
    mine = ai(visibility=Visibility.PRIVATE, visible_to="bob")
    assert LeakageCheck(index).check(Subject(mine, frames=[frame])).passed


# -------------------------------------------------------------------- bias
def test_wording_check_flags_stereotypes_not_neutral_mentions():
    assert not WordingCheck().check(Subject(ai(title="All women are bad at parking"))).passed
    assert not WordingCheck().check(Subject(ai(caption="pretty smart for a girl"))).passed
    assert WordingCheck().check(Subject(ai(title="Women's football final highlights"))).passed


def test_exposure_shares_and_bounds():
    human = [Item(id=f"h{i}", attributes={"uploader_group": "new" if i < 2 else "established"}) for i in range(6)]
    ranking = [ai(id="a0"), *human[:3], ai(id="a1"), *human[3:]]
    shares = exposure_shares(ranking, lambda i: "ai" if i.is_ai else "human")
    assert shares["ai"] == pytest.approx(1.387 / 3.953, abs=0.002) and sum(shares.values()) == pytest.approx(1.0)
    assert ExposureCheck(ai_share=(0.0, 0.5)).check_ranking(ranking, "u1").passed
    too_much_ai = ExposureCheck(ai_share=(0.0, 0.2)).check_ranking(ranking, "u1")
    assert not too_much_ai.passed and too_much_ai.item_id == "u1"
    starved = ExposureCheck(group_min_share={"new": 0.6}).check_ranking(ranking, "u1")
    assert not starved.passed and "'new'" in starved.evidence
    assert ExposureCheck().check(Subject(ai())).details["applicable"] is False


# ------------------------------------------------------------ authenticity
def test_claims_are_checked_against_the_facts_store(tmp_path):
    facts = FactsStore(tmp_path / "facts.db")
    facts.add("Big Buck Bunny", "year", "2008", source="Blender")
    facts.add("Big Buck Bunny", "filmed_in", "Amsterdam")
    check = AuthenticityCheck(facts)
    bad = check.check(Subject(ai(title="Big Buck Bunny, released in 2011")))
    assert not bad.passed and "2008" in bad.evidence and "Blender" in bad.evidence
    assert check.check(Subject(ai(title="Big Buck Bunny, released in 2008"))).passed
    unsupported = Subject(ai(title="Big Buck Bunny was directed by Steven Spielberg"))
    assert check.check(unsupported).passed  # unknown, not contradicted
    assert not AuthenticityCheck(facts, strict=True).check(unsupported).passed  # news: must be supported
    # the item's own subject is the default entity
    about = ai(caption="filmed in Paris", attributes={"about": "big buck bunny"})
    assert not check.check(Subject(about)).passed
    assert [c.attribute for c in extract_claims("a 90-minute film set in Rome")] == ["runtime_min", "set_in"]
    with pytest.raises(FidelityError, match="bad fact"):
        facts.add("", "year", "1999")
    (tmp_path / "junk.db").write_bytes(b"not sqlite" * 100)
    with pytest.raises(FidelityError, match="facts database"):
        FactsStore(tmp_path / "junk.db")


# ------------------------------------------------------------------- legal
def test_near_copies_by_crop_resize_and_jpeg_are_found_and_others_are_not():
    corpus = photo_frames(len(photos()), 128, seed=7)
    index = NearDuplicateIndex()
    for i, f in enumerate(corpus[:8]):
        index.add(f"c{i}", [f], license="all-rights-reserved")
    check = CopyrightCheck(index)
    for kind in ("crop", "resize", "jpeg"):
        v = check.check(Subject(ai(), frames=[near_copy(corpus[2], kind)]))
        assert not v.passed and "'c2'" in v.evidence, kind
    assert all(check.check(Subject(ai(), frames=[f])).passed for f in corpus[9:])
    # an edit of its own parent is not a copyright problem
    assert check.check(Subject(ai(parent_id="c2"), frames=[near_copy(corpus[2], "jpeg")])).passed
    with pytest.raises(FidelityError):
        index.add("empty")


def test_consent_and_authorship_rule():
    parents = {"v1": Item(id="v1", uploader_id="alice"), "v2": Item(id="v2", uploader_id="bob", allow_ai_edits=False)}
    check = ConsentCheck(parents.get)
    own = Provenance(item_id="g1", made_by="editor", task="clip", parents=("v1",), requested_by="alice",
                     authorship=Authorship.UPLOADER, author_id="alice")  # fmt: skip
    assert check.check(Subject(ai(parent_id="v1"), provenance=own)).passed
    refused = Provenance(item_id="g1", made_by="editor", task="clip", parents=("v2",), requested_by="alice")
    v = check.check(Subject(ai(parent_id="v2"), provenance=refused))
    assert not v.passed and "does not allow AI edits" in v.evidence
    wrong_owner = Provenance(item_id="g1", made_by="editor", task="clip", parents=("v1",), requested_by="alice")
    assert "rule says uploader/alice" in check.check(Subject(ai(parent_id="v1"), provenance=wrong_owner)).evidence
    assert expected_authorship([], "alice") == (Authorship.PLATFORM, "platform")
    assert not ConsentCheck().check(Subject(ai(parent_id="v1"), provenance=own)).passed  # cannot look up: fail


# ----------------------------------------------------------------- quality
def test_quality_catches_black_frozen_flicker_blur_and_small_frames():
    good = [np.roll(f, i, axis=1) for i, f in enumerate(photo_frames(1, 64, seed=1) * 6)]
    assert QualityCheck().check(Subject(ai(), frames=good)).passed
    grey = np.full((64, 64, 3), 128, np.uint8)
    cases = {
        "black": [np.zeros((64, 64, 3), np.uint8)] * 4,
        "frozen": [good[0]] * 6,
        "flicker": [good[0] // 4 if i % 2 else good[0] for i in range(8)],
        "blurred": [grey] * 3,
        "resolution": [good[0][:16, :16]],
    }
    for word, frames in cases.items():
        v = QualityCheck().check(Subject(ai(), frames=frames))
        assert not v.passed and (word in v.evidence or "black" in v.evidence), (word, v.evidence)


def test_relevance_cosine_to_guidance():
    rng = np.random.default_rng(0)
    g = rng.normal(size=16)
    assert RelevanceCheck().check(Subject(ai(), features=g + 0.1 * rng.normal(size=16), guidance=g)).passed
    assert not RelevanceCheck().check(Subject(ai(), features=-g, guidance=g)).passed
    assert "different spaces" in RelevanceCheck().check(Subject(ai(), features=g[:8], guidance=g)).evidence
