"""Core records shared by every layer of GeneRec.

Plain dataclasses with no I/O. Identifiers are strings, times are POSIX seconds
(``float``), feature vectors are ``numpy`` arrays. Everything above this module
(store, media, data, models, service) speaks in these records.

Example
-------
>>> from generec.types import Item, Origin, Event, EventKind
>>> item = Item(id="v1", title="a red car in the snow", uploader_id="u7")
>>> item.origin is Origin.HUMAN
True
>>> Event(user_id="u1", item_id="v1", kind=EventKind.LIKE, ts=10.0).is_negative
False

An item's review status is separate from its expiry: a generated item is stored
``PENDING``, then the fidelity policy makes it ``ACTIVE`` or ``BLOCKED``; only
``ACTIVE`` items are ever shown, while ``expires_at`` means expiry after viewing.

>>> from generec.types import ItemStatus
>>> Item(id="g1", origin=Origin.AI, status=ItemStatus.BLOCKED).visible_for("u1")
False
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PLATFORM_AUTHOR = "platform"

CONTENT_ATTRIBUTES = ("category", "colour", "size", "motion", "scene", "style", "brightness", "texture")
"""Item attributes that name what an item shows: GeneRec-Sim's, and a fashion catalogue's brightness and texture
measured from its photos. Tastes are learned on them and requests are read in them."""
"""Author recorded on items the platform creates from noise (paper §5.2)."""


class Origin(enum.StrEnum):
    """Who made an item: a person, or GeneRec's generators."""

    HUMAN = "human"
    AI = "ai"


class Modality(enum.StrEnum):
    VIDEO = "video"
    IMAGE = "image"
    TEXT = "text"
    AUDIO = "audio"


class Visibility(enum.StrEnum):
    """``PUBLIC`` items may be shown to anyone; ``PRIVATE`` ones only to ``Item.visible_to``."""

    PUBLIC = "public"
    PRIVATE = "private"


class ItemStatus(enum.StrEnum):
    """Where an item stands in review; only ``ACTIVE`` items may be shown.

    ``PENDING``: generated, not yet checked. ``ACTIVE``: may be shown (the default,
    e.g. for human uploads). ``BLOCKED``: failed a fidelity check; kept for audit,
    never shown.
    """

    PENDING = "pending"
    ACTIVE = "active"
    BLOCKED = "blocked"


class EventKind(enum.StrEnum):
    IMPRESSION = "impression"
    CLICK = "click"
    LIKE = "like"
    DISLIKE = "dislike"
    SKIP = "skip"
    DWELL = "dwell"


class Facet(enum.StrEnum):
    """One aspect of an item a user can rate on its own (paper §2: feedback on several facets).

    A facet rating is a ``LIKE`` or ``DISLIKE`` event with ``Event.facet`` set: "liked the style",
    "too long" (a disliked length), "disliked the cover". It judges one aspect, not the item.
    """

    STYLE = "style"
    LENGTH = "length"
    THUMBNAIL = "thumbnail"


NEGATIVE_EVENTS = frozenset({EventKind.DISLIKE, EventKind.SKIP})
POSITIVE_EVENTS = frozenset({EventKind.CLICK, EventKind.LIKE})


class Role(enum.StrEnum):
    USER = "user"
    UPLOADER = "uploader"
    ADMIN = "admin"


class Authorship(enum.StrEnum):
    """Who owns a generated item (paper §5.2).

    ``PLATFORM`` for items created from noise; ``UPLOADER`` for AI edits of an
    uploader's own content (the uploader keeps authorship of the edit).
    """

    PLATFORM = "platform"
    UPLOADER = "uploader"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Media:
    """A stored media file, addressed by the SHA-256 of its bytes."""

    hash: str
    mime: str
    size_bytes: int = 0
    width: int | None = None
    height: int | None = None
    frames: int | None = None
    fps: float | None = None
    duration: float | None = None
    has_audio: bool = False


@dataclass(slots=True)
class User:
    id: str
    name: str = ""
    role: Role = Role.USER
    created_at: float = 0.0
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Item:
    """A recommendable item: a human upload or an AI-generated/edited one.

    ``parent_id`` points at the item an edit was made from. A ``PRIVATE`` item
    is visible only to ``visible_to`` (e.g. something generated from one
    user's private history). ``expires_at`` lets AI items expire after viewing.
    ``status`` is the item's review status: only ``ACTIVE`` items are shown to anyone.
    """

    id: str
    title: str = ""
    caption: str = ""
    modality: Modality = Modality.VIDEO
    origin: Origin = Origin.HUMAN
    uploader_id: str | None = None
    parent_id: str | None = None
    visibility: Visibility = Visibility.PUBLIC
    visible_to: str | None = None
    expires_at: float | None = None
    created_at: float = 0.0
    media_hash: str | None = None
    thumbnail_hash: str | None = None
    allow_ai_edits: bool = True
    license: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    status: ItemStatus = ItemStatus.ACTIVE

    @property
    def is_ai(self) -> bool:
        return self.origin is Origin.AI

    def visible_for(self, user_id: str | None, now: float | None = None) -> bool:
        """Whether ``user_id`` may see this item (``None`` means an anonymous viewer).

        Never for an item that is not ``ACTIVE`` (pending its checks, or blocked).
        """
        if self.status != ItemStatus.ACTIVE:  # != so a plain "active" string works too
            return False
        if now is not None and self.expires_at is not None and now >= self.expires_at:
            return False
        if self.visibility is Visibility.PUBLIC:
            return True
        return user_id is not None and user_id == self.visible_to


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a user did to an item. ``value`` holds dwell seconds for ``DWELL``.

    ``facet`` is set on a rating of one aspect of the item (:class:`Facet`); such an event
    is neither positive nor negative feedback on the item as a whole.
    """

    user_id: str
    item_id: str
    kind: EventKind
    ts: float
    value: float = 0.0
    session_id: str | None = None
    facet: Facet | None = None

    @property
    def is_negative(self) -> bool:
        return self.facet is None and self.kind in NEGATIVE_EVENTS

    @property
    def is_positive(self) -> bool:
        return self.facet is None and self.kind in POSITIVE_EVENTS


@dataclass(frozen=True, slots=True)
class Instruction:
    """What a user said, as text, in a conversation."""

    user_id: str
    text: str
    ts: float = 0.0
    session_id: str | None = None


@dataclass(slots=True)
class Guidance:
    """Every signal that steers the editor and creator, in one record.

    Vectors live in the encoder's space unless noted. ``user_emb`` is the
    recommender's user embedding (paper: User_Emb); ``user_hist`` is the mean
    feature of liked items (paper: User_Hist). ``picture`` is a picture the user attached in the
    chat (paper §2, multimodal instructions; the id of its stored private item): its style goes to
    style transfer as ``style_image`` (a file path), its content to retrieval and creation as
    ``picture_emb``, its vector in the encoder's image space.
    """

    instruction_text: str | None = None
    instruction_emb: np.ndarray | None = None
    user_emb: np.ndarray | None = None
    user_hist: np.ndarray | None = None
    disliked: np.ndarray | None = None
    style: str | None = None
    length_s: float | None = None
    constraints: dict[str, Any] = field(default_factory=dict)
    picture: str | None = None
    picture_emb: np.ndarray | None = None
    style_image: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item proposed for a user, with the score it was ranked by."""

    item_id: str
    score: float
    source: str = "retrieval"


@dataclass(slots=True)
class Provenance:
    """Where a generated item came from: who/what made it, from which parents."""

    item_id: str
    made_by: str
    task: str
    model_id: str = ""
    seed: int | None = None
    parents: tuple[str, ...] = ()
    authorship: Authorship = Authorship.PLATFORM
    author_id: str = PLATFORM_AUTHOR
    requested_by: str | None = None
    created_at: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one fidelity check on one item, with evidence a person can read."""

    check: str
    passed: bool
    score: float
    evidence: str
    item_id: str | None = None
    created_at: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
