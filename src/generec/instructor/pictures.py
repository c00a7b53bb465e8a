"""Pictures as instructions (paper §2, multimodal instructions): what an attached picture is for.

A user may attach a picture to a chat turn. Its words say which of three uses they mean:

* ``style`` — "make this one look like this picture": the picture's *style* restyles an item
  (style transfer with the picture as the style image);
* ``create`` — "make me a video like this picture": its *content* guides a new creation;
* ``retrieve`` — "something like this", "show me more like this picture": its *content* finds
  existing items that look like it.

:func:`picture_role` reads the use from a closed set of phrasings (and the understood intent
where the words leave it open); :func:`names_picture` tells a turn that speaks of a picture when
none was attached, so the instructor asks for one instead of editing the playing video. The
phrasings are read before intent understanding is trusted: the offline understanding learned
its intents from words about videos, and reads "this picture" as a pointer to the playing video.

Example
-------
>>> picture_role("make this one look like this picture")
<PictureRole.STYLE: 'style'>
>>> picture_role("make me a video like this picture")
<PictureRole.CREATE: 'create'>
>>> picture_role("something like this")
<PictureRole.RETRIEVE: 'retrieve'>
>>> names_picture("show me more like this photo"), names_picture("more like this one")
(True, False)
"""

from __future__ import annotations

import dataclasses
import enum
import re

from generec.instructor.schema import Intent, Understanding

_NOUN = r"(?:picture|photo|photograph|image|pic|snapshot|screenshot|drawing|painting|artwork)s?"
_NOUN_WORD = re.compile(rf"^{_NOUN}$")
# "the picture" alone is often the video's own image ("the picture is too dark"), and "the cover image" or
# "the preview picture" its thumbnail: only a picture pointed at as a thing of its own counts.
_NAMED = re.compile(
    rf"\b(?:this|that|my|attached|uploaded|these|those)\s+(?!cover\b|preview\b|thumbnail\b|poster\b)(?:\w+\s+)?{_NOUN}\b"
    rf"|\bthe\s+{_NOUN}\s+(?:i|I)\s+(?:sent|attached|uploaded|added)\b"
)
_CREATE = re.compile(
    r"\b(?:make|create|generate|produce|render|film)\s+(?:me\s+|us\s+)?"
    r"(?:(?:a|an|some|another)\s+(?:new\s+|short\s+|little\s+)?(?:video|clip|film|movie)s?\b"
    r"|(?:one|something)\s+(?:new\s+)?like\b)"
    r"|\bnew\s+(?:video|clip|film|movie)\b"
)
_STYLE = re.compile(
    r"\blook(?:s|ing)?\s+like\b|\bstyl(?:e|ed|ise|ize)\b|\brestyle\b|\bpaint(?:ed)?\s+like\b"
    r"|\bin the (?:colou?rs?|look|mood|feel) of\b|\bsame (?:colou?rs?|look|style|feel|mood)\b"
)
_EDITS_WITHOUT_PICTURE = frozenset({Intent.EDIT_CLIP, Intent.EDIT_THUMBNAIL})


class PictureRole(enum.StrEnum):
    """What an attached picture is for in one turn."""

    STYLE = "style"
    CREATE = "create"
    RETRIEVE = "retrieve"


def names_picture(text: str | None) -> bool:
    """Whether the words speak of a particular picture ("this picture", "the photo", "my drawing")."""
    return bool(text) and _NAMED.search(text.lower()) is not None


def picture_role(text: str | None, intent: Intent | None = None) -> PictureRole | None:
    """The use the words ask of an attached picture; ``None`` when the turn is about something else.

    A creation phrasing wins ("make me a video that looks like this picture" creates); then a
    look or style phrasing (or an understood style edit) restyles; then an understood creation;
    a length or cover edit that does not name the picture leaves it unused; anything else
    ("something like this", a bare "this") finds items like it.
    """
    words = (text or "").lower()
    if _CREATE.search(words):
        return PictureRole.CREATE
    if _STYLE.search(words) or intent is Intent.EDIT_STYLE:
        return PictureRole.STYLE
    if intent is Intent.CREATE:
        return PictureRole.CREATE
    if intent in _EDITS_WITHOUT_PICTURE and not names_picture(words):
        return None
    return PictureRole.RETRIEVE


def without_picture_words(u: Understanding | None) -> Understanding | None:
    """``u`` without the picture words read as content ("picture" is not a thing to find or make).

    The vocabulary has no value for "picture", so the understanding lists it as unknown content
    (or maps it to a near value); with the picture attached the word is the attachment, not content.
    """
    if u is None:
        return None
    unknown = tuple((p, v) for p, v in u.unknown if not _NOUN_WORD.match(p))
    mapped = tuple((p, v) for p, v in u.mapped if not _NOUN_WORD.match(p))
    dropped = {v for p, v in u.mapped if _NOUN_WORD.match(p)}
    attributes = {a: kept for a, vs in u.slots.attributes.items() if (kept := tuple(v for v in vs if v not in dropped))}
    slots = dataclasses.replace(u.slots, attributes=attributes)
    return dataclasses.replace(u, unknown=unknown, mapped=mapped, slots=slots)
