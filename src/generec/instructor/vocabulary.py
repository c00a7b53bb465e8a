"""The corpus vocabulary the understanding fills slots from.

The instructor never hard-codes the words of one world: a :class:`Vocabulary`
is built from any corpus (attribute -> values, optional synonyms and plurals),
e.g. :meth:`Vocabulary.from_sim` for GeneRec-Sim, :meth:`Vocabulary.from_items`
for imported items whose ``attributes`` carry values, or :meth:`Vocabulary.from_catalogue`
for what a running install holds (its catalogue's values, said the built-in ways).

Example
-------
>>> v = Vocabulary({"category": ["cat", "dog"], "style": ["sketch"]}, synonyms={"cat": ["kitty"]})
>>> sorted(v.surfaces_of("cat"))
['cat', 'cats', 'kitties', 'kitty']
>>> v.attribute_of("sketch")
'style'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from generec.errors import DataError
from generec.types import CONTENT_ATTRIBUTES

_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*|[.,;!?]")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens; ``.,;!?`` kept as their own tokens (they bound negation scope)."""
    return _TOKEN.findall(text.lower().replace("_", " "))


CATALOGUE_KEYS = (*CONTENT_ATTRIBUTES, "genre", "genres", "tags")
"""Item attributes whose string values name content a user may ask for (the content attributes, genres, tags)."""


def _plurals(phrase: str) -> set[str]:
    # Plural of the head (last) word; enough for "kitty"->"kitties", "bus"->"buses", "car"->"cars".
    *head, last = phrase.split(" ")
    # Words already ending in "s" ("streets", "glass") are left alone: a wrong plural is worse than none.
    if not last.isalpha() or len(last) < 3 or last.endswith("s"):
        return set()
    if last.endswith("y") and last[-2] not in "aeiou":
        forms = {last[:-1] + "ies"}
    elif last.endswith(("x", "ch", "sh")):
        forms = {last + "es"}
    else:
        forms = {last + "s"}
    return {" ".join([*head, f]) for f in forms}


class Vocabulary:
    """Attribute values and the surface forms that name them.

    Parameters
    ----------
    attributes : mapping of str to sequence of str
        Attribute name -> its values (e.g. ``{"colour": ["red", ...]}``). A value may
        belong to one attribute only.
    synonyms : mapping of str to sequence of str, optional
        Value -> other ways to say it.
    plurals : mapping of str to str, optional
        Irregular plurals (``{"person": "people"}``); regular ones are derived.
    """

    def __init__(
        self,
        attributes: Mapping[str, Sequence[str]],
        synonyms: Mapping[str, Sequence[str]] | None = None,
        plurals: Mapping[str, str] | None = None,
    ) -> None:
        if not attributes or not any(attributes.values()):
            raise DataError("a vocabulary needs at least one attribute with values")
        self.attributes: dict[str, tuple[str, ...]] = {a: tuple(vs) for a, vs in attributes.items()}
        self._attr_of: dict[str, str] = {}
        for attr, values in self.attributes.items():
            for v in values:
                if v in self._attr_of and self._attr_of[v] != attr:
                    raise DataError(f"value {v!r} belongs to both {self._attr_of[v]!r} and {attr!r}; rename one")
                self._attr_of[v] = attr
        self._surfaces: dict[str, set[str]] = {}
        for value in self._attr_of:
            forms = {" ".join(tokenize(value))}
            forms.update(" ".join(tokenize(s)) for s in (synonyms or {}).get(value, ()))
            if plurals and value in plurals:
                forms.add(" ".join(tokenize(plurals[value])))
            forms |= {p for f in list(forms) for p in _plurals(f)}
            self._surfaces[value] = {f for f in forms if f}

    @classmethod
    def from_sim(cls) -> Vocabulary:
        """The GeneRec-Sim vocabulary (categories, colours, sizes, motions, scenes, styles).

        Besides the synonyms, a motion is also named by its caption phrase without the subject's verb
        ("in circles" from "flying in circles") and a scene by its caption phrases ("around the room"),
        so the world's own captions are understood in full.
        """
        from generec.data.sim import vocab as sim

        synonyms = {k: list(v) for k, v in sim.SYNONYMS.items()}
        for motion, phrase in sim.MOTION_PHRASE.items():
            bare = phrase.replace("{verb}", "").strip()
            if bare and bare not in synonyms.get(motion, ()):
                synonyms.setdefault(motion, []).append(bare)
        for scene, phrases in sim.SCENE_PHRASE.items():
            synonyms.setdefault(scene, []).extend(p for p in phrases if p not in synonyms.get(scene, ()))
        return cls(sim.VOCAB, synonyms=synonyms, plurals=getattr(sim, "PLURAL", None))

    @classmethod
    def from_items(cls, attribute_dicts: Iterable[Mapping[str, Any]], keys: Sequence[str] | None = None) -> Vocabulary:
        """Collect the string values of item ``attributes`` (optionally only ``keys``) into a vocabulary."""
        found: dict[str, dict[str, None]] = {}
        for attrs in attribute_dicts:
            for key, val in attrs.items():
                if keys is not None and key not in keys:
                    continue
                vals = val if isinstance(val, list | tuple) else [val]
                for v in vals:
                    if isinstance(v, str) and v:
                        found.setdefault(key, {})[v] = None
        return cls({k: list(vs) for k, vs in found.items()})

    @classmethod
    def from_catalogue(
        cls,
        attribute_dicts: Iterable[Mapping[str, Any]],
        keys: Sequence[str] = CATALOGUE_KEYS,
        known: Vocabulary | None = None,
    ) -> Vocabulary:
        """What this install can retrieve: the catalogue's values under ``keys``, with ``known``'s ways to say them.

        A value the built-in vocabulary (``known``, default :meth:`from_sim`) also has keeps its synonyms,
        plurals and caption phrases; a value only the catalogue has is named as it is; a value under two
        attributes keeps the first. A catalogue with no such values falls back to ``known``.
        """
        known = known if known is not None else cls.from_sim()
        found: dict[str, dict[str, None]] = {}
        owner: dict[str, str] = {}
        for attrs in attribute_dicts:
            for key in keys:
                val = attrs.get(key)
                for v in val if isinstance(val, list | tuple) else [val]:
                    if isinstance(v, str) and v.strip() and owner.setdefault(v, key) == key:
                        found.setdefault(key, {})[v] = None
        if not found:
            return known
        synonyms = {v: sorted(known.surfaces_of(v)) for vs in found.values() for v in vs if v in known}
        return cls({k: list(vs) for k, vs in found.items()}, synonyms=synonyms)

    def attribute_of(self, value: str) -> str:
        try:
            return self._attr_of[value]
        except KeyError:
            raise DataError(f"{value!r} is not a value of this vocabulary") from None

    def __contains__(self, value: object) -> bool:
        return value in self._attr_of

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(self._attr_of)

    def surfaces_of(self, value: str) -> set[str]:
        return set(self._surfaces[value])

    def surface_table(self) -> dict[tuple[str, ...], str]:
        """Token tuple of every surface form -> the value it names (first value wins on clashes)."""
        table: dict[tuple[str, ...], str] = {}
        for value, forms in self._surfaces.items():
            for f in sorted(forms):
                table.setdefault(tuple(f.split(" ")), value)
        return table

    def display(self, value: str) -> str:
        """How to say a value in a reply (``left_to_right`` -> ``left to right``)."""
        return value.replace("_", " ")
