"""Short natural replies, built only from the closed set of things the instructor understood.

Replies never echo the user's raw words back (user text is data, not something
to repeat verbatim); they name vocabulary values, counts and item positions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from generec.instructor.activation import Activation, Create, Edit
from generec.instructor.dialogue import ConstraintSet
from generec.instructor.schema import Intent, Understanding

_TASK_WORDS = {
    "thumbnail_selection": "pick a better thumbnail for",
    "thumbnail_generation": "make a new thumbnail for",
    "clipping": "trim",
    "style_transfer": "restyle",
    "revision": "revise",
}


def _words(values: Iterable[str]) -> str:
    vs = [v.replace("_", " ") for v in values]
    if not vs:
        return ""
    return vs[0] if len(vs) == 1 else ", ".join(vs[:-1]) + " and " + vs[-1]


def describe(u: Understanding | None) -> str:
    """``"red, cat and beach"`` from the understood values (empty when there are none)."""
    if u is None:
        return ""
    return _words(v for _, v in sorted(u.pairs()))


def vocabulary_note(u: Understanding | None) -> str:
    """What was read as what, and what this install cannot make or find yet (empty when nothing).

    The phrases quoted are the user's content words as the tokenizer kept them (lower-case letters,
    digits and inner hyphens only), so nothing but plain words is ever echoed.
    """
    if u is None:
        return ""
    parts = []
    if u.mapped:
        parts.append("I read " + _words(f"'{p}' as {v.replace('_', ' ')}" for p, v in u.mapped) + ".")
    if u.unknown:
        missing = _words(f"'{p}'" for p, _ in u.unknown).replace(" and ", " or ")
        nearest = list(dict.fromkeys(v.replace("_", " ") for _, v in u.unknown if v))
        offer = (
            f"; the closest I have is {_words(nearest).replace(' and ', ' or ')}, want that instead?"
            if nearest
            else "."
        )
        parts.append(f"I can't make or find {missing} yet{offer}")
    return " ".join(parts)


def constraints_text(c: ConstraintSet) -> str:
    parts = [f"no {v.replace('_', ' ')}" for _, v in sorted(c.excluded)]
    parts += [f"only {v.replace('_', ' ')}" for _, v in sorted(c.required)]
    if c.max_duration_s is not None:
        parts.append(f"at most {c.max_duration_s:g} seconds")
    return ", ".join(parts)


def action_reply(u: Understanding | None, act: Activation) -> str:
    what = describe(u)
    if isinstance(act.action, Edit):
        return f"Sure, I'll {_TASK_WORDS.get(act.action.task, 'edit')} that video" + (f" ({what})." if what else ".")
    if isinstance(act.action, Create):
        if act.reason == "negative_streak":
            return "Nothing here seems to suit you, so I'm making something new for you (AI-generated)."
        return "I'm creating a new video" + (f" with {what}" if what else " for you") + " (AI-generated)."
    return "Here are some videos" + (f" with {what}." if what else " you might like.")


def feedback_reply(intent: Intent, has_item: bool, constraints: ConstraintSet) -> str:
    if intent is Intent.LIKE:
        return "Glad you like it! I'll show you more like that." if has_item else "Noted, I'll keep that in mind."
    standing = constraints_text(constraints)
    return "Got it, I'll show you less like that." + (f" Current filters: {standing}." if standing else "")


def constraint_reply(intent: Intent, constraints: ConstraintSet, dropped: int = 0) -> str:
    standing = constraints_text(constraints)
    if intent is Intent.CLEAR_CONSTRAINT:
        if not standing:
            return "Done, no filters are active now."
        return f"Done, I removed {dropped} filter(s). Still active: {standing}."
    return f"Got it, from now on: {standing}." if standing else "Okay."


CLARIFY_WHAT = "What should the new video show? Tell me a subject, a place or a style."
CLARIFY_ITEM = "Which video do you mean? You can say 'this one' or 'the second video'."
CLARIFY_INTENT = "Sorry, I'm not sure what you'd like. Should I find videos, change one, or make a new one?"
CHITCHAT = "Hi! Tell me what you'd like to watch, or ask me to edit or create a video."
ASK_WHY = "I picked it because it is close to what you watched and liked before."
ASK_PICTURE = ("I don't have a picture from you for this turn. Attach one with the picture button next to the "
               "chat box and ask again.")  # fmt: skip
PICTURE_REPLIES = {
    "style": "Sure, I'll restyle that video to look like your picture (AI-generated).",
    "create": "I'm creating a new video from your picture (AI-generated).",
    "retrieve": "Here are videos that look like your picture.",
}
"""What the instructor says for each use of an attached picture (:mod:`generec.instructor.pictures`)."""


_KIND_NOUNS = {"image": ("picture", "pictures")}
_VIDEO_WORD = re.compile(r"\b(videos?)\b")


def in_kind(reply: str, kind: str) -> str:
    """``reply`` in the words of an install whose items are ``kind`` ("Here are some pictures" where a
    fashion catalogue holds product photos); the replies above are written for videos."""
    nouns = _KIND_NOUNS.get(kind)
    if nouns is None:
        return reply
    return _VIDEO_WORD.sub(lambda m: nouns[1] if m.group(1) == "videos" else nouns[0], reply)


def taste_note(filled: Mapping[str, Sequence[str]]) -> str:
    """What a reply says about the values a creation took from the user's taste (empty when none).

    >>> taste_note({"brightness": ["dark"], "texture": ["plain"]})
    "You didn't say which brightness or texture, so I went with dark and plain, the ones you like most."
    """
    pairs = [(a, str(v[0])) for a, v in filled.items() if v]
    if not pairs:
        return ""
    ones = "the ones" if len(pairs) > 1 else "the one"
    return (f"You didn't say which {' or '.join(a for a, _ in pairs)}, so I went with "
            f"{_words(v for _, v in pairs)}, {ones} you like most.")  # fmt: skip
