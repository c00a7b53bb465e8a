"""Facet ratings (style, length, cover) and the edits they propose; accepting routes through the instructor."""

from __future__ import annotations

import pytest

from generec.instructor import ActivationPolicy, DialogueManager, Edit, Instructor, negative_streak
from generec.instructor.facets import INSTRUCTIONS, cover_task, propose
from generec.instructor.understanding import OfflineUnderstanding
from generec.types import Event, EventKind, Facet, Origin

ALL = {"style_transfer", "revision", "clipping", "thumbnail_selection", "thumbnail_generation"}


def rating(facet: Facet, ts: float, item: str = "v1", liked: bool = False) -> Event:
    return Event("u1", item, EventKind.LIKE if liked else EventKind.DISLIKE, ts, facet=facet)


def test_a_disliked_facet_proposes_the_editor_of_that_facet() -> None:
    cases = {Facet.STYLE: "style_transfer", Facet.LENGTH: "clipping", Facet.THUMBNAIL: "thumbnail_selection"}
    for facet, task in cases.items():
        p = propose(facet, liked=False, ratings=[rating(facet, 1.0)], item_id="v1", available=ALL)
        assert (p.task, p.item_id, p.instruction) == (task, "v1", INSTRUCTIONS[task])
        assert p.reply.endswith("?")
        assert propose(facet, liked=True, ratings=[], item_id="v1", available=ALL) is None


def test_a_second_disliked_cover_proposes_a_drawn_one() -> None:
    twice = [rating(Facet.THUMBNAIL, 1.0), rating(Facet.THUMBNAIL, 2.0), rating(Facet.THUMBNAIL, 3.0, item="v2")]
    assert propose(Facet.THUMBNAIL, liked=False, ratings=twice, item_id="v1", available=ALL).task == (
        "thumbnail_generation"
    )
    once = propose(Facet.THUMBNAIL, liked=False, ratings=twice, item_id="v2", available=ALL)
    assert once.task == "thumbnail_selection"  # another item's dislikes do not count
    assert cover_task(0, asks_content=True) == "thumbnail_generation"


def test_proposals_fall_back_to_what_is_installed() -> None:
    style = propose(Facet.STYLE, liked=False, ratings=[], item_id="v1", available={"revision"})
    assert style.task == "revision"
    cover = propose(Facet.THUMBNAIL, liked=False, ratings=[], item_id="v1", available={"thumbnail_generation"})
    assert cover.task == "thumbnail_generation"
    assert propose(Facet.LENGTH, liked=False, ratings=[], item_id="v1", available={"revision"}) is None


def test_facet_ratings_are_not_rejections_of_the_item() -> None:
    ratings = [rating(f, float(t)) for t, f in enumerate(Facet)]
    assert negative_streak(ratings, {}) == 0
    assert not any(e.is_negative or e.is_positive for e in ratings)


@pytest.fixture
def ins(nlu: OfflineUnderstanding) -> Instructor:
    return Instructor(nlu, ActivationPolicy(negative_streak=3))


def _decide(ins: Instructor, text: str, events: list[Event]):
    state = DialogueManager().load("u1", instruction=text, events=events, shown=["v1", "v2"], focus_item="v1",
                                   item_origin={"v1": Origin.HUMAN})  # fmt: skip
    return ins.decide(state)


@pytest.mark.parametrize("facet", list(Facet))
def test_accepting_a_proposal_asks_the_instructor_for_exactly_that_edit(ins: Instructor, facet: Facet) -> None:
    for ratings in ([rating(facet, 1.0)], [rating(facet, 1.0), rating(facet, 2.0)]):
        p = propose(facet, liked=False, ratings=ratings, item_id="v1", available=ALL)
        d = _decide(ins, p.instruction, ratings)
        assert d.action == Edit(p.task, "v1"), (p.instruction, d.intent, d.reason)


@pytest.mark.parametrize("text", ["make this more my style", "redo this for me", "redo this one for my taste"])
def test_redo_for_my_taste_is_a_revision(ins: Instructor, text: str) -> None:
    d = _decide(ins, text, [])
    assert d.action == Edit("revision", "v1"), (d.intent, d.reason)
