"""Multi-turn behaviour of the Instructor: constraints remembered and cleared, clarification, streaks."""

from __future__ import annotations

import numpy as np
import pytest

from generec.errors import StoreError
from generec.instructor import (
    ActivationPolicy,
    Create,
    DialogueManager,
    Edit,
    ExposureMode,
    GuidanceBuilder,
    InMemoryTurnLog,
    Instructor,
    Intent,
    Retrieve,
)
from generec.instructor.understanding import OfflineUnderstanding
from generec.store import Store, TurnRole
from generec.types import Event, EventKind, Origin, User


@pytest.fixture
def ins(nlu: OfflineUnderstanding) -> Instructor:
    feats = {f"h{i}": np.eye(4)[i % 4] for i in range(8)}
    gb = GuidanceBuilder(item_features=lambda ids: np.stack([feats[i] for i in ids]))
    return Instructor(nlu, ActivationPolicy(negative_streak=3), guidance=gb)


def skip(item: str, ts: float, user: str = "u1") -> Event:
    return Event(user, item, EventKind.SKIP, ts)


def test_constraints_are_remembered_across_turns_until_cleared(ins: Instructor) -> None:
    dm = DialogueManager()
    d = ins.respond(dm, "u1", "no more cats please")  # a standing rule, not a dislike of the item on screen
    assert d.intent is Intent.SET_CONSTRAINT and "no cat" in d.reply and d.feedback is None
    d = ins.respond(dm, "u1", "show me something on the beach")
    assert isinstance(d.action, Retrieve)
    assert dm.load("u1").constraints.excluded == {("category", "cat")}
    d = ins.respond(dm, "u1", "make me a video of a dog in the snow")
    assert d.action == Create("video")
    assert ["category", "cat"] in d.guidance.constraints["exclude"]
    assert d.exposure.mode is ExposureMode.DIRECT and d.exposure.label == "AI-generated"
    d = ins.respond(dm, "u1", "forget what I said about cats")
    assert d.intent is Intent.CLEAR_CONSTRAINT and "no filters" in d.reply
    d = ins.respond(dm, "u1", "make me a video of a bird in the forest")
    assert "exclude" not in d.guidance.constraints


def test_set_constraints_and_clear_all(ins: Instructor) -> None:
    dm = DialogueManager()
    ins.respond(dm, "u1", "only sketch videos from now on")
    ins.respond(dm, "u1", "nothing longer than 10 seconds from now on")
    c = dm.load("u1").constraints
    assert c.required == {("style", "sketch")} and c.max_duration_s == 10.0
    assert c.allows({"style": "sketch"}) and not c.allows({"style": "neon"})
    d = ins.respond(dm, "u1", "make a video of a cat")
    assert d.guidance.constraints["require"] == [["style", "sketch"]] and d.guidance.length_s == 10.0
    ins.respond(dm, "u1", "clear all my filters")
    assert not dm.load("u1").constraints


def test_clarifies_an_underspecified_creation_then_continues(ins: Instructor) -> None:
    dm = DialogueManager()
    d = ins.respond(dm, "u1", "make something")
    assert d.clarify and d.action is None and d.reply.endswith("style.")
    d = ins.respond(dm, "u1", "a red cat on the beach")
    assert d.intent is Intent.CREATE and d.action == Create("video")
    assert d.guidance.constraints["attributes"] == {"colour": ["red"], "category": ["cat"], "scene": ["beach"]}


def test_no_clarification_when_history_says_enough(ins: Instructor) -> None:
    liked = [Event("u1", "h1", EventKind.LIKE, 1.0)]
    d = ins.respond(DialogueManager(), "u1", "make something", events=liked)
    assert d.action == Create("video") and not d.clarify
    np.testing.assert_allclose(d.guidance.user_hist, np.eye(4)[1])


def test_unresolvable_reference_asks_which_then_edits(ins: Instructor) -> None:
    dm = DialogueManager()
    d = ins.respond(dm, "u1", "make the third one shorter", shown=["h1", "h2"])
    assert d.clarify and "Which video" in d.reply
    d = ins.respond(dm, "u1", "the second one", shown=["h1", "h2"])
    assert d.action == Edit("clipping", "h2")


def test_edit_resolves_references(ins: Instructor) -> None:
    dm = DialogueManager()
    d = ins.respond(dm, "u1", "turn the second video into a pencil drawing", shown=["h1", "h2", "h3"])
    assert d.action == Edit("style_transfer", "h2") and d.guidance.style == "sketch"
    d = ins.respond(dm, "u1", "cut it down to 5 seconds", focus_item="h3")
    assert d.action == Edit("clipping", "h3") and d.guidance.length_s == 5.0


def test_negative_streak_switches_generation_on(ins: Instructor) -> None:
    dm = DialogueManager()
    two = [skip("h1", 1), skip("h2", 2)]
    assert isinstance(ins.respond(dm, "u1", events=two).action, Retrieve)
    d = ins.respond(dm, "u1", events=[*two, skip("h3", 3)])
    assert d.action == Create("video") and d.reason == "negative_streak" and d.streak == 3
    assert d.exposure.mode is ExposureMode.DIRECT and d.exposure.reason == "negative_streak"
    assert d.guidance.disliked is not None
    # Skips of AI items do not count toward the streak.
    ai = {"h3": Origin.AI}
    assert isinstance(ins.respond(dm, "u1", events=[*two, skip("h3", 3)], item_origin=ai).action, Retrieve)


def test_spoken_dislike_counts_toward_the_streak(ins: Instructor) -> None:
    d = ins.respond(DialogueManager(), "u1", "I hate this one", events=[skip("h1", 1), skip("h2", 2)], focus_item="h4")
    assert d.feedback.kind is EventKind.DISLIKE and d.feedback.item_id == "h4"
    assert d.action == Create("video")
    d = ins.respond(DialogueManager(), "u1", "I love this one", events=[skip("h1", 1), skip("h2", 2)], focus_item="h4")
    assert d.feedback.kind is EventKind.LIKE and d.streak == 0 and isinstance(d.action, Retrieve)


def test_turns_persist_in_the_store(ins: Instructor, tmp_path) -> None:
    path = tmp_path / "generec.db"
    store = Store.open(str(path))
    store.add_user(User("u1"))
    ins.respond(DialogueManager(store), "u1", "no more cats please", session_id="s1")
    store.close()
    store = Store.open(str(path))
    turns = store.turns("u1")
    assert [t.role for t in turns] == [TurnRole.USER, TurnRole.ASSISTANT]
    assert turns[1].payload["intent"] == "set_constraint"
    # A new process, a new session: the constraint is still there.
    assert DialogueManager(store).load("u1", "s2").constraints.excluded == {("category", "cat")}
    store.close()


def test_sessions_and_users_are_separate() -> None:
    log = InMemoryTurnLog()
    log.add_turn("u1", "user", "hi", session_id="a")
    log.add_turn("u1", "assistant", "hello", session_id="b", payload={"clarify": {"intent": "create"}})
    log.add_turn("u2", "user", "secret", session_id="a")
    dm = DialogueManager(log)
    assert [t.text for t in dm.load("u1", "a").history] == ["hi"]
    assert dm.load("u1", "a").pending is None and dm.load("u1", "b").pending == {"intent": "create"}
    state = dm.load("u1", events=[skip("h1", 1, user="u2"), skip("h2", 2)])
    assert [e.item_id for e in state.events] == ["h2"]
    with pytest.raises(StoreError, match="turn role"):
        log.add_turn("u1", "narrator", "x")


def test_an_install_that_creates_pictures_says_so(nlu: OfflineUnderstanding) -> None:
    """A fashion home creates product photos: the decision makes an image and the replies speak of pictures."""
    ins = Instructor(nlu, ActivationPolicy(negative_streak=3, kind="image"))
    d = ins.respond(DialogueManager(), "u1", "make me a video of a dog in the snow")
    assert d.action == Create("image")
    assert "new picture" in d.reply and "video" not in d.reply
    d = ins.respond(DialogueManager(), "u1", "show me something on the beach")
    assert isinstance(d.action, Retrieve) and "pictures" in d.reply and "videos" not in d.reply
