"""The attribute vocabulary of GeneRec-Sim, shared by everything that talks about its content.

A *shot* is a scene (background) + a visual style + one or two *subjects*; a
subject has a category (rendered as a distinct sprite), a colour, a size and a
motion. The renderer, the captioner, the click model, the instruction generator
and (later) the instructor, the encoders and the attribute reader all speak in
these exact value strings, so this is the one place they are defined.

Each attribute value also owns a column of the *feature vector* (``FEATURES``):
an item's feature vector is the shot-duration-weighted count of its attribute
values, and a user's hidden taste is a weight per feature, so utility is a dot
product (see :mod:`generec.data.sim.clickmodel`).

Example
-------
>>> from generec.data.sim.vocab import VOCAB, caption_shot
>>> VOCAB["category"][:3]
('car', 'cat', 'dog')
>>> shot = {"scene": "snow", "style": "sketch",
...         "subjects": [{"category": "car", "colour": "red", "size": "large", "motion": "left_to_right"}]}
>>> caption_shot(shot)
'a large red car driving left to right through the snow, sketch style'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

VERSION = 1
"""Bump when values or their order change: feature columns and saved worlds depend on it."""

CATEGORIES = ("car", "cat", "dog", "bird", "fish", "ball", "flower", "person")
COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown")
SIZES = ("small", "medium", "large")
MOTIONS = (
    "static",
    "left_to_right",
    "right_to_left",
    "bouncing",
    "circling",
    "zooming_in",
    "zooming_out",
    "spinning",
)
SCENES = ("snow", "beach", "forest", "city", "night", "desert", "indoor", "underwater")
STYLES = ("plain", "sketch", "pixelated", "neon", "watercolour", "grayscale", "sepia", "cartoon")

VOCAB: dict[str, tuple[str, ...]] = {
    "category": CATEGORIES,
    "colour": COLOURS,
    "size": SIZES,
    "motion": MOTIONS,
    "scene": SCENES,
    "style": STYLES,
}
"""Attribute name -> its values, in feature order."""

SUBJECT_ATTRIBUTES = ("category", "colour", "size", "motion")
SHOT_ATTRIBUTES = ("scene", "style")
ATTRIBUTES = tuple(VOCAB)

FEATURES: tuple[str, ...] = tuple(f"{a}={v}" for a in ATTRIBUTES for v in VOCAB[a])
"""Feature column names, ``"attribute=value"``; ``len(FEATURES) == N_FEATURES``."""
N_FEATURES = len(FEATURES)
FEATURE_INDEX: dict[tuple[str, str], int] = {(a, v): i for i, (a, v) in enumerate(f.split("=") for f in FEATURES)}
ATTRIBUTE_SLICES: dict[str, slice] = {}
_start = 0
for _a in ATTRIBUTES:
    ATTRIBUTE_SLICES[_a] = slice(_start, _start + len(VOCAB[_a]))
    _start += len(VOCAB[_a])

# RGB in 0..255; chosen to stay distinguishable from each other and from every scene at 64x64.
COLOUR_RGB: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "orange": (250, 140, 20),
    "yellow": (250, 225, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 230),
    "purple": (140, 50, 190),
    "pink": (250, 120, 190),
    "brown": (120, 70, 30),
}
SIZE_SCALE: dict[str, float] = {"small": 0.16, "medium": 0.25, "large": 0.36}
"""Half-extent of a sprite as a fraction of the frame side."""

# Words used in captions and titles.
CATEGORY_VERB = {
    "car": "driving",
    "cat": "walking",
    "dog": "running",
    "bird": "flying",
    "fish": "swimming",
    "ball": "rolling",
    "flower": "swaying",
    "person": "walking",
}
MOTION_PHRASE = {
    "static": "standing still",
    "left_to_right": "{verb} left to right",
    "right_to_left": "{verb} right to left",
    "bouncing": "bouncing",
    "circling": "{verb} in circles",
    "zooming_in": "coming closer",
    "zooming_out": "moving away",
    "spinning": "spinning",
}
SCENE_PHRASE = {
    "snow": ("in the snow", "through the snow"),
    "beach": ("on the beach", "along the beach"),
    "forest": ("in the forest", "through the forest"),
    "city": ("in the city", "through the city"),
    "night": ("at night", "through the night"),
    "desert": ("in the desert", "across the desert"),
    "indoor": ("indoors", "around the room"),
    "underwater": ("underwater", "underwater"),
}
PLURAL = {"person": "people", "fish": "fish"}

# Synonyms for instructions; the first entry is the canonical surface form.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "car": ("car", "automobile", "vehicle", "racing car"),
    "cat": ("cat", "kitty", "kitten"),
    "dog": ("dog", "puppy", "doggo"),
    "bird": ("bird", "birdie", "sparrow"),
    "fish": ("fish", "goldfish"),
    "ball": ("ball", "football"),
    "flower": ("flower", "blossom", "daisy"),
    "person": ("person", "human", "guy"),
    "snow": ("snow", "snowy landscape", "winter"),
    "beach": ("beach", "seaside", "coast"),
    "forest": ("forest", "woods", "jungle"),
    "city": ("city", "town", "streets"),
    "night": ("night", "nighttime", "dark night sky"),
    "desert": ("desert", "sand dunes", "sahara"),
    "indoor": ("indoor", "living room", "home"),
    "underwater": ("underwater", "the ocean", "under the sea"),
    "plain": ("plain", "normal", "realistic"),
    "sketch": ("sketch", "pencil drawing", "line art"),
    "pixelated": ("pixelated", "pixel art", "8-bit"),
    "neon": ("neon", "glowing neon", "cyberpunk"),
    "watercolour": ("watercolour", "watercolor", "pastel painting"),
    "grayscale": ("grayscale", "black and white", "greyscale"),
    "sepia": ("sepia", "vintage", "old film"),
    "cartoon": ("cartoon", "comic", "flat cartoon"),
    "small": ("small", "tiny", "little"),
    "medium": ("medium-sized", "mid-sized"),
    "large": ("large", "big", "huge"),
    "static": ("standing still", "not moving"),
    "left_to_right": ("moving left to right", "going from left to right"),
    "right_to_left": ("moving right to left", "going from right to left"),
    "bouncing": ("bouncing", "jumping up and down"),
    "circling": ("going in circles", "circling"),
    "zooming_in": ("coming closer", "zooming in"),
    "zooming_out": ("moving away", "zooming out"),
    "spinning": ("spinning", "rotating"),
}
for _c in COLOURS:
    SYNONYMS[_c] = (_c,)


def attribute_of(value: str) -> str:
    """Return the attribute a vocabulary value belongs to (``"cat"`` -> ``"category"``)."""
    for attr, values in VOCAB.items():
        if value in values:
            return attr
    raise KeyError(f"{value!r} is not a GeneRec-Sim attribute value")


def plural(category: str) -> str:
    return PLURAL.get(category, category + "s")


def describe_subject(subject: Mapping[str, Any]) -> str:
    """``"a large red car driving left to right"`` for one subject dict."""
    cat = subject["category"]
    phrase = MOTION_PHRASE[subject["motion"]].format(verb=CATEGORY_VERB[cat])
    return f"a {subject['size']} {subject['colour']} {cat} {phrase}"


def caption_shot(shot: Mapping[str, Any]) -> str:
    """Ground-truth caption of one shot: subjects, motion, scene and style in plain words."""
    subjects: Sequence[Mapping[str, Any]] = shot["subjects"]
    moving = subjects[-1]["motion"] in ("left_to_right", "right_to_left", "circling")
    scene = SCENE_PHRASE[shot["scene"]][1 if moving else 0]
    text = " and ".join(describe_subject(s) for s in subjects)
    return f"{text} {scene}, {shot['style']} style"
