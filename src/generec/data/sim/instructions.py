"""Natural-language instructions with ground-truth intent and slots, for judging the instructor.

Each intent has several *template families*; a family is one way of phrasing a
request ("no more {cats}" vs "stop showing me {snow} videos"). Families are
filled with attribute values (canonical value in the slots, a synonym in the
text), item references ("this one", "the second video"), durations, optional
politeness and punctuation, so the same request comes in many wordings. One
family per intent is *held out*: a model trained on the ``train`` split and
judged on ``heldout`` shows whether it generalises to paraphrases it never saw.

Example
-------
>>> from generec.data.sim.instructions import generate_instructions
>>> rows = generate_instructions(n=24, seed=0)
>>> sorted({r["intent"] for r in rows}) == sorted(INTENTS)
True
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from generec.data.sim.vocab import SCENE_PHRASE, SYNONYMS, VOCAB, plural

INTENTS = (
    "recommend",
    "create",
    "edit_thumbnail",
    "edit_clip",
    "edit_style",
    "edit_revise",
    "like",
    "dislike",
    "set_constraint",
    "clear_constraint",
    "ask_why",
    "chitchat",
)
# intent -> [(family, template, takes a polite prefix, fixed slots)]; the LAST family of each is held out.
TEMPLATES: dict[str, list[tuple[str, str, bool, dict[str, Any]]]] = {
    "recommend": [
        ("r1", "show me something with {category_pl}", True, {}),
        ("r2", "i want to watch [some|more] {colour} {category_pl}", False, {}),
        ("r3", "recommend me some {style} videos", True, {}),
        ("r4", "any {scene} videos", False, {}),
        ("r5", "i'm in the mood for {category_pl} {scene_in}", False, {}),
    ],
    "create": [
        ("c1", "make me a video of a {colour} {category} {motion} {scene_in}", True, {}),
        ("c2", "create a {style} clip with a {size} {category}", True, {}),
        ("c3", "generate {scene_in}: a {colour} {category}", True, {}),
        ("c4", "i'd love a new video where a {category} is {motion} {scene_in}", False, {}),
        ("c5", "whip up a {category} {scene_in} in {style} style for me", True, {}),
    ],
    "edit_thumbnail": [
        ("t1", "change the [cover|thumbnail] of {ref}", True, {}),
        ("t2", "pick a better thumbnail for {ref}", True, {}),
        ("t3", "make the [cover|thumbnail] show the {category}", True, {}),
        ("t4", "i don't like the cover image of {ref}", False, {}),
        ("t5", "the preview picture for {ref} is boring, fix it", False, {}),
    ],
    "edit_clip": [
        ("k1", "make {ref} shorter", True, {"duration": "shorter"}),
        ("k2", "cut {ref} down to {n} seconds", True, {}),
        ("k3", "only keep the part with the {category}", True, {}),
        ("k4", "trim it to {n} seconds", True, {"item_ref": "this"}),
        ("k5", "{ref} is too long, give me just the highlight", False, {"duration": "shorter"}),
    ],
    "edit_style": [
        ("s1", "turn {ref} into {style} style", True, {}),
        ("s2", "apply a {style} filter to {ref}", True, {}),
        ("s3", "can you restyle {ref} as {style}", False, {}),
        ("s4", "i want {ref} in {style} style", False, {}),
        ("s5", "{style} version of {ref}", True, {}),
    ],
    "edit_revise": [
        ("e1", "change the background of {ref} to {scene}", True, {}),
        ("e2", "make the {category} {colour}", True, {}),
        ("e3", "put the {category} {scene_in}", True, {}),
        ("e4", "can the {category} be {motion} instead", False, {}),
        ("e5", "swap the scenery for {scene}", True, {}),
    ],
    "like": [
        ("l1", "i [love|like|really like] {ref}", False, {}),
        ("l2", "more {category_pl} like this", True, {}),
        ("l3", "[great|awesome|nice] video", False, {"item_ref": "this"}),
        ("l4", "{colour} {category_pl} are my favourite", False, {}),
        ("l5", "that one with the {category} was [awesome|brilliant]", False, {}),
    ],
    "dislike": [
        ("d1", "no more {category_pl}", False, {}),
        ("d2", "stop showing me {scene} videos", True, {}),
        ("d3", "i [hate|don't like|can't stand] {ref}", False, {}),
        ("d4", "less {style} stuff", True, {}),
        ("d5", "i'm sick of {colour} things", False, {}),
    ],
    "set_constraint": [
        ("x1", "only show me {style} videos", True, {}),
        ("x2", "nothing longer than {n} seconds from now on", False, {}),
        ("x3", "only {category_pl} from now on", False, {}),
        ("x4", "keep it to {scene} videos only", True, {}),
        ("x5", "from here on i just want {colour} stuff", False, {}),
    ],
    "clear_constraint": [
        ("y1", "remove my filters", True, {}),
        ("y2", "show [everything|all videos] again", True, {}),
        ("y3", "forget what i said about {category_pl}", True, {}),
        ("y4", "you can show me {style} videos again", False, {}),
        ("y5", "drop the restriction on {scene}", True, {}),
    ],
    "ask_why": [
        ("a1", "why am i seeing {ref}", False, {}),
        ("a2", "why did you recommend {ref}", False, {}),
        ("a3", "what made you pick {ref}", False, {}),
        ("a4", "explain this recommendation", True, {"item_ref": "this"}),
        ("a5", "how come {ref} showed up in my feed", False, {}),
    ],
    "chitchat": [
        ("h1", "[hi|hello|hey] there", False, {}),
        ("h2", "[thanks|thank you so much|cheers]", False, {}),
        ("h3", "how are you today", False, {}),
        ("h4", "what can you do", False, {}),
        ("h5", "tell me a joke", False, {}),
    ],
}
REFERENCES: tuple[tuple[str, Any], ...] = (
    ("this one", "this"),
    ("this video", "this"),
    ("it", "this"),
    ("the first video", 1),
    ("the second video", 2),
    ("the second one", 2),
    ("the third one", 3),
    ("the last one", "last"),
)
_PREFIXES = ("", "", "", "please ", "hey, ", "could you ", "can you ")
_SUFFIXES = ("", "", " please", "!", " thanks", ".")
_PLAIN_SUFFIXES = ("", "", "!", ".")
_QUESTION_STARTS = ("can ", "could ", "any ", "how ", "what ", "why ")
_FIELD = re.compile(r"\{(\w+)\}")
_CHOICE = re.compile(r"\[([^\]]+)\]")
_SLOT_OF = {
    "category": "category",
    "category_pl": "category",
    "colour": "colour",
    "scene": "scene",
    "scene_in": "scene",
    "style": "style",
    "motion": "motion",
    "size": "size",
}


def family_split(family: str) -> str:
    """``"heldout"`` for the last family of each intent, else ``"train"``."""
    for fams in TEMPLATES.values():
        names = [f for f, *_ in fams]
        if family in names:
            return "heldout" if family == names[-1] else "train"
    raise KeyError(f"unknown template family {family!r}")


def _surface(rng: np.random.Generator, field: str, value: str) -> str:
    if field == "category_pl":
        return plural(value) if rng.random() < 0.6 else plural(SYNONYMS[value][int(rng.integers(len(SYNONYMS[value])))])
    if field == "scene_in":
        return SCENE_PHRASE[value][0]
    options = SYNONYMS.get(value, (value,))
    return options[int(rng.integers(len(options)))]


def fill(rng: np.random.Generator, intent: str, family: str, template: str, polite: bool) -> dict[str, Any]:
    """Fill one template: returns ``{"text", "intent", "slots", "family", "split"}``."""
    slots: dict[str, Any] = {}
    surface: dict[str, str] = {}
    for field in dict.fromkeys(_FIELD.findall(template)):
        if field == "ref":
            text, ref = REFERENCES[int(rng.integers(len(REFERENCES)))]
            surface[field], slots["item_ref"] = text, ref
        elif field == "n":
            n = int(rng.integers(1, 6))
            surface[field] = str(n)
            slots["max_duration_s" if intent == "set_constraint" else "duration_s"] = float(n)
        else:
            attr = _SLOT_OF[field]
            value = slots.get(attr) or VOCAB[attr][int(rng.integers(len(VOCAB[attr])))]
            slots[attr] = value
            surface[field] = _surface(rng, field, value)
    text = _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), template).format(**surface)
    prefix = _PREFIXES[int(rng.integers(len(_PREFIXES)))] if polite else ""
    text = prefix + text
    if intent == "ask_why" or text.startswith(_QUESTION_STARTS):
        text += "?"
    else:
        ends = _SUFFIXES if polite and "please" not in prefix else _PLAIN_SUFFIXES
        text += ends[int(rng.integers(len(ends)))]
    if rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    return {
        "text": text,
        "intent": intent,
        "slots": slots,
        "family": f"{intent}/{family}",
        "split": family_split(family),
    }


def generate_instructions(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` instructions cycling through the intents (balanced), deterministic for ``seed``.

    Each row: ``id``, ``text``, ``intent``, ``slots`` (dict; attribute values are
    canonical vocabulary values, ``item_ref`` is ``"this"``, ``"last"`` or a 1-based
    position, durations are seconds), ``family`` and ``split`` (``train``/``heldout``).
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 4]))
    rows = []
    for k in range(n):
        intent = INTENTS[k % len(INTENTS)]
        family, template, polite, fixed = TEMPLATES[intent][int(rng.integers(len(TEMPLATES[intent])))]
        row = fill(rng, intent, family, template, polite)
        row["slots"] = {**fixed, **row["slots"]}
        rows.append({"id": f"i{k:07d}", **row})
    return rows


def instructions_table(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Columns for Parquet, with ``slots`` as sorted JSON text."""
    return {
        "id": [r["id"] for r in rows],
        "text": [r["text"] for r in rows],
        "intent": [r["intent"] for r in rows],
        "slots": [json.dumps(r["slots"], sort_keys=True) for r in rows],
        "family": [r["family"] for r in rows],
        "split": [r["split"] for r in rows],
    }
