"""Which of several candidates a creator keeps for one request (DALL-E's reranking, with a domain's own rules).

A creator may sample a few candidates per request and keep one
(:meth:`~generec.diffusion.generator.ConditionalGenerator.best_of`). What "best" means
comes from the request (:class:`Wants`) and, for a domain that can measure what was
made, from the domain (:class:`CandidateRules`). Per request, candidates are ranked by,
most important first:

1. not a near-copy of an item the model learnt from (``screen``);
2. what the user said, read from the candidate as the catalogue reads its own items
   (``read``), each said value read as said counting its attribute's ``importance``
   (a product of another category fails the request; a wrong shade is a near miss);
3. how much the user's taste leans to the values read, for the attributes their taste
   filled in (:attr:`Wants.leanings`: a second-favourite look beats a disliked one);
4. novelty (``screen``): among candidates that all pass, the one farther from the training items;
5. with no ``read`` only: the cosine of its encoder features to the request's target
   (instruction, else User_Hist). A domain that reads its items does without: User_Hist
   averages everything a user liked, and ranking by it drags a product towards the
   categories they liked rather than the one asked for (``generec reproduce fashion``
   measured more misread categories with it);
6. the earlier candidate.

Before ranking, ``touch`` may edit each candidate towards what is wanted where an
exact, cheap edit exists (a fashion product's shade: its brightness is one gamma away).

Example
-------
>>> wants = Wants.of({"attributes": {"category": ["dress"], "texture": ["plain"]}, "taste": ["texture"],
...                   "leanings": {"texture": {"plain": 0.4, "textured": 0.1, "patterned": -0.5}}})
>>> wants.said, wants.values
({'category': 'dress'}, {'texture': 'plain', 'category': 'dress'})
>>> read = [{"category": "dress", "texture": "textured"}, {"category": "dress", "texture": "patterned"}]
>>> CandidateRules.leaning_score(read, [wants, wants]).tolist()
[0.1, -0.5]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Reading = Callable[[np.ndarray], list[dict[str, str]]]
"""Made items ``[n, ...]`` uint8 -> the attribute values measured in each."""


@dataclass(frozen=True)
class Wants:
    """What one request wants of the attributes a domain can read.

    ``said``: values the user asked for (and the category a request names). ``leanings``: for the
    attributes the user's taste filled in (``GeneRec.taste_wants``), how much their taste weighs each
    value (the recommender's centred logit weights).
    """

    said: dict[str, str] = field(default_factory=dict)
    leanings: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def of(cls, constraints: Mapping[str, Any] | None) -> Wants:
        """From a guidance's ``constraints``: ``attributes`` (attribute -> values; the first counts), ``taste``
        (the attributes filled from the user's taste) and ``leanings`` (their weights). A taste-filled
        attribute without weights leans to its filled value only."""
        constraints = constraints or {}
        named = constraints.get("attributes") or {}
        first = {str(a): str(v[0]) if isinstance(v, list | tuple) else str(v) for a, v in named.items() if v}
        filled = {str(a) for a in constraints.get("taste") or ()}
        weights = constraints.get("leanings") or {}
        leanings = {a: {str(v): float(w) for v, w in (weights.get(a) or {first[a]: 1.0}).items()}
                    for a in sorted(filled & first.keys())}  # fmt: skip
        return cls({a: v for a, v in first.items() if a not in filled}, leanings)

    @property
    def values(self) -> dict[str, str]:
        """One value per attribute: the said ones, and the value each leaning weighs most."""
        return {**{a: max(w, key=w.__getitem__) for a, w in self.leanings.items() if w}, **self.said}

    def __bool__(self) -> bool:
        return bool(self.said or self.leanings)


@dataclass
class CandidateRules:
    """A domain's rules for judging made items (see the module's ranking).

    read
        Made items -> measured attribute values, as the catalogue measures its items.
    importance
        Attribute -> weight of a said value read as said (default 1).
    screen
        Made items -> ``([n]`` bool, ``[n]`` in [0, 1]``)``: which are near-copies of an item the model learnt
        from, and their novelty (higher: farther from the training items).
    touch
        ``(made items, wanted values per item)`` -> the items edited towards those values.
    """

    read: Reading | None = None
    importance: Mapping[str, float] = field(default_factory=dict)
    screen: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
    touch: Callable[[np.ndarray, list[dict[str, str]]], np.ndarray] | None = None

    def said_score(self, read: Sequence[Mapping[str, str]], wants: Sequence[Wants]) -> np.ndarray:
        """``[n]``: per item, the importance of each said value it was read as."""
        return np.asarray([sum(self.importance.get(a, 1.0) for a, v in w.said.items() if got.get(a) == v)
                           for got, w in zip(read, wants, strict=True)], dtype=np.float64)  # fmt: skip

    @staticmethod
    def leaning_score(read: Sequence[Mapping[str, str]], wants: Sequence[Wants]) -> np.ndarray:
        """``[n]``: per item, its taste's weights of the values it was read as (a value not weighed: the least)."""
        out = []
        for got, w in zip(read, wants, strict=True):
            out.append(sum(ws.get(got.get(a, ""), min(ws.values())) for a, ws in w.leanings.items() if ws))
        return np.asarray(out, dtype=np.float64)
