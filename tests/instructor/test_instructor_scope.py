"""Negation and scope: exclusions become standing rules, shown and removable; "not X but Y" keeps Y a wish."""

from __future__ import annotations

import pytest

from generec.instructor import DialogueManager, Instructor, Intent
from generec.instructor.schema import ItemRef, RefKind
from generec.instructor.scope import LIFT, RESTRICT, STANDING, cues, rescope
from generec.instructor.slots import SlotFiller
from generec.instructor.understanding import OfflineUnderstanding
from generec.instructor.vocabulary import Vocabulary, tokenize


@pytest.fixture(scope="module")
def filler() -> SlotFiller:
    return SlotFiller(Vocabulary.from_sim(), encoder=None)


@pytest.mark.parametrize(
    ("text", "excluded", "wanted"),
    [
        ("skip everything filmed in the desert from now on", {"desert"}, set()),
        ("anything but fish", {"fish"}, set()),
        ("I'm sick of bouncing balls", {"bouncing", "ball"}, set()),
        ("please filter out the sepia ones", {"sepia"}, set()),
        ("get rid of the purple stuff", {"purple"}, set()),
        ("not birds but cars", {"bird"}, {"car"}),
        ("show me dogs instead of cats", {"cat"}, {"dog"}),
        ("no need to stick to cats anymore", set(), {"cat"}),  # a negated rule, not a negated value
        ("let birds back in but keep the fish out", {"fish"}, {"bird"}),
    ],
)
def test_what_is_excluded_and_what_is_wanted(filler: SlotFiller, text: str, excluded: set, wanted: set) -> None:
    r = filler.fill(text)
    assert {v for _, v in r.excluded} == excluded
    assert {v for vs in r.slots.attributes.values() for v in vs} == wanted


def test_cues_say_how_far_a_wish_reaches() -> None:
    assert RESTRICT in cues(tokenize("only cats please")) and STANDING in cues(tokenize("no dogs from now on"))
    assert LIFT in cues(tokenize("you don't have to stick to dogs")) and not cues(tokenize("show me a dog"))


def test_rescope_puts_negation_where_it_belongs() -> None:
    this, second = (ItemRef(RefKind.DEICTIC, 0),), (ItemRef(RefKind.ORDINAL, 1),)
    assert rescope(Intent.DISLIKE, True, False, this, frozenset()) is Intent.SET_CONSTRAINT
    assert rescope(Intent.DISLIKE, True, False, second, frozenset()) is Intent.DISLIKE  # about that item
    assert rescope(Intent.DISLIKE, True, True, (), frozenset()) is Intent.RECOMMEND
    assert rescope(Intent.SET_CONSTRAINT, True, True, (), frozenset()) is Intent.RECOMMEND
    assert rescope(Intent.SET_CONSTRAINT, True, True, (), frozenset({RESTRICT})) is Intent.SET_CONSTRAINT
    assert rescope(Intent.RECOMMEND, True, False, (), frozenset({STANDING})) is Intent.SET_CONSTRAINT
    assert rescope(Intent.SET_CONSTRAINT, False, True, (), frozenset({LIFT})) is Intent.CLEAR_CONSTRAINT
    assert rescope(Intent.LIKE, False, True, (), frozenset()) is Intent.LIKE


@pytest.fixture
def ins(nlu: OfflineUnderstanding) -> Instructor:
    return Instructor(nlu)


def test_a_negation_is_a_standing_rule_shown_and_removable(ins: Instructor) -> None:
    dm = DialogueManager()
    d = ins.respond(dm, "u1", "skip everything filmed in the desert from now on", shown=["v1"])
    assert d.intent is Intent.SET_CONSTRAINT and d.feedback is None
    assert dm.load("u1").constraints.excluded == {("scene", "desert")} and "no desert" in d.reply
    ins.respond(dm, "u1", "I'm sick of bouncing balls", shown=["v1"])
    assert dm.load("u1").constraints.excluded == {("scene", "desert"), ("motion", "bouncing"), ("category", "ball")}
    d = ins.respond(dm, "u1", "the desert is fine again")
    assert d.intent is Intent.CLEAR_CONSTRAINT and ("scene", "desert") not in dm.load("u1").constraints.excluded
    assert "no ball" in d.reply  # what is still standing is said
    ins.respond(dm, "u1", "clear all my filters")
    assert not dm.load("u1").constraints


def test_not_x_but_y_wants_y_without_restricting_the_feed_to_it(ins: Instructor) -> None:
    dm = DialogueManager()
    d = ins.respond(dm, "u1", "not birds but cars")
    assert d.intent is Intent.RECOMMEND and d.understanding.slots.values("category") == ("car",)
    assert dm.load("u1").constraints.excluded == {("category", "bird")} and not dm.load("u1").constraints.required
    d = ins.respond(dm, "u1", "anything but fish")
    assert ("category", "fish") in dm.load("u1").constraints.excluded and not dm.load("u1").constraints.required


def test_lifting_one_rule_keeps_the_others(ins: Instructor) -> None:
    dm = DialogueManager()
    ins.respond(dm, "u1", "no birds please")
    ins.respond(dm, "u1", "no fish please")
    d = ins.respond(dm, "u1", "let birds back in but keep the fish out")
    assert d.intent is Intent.CLEAR_CONSTRAINT and dm.load("u1").constraints.excluded == {("category", "fish")}
    ins.respond(dm, "u1", "only cars from now on")
    d = ins.respond(dm, "u1", "no need to stick to cars anymore")
    assert d.intent is Intent.CLEAR_CONSTRAINT and not dm.load("u1").constraints.required


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("could you rework the first video the way I like it", Intent.EDIT_REVISE),
        ("tailor this one to what I usually watch", Intent.EDIT_REVISE),
        ("restyle this as a sketch", Intent.EDIT_STYLE),
        ("nothing here is new to me, make me something nobody has seen", Intent.CREATE),
    ],
)
def test_revision_style_and_creation(ins: Instructor, text: str, intent: Intent) -> None:
    assert ins.respond(DialogueManager(), "u1", text, shown=["v1", "v2"]).intent is intent


def test_a_creation_with_nothing_said_about_content_asks_first(ins: Instructor) -> None:
    d = ins.respond(DialogueManager(), "u1", "everything looks the same, make me something new")
    assert d.intent is Intent.CREATE and d.clarify and d.action is None and "What should" in d.reply
