"""Instructions: every intent, well-formed slots, varied wording, held-out template families."""

from __future__ import annotations

import json

from generec.data.sim import INTENTS, VOCAB, World, generate_instructions
from generec.data.sim.instructions import TEMPLATES, family_split
from generec.data.sim.vocab import SYNONYMS, plural

ATTRIBUTE_SLOTS = set(VOCAB)
OTHER_SLOTS = {"item_ref", "duration", "duration_s", "max_duration_s"}


def test_every_intent_in_both_splits_with_valid_slots() -> None:
    rows = generate_instructions(600, seed=1)
    assert {r["intent"] for r in rows} == set(INTENTS)
    for intent in INTENTS:
        splits = {r["split"] for r in rows if r["intent"] == intent}
        assert splits == {"train", "heldout"}, intent
    for r in rows:
        assert set(r["slots"]) <= ATTRIBUTE_SLOTS | OTHER_SLOTS, r
        for attr in ATTRIBUTE_SLOTS & set(r["slots"]):
            value = r["slots"][attr]
            assert value in VOCAB[attr]
            # The text names the value with one of its synonyms (or their plural).
            forms = [s for s in SYNONYMS.get(value, (value,))] + [plural(s) for s in SYNONYMS.get(value, (value,))]
            if attr == "scene":
                forms += ["snow", "beach", "forest", "city", "night", "desert", "indoors", "underwater"]
            assert any(f.lower() in r["text"].lower() for f in forms), r
        ref = r["slots"].get("item_ref")
        assert ref is None or ref in ("this", "last") or (isinstance(ref, int) and ref >= 1)
    slot_intents = {r["intent"] for r in rows if r["slots"]}
    assert slot_intents >= {"create", "dislike", "edit_style", "edit_clip", "recommend", "edit_revise"}


def test_examples_from_the_issue_are_covered() -> None:
    rows = generate_instructions(3000, seed=2)
    create = [r for r in rows if r["intent"] == "create" and {"colour", "category", "scene"} <= set(r["slots"])]
    assert create
    assert any(r["intent"] == "dislike" and r["text"].lower().startswith("no more") for r in rows)
    assert any(r["intent"] == "edit_clip" and r["slots"].get("duration") == "shorter" for r in rows)
    assert any(r["intent"] == "edit_style" and r["slots"].get("style") == "watercolour" for r in rows)


def test_wording_varies_and_is_deterministic() -> None:
    rows = generate_instructions(1200, seed=3)
    assert rows == generate_instructions(1200, seed=3)
    assert rows != generate_instructions(1200, seed=4)
    texts = [r["text"] for r in rows]
    assert len(set(texts)) > 0.7 * len(texts)
    dislikes = {r["text"] for r in rows if r["intent"] == "dislike"}
    assert len(dislikes) > 40


def test_heldout_families_never_appear_in_train() -> None:
    rows = generate_instructions(1200, seed=5)
    train = {r["family"] for r in rows if r["split"] == "train"}
    heldout = {r["family"] for r in rows if r["split"] == "heldout"}
    assert train and heldout and not train & heldout
    assert len(heldout) == len(INTENTS)
    assert all(family_split(f) == "heldout" for f in (fams[-1][0] for fams in TEMPLATES.values()))


def test_world_ships_instructions(media_world: World) -> None:
    table = media_world.instructions
    assert len(table) == 120 and set(table["intent"]) == set(INTENTS)
    assert all(isinstance(json.loads(s), dict) for s in table["slots"])
