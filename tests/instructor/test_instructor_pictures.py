"""Pictures as instructions (paper §2, multimodal instructions): what the instructor does with an attached picture.

The real instructor on the session's fitted offline understanding: the style of the picture restyles the
item in focus, its content finds items like it or guides a creation, and words about a picture that was
never attached get a question back instead of an edit of the playing video.
"""

from __future__ import annotations

import pytest

from generec.instructor import replies
from generec.instructor.activation import Create, Edit, Retrieve
from generec.instructor.dialogue import DialogueManager
from generec.instructor.instructor import Instructor
from generec.instructor.pictures import PictureRole, names_picture, picture_role
from generec.instructor.schema import Intent


@pytest.fixture(scope="module")
def instructor(nlu) -> Instructor:
    return Instructor(nlu)


def decide(instructor: Instructor, text: str, picture: str | None = "pic1", **state):
    state = {"shown": ("i1", "i2"), "focus_item": "i2", **state}
    return instructor.decide(DialogueManager().load("u1", instruction=text, picture=picture, **state))


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("make this one look like this picture", PictureRole.STYLE),
        ("restyle it in the colours of this photo", PictureRole.STYLE),
        ("make me a video like this picture", PictureRole.CREATE),
        ("create a new clip that looks like this image", PictureRole.CREATE),
        ("something like this", PictureRole.RETRIEVE),
        ("show me more like this picture", PictureRole.RETRIEVE),
    ],
)
def test_the_words_say_what_the_picture_is_for(text: str, role: PictureRole) -> None:
    assert picture_role(text) is role


def test_a_length_edit_leaves_an_attached_picture_unused_unless_it_names_it() -> None:
    assert picture_role("make it shorter", Intent.EDIT_CLIP) is None
    assert names_picture("like my photo") and not names_picture("more like this one")


def test_look_like_this_picture_restyles_the_item_in_focus_with_the_picture(instructor) -> None:
    d = decide(instructor, "make this one look like this picture")
    assert d.action == Edit("style_transfer", "i2") and d.intent is Intent.EDIT_STYLE
    assert d.guidance.picture == "pic1" and d.reason == "picture_style"
    assert d.reply == replies.PICTURE_REPLIES["style"]  # "picture" is not reported as content it can't find
    assert d.exposure is not None  # a requested edit: shown first, labelled AI-generated


def test_something_like_this_retrieves_guided_by_the_picture(instructor) -> None:
    for text in ("something like this", "show me more like this picture"):
        d = decide(instructor, text)
        assert d.action == Retrieve() and d.guidance.picture == "pic1" and d.reason == "picture_retrieve", text
        assert d.reply == replies.PICTURE_REPLIES["retrieve"]


def test_a_video_like_this_picture_is_created_from_it(instructor) -> None:
    d = decide(instructor, "make me a video like this picture")
    assert d.action == Create("video") and d.intent is Intent.CREATE and d.item_id is None
    assert d.guidance.picture == "pic1" and d.reason == "picture_create"


def test_words_about_a_picture_without_one_ask_for_it(instructor) -> None:
    d = decide(instructor, "show me more like this picture", picture=None)
    assert d.action is None and d.clarify and d.reason == "needs_picture"
    assert d.reply == replies.ASK_PICTURE
    plain = decide(instructor, "something like this", picture=None)  # no picture named: about the video
    assert plain.reason != "needs_picture"


def test_a_style_picture_with_nothing_to_restyle_asks_which_video(instructor) -> None:
    d = decide(instructor, "make it look like this picture", shown=(), focus_item=None)
    assert d.action is None and d.reason == "needs_item" and d.reply == replies.CLARIFY_ITEM
