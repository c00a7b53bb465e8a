"""Guidance building: every signal that steers the editor and creator, in one record.

Fills :class:`generec.types.Guidance` from a turn: the instruction embedding
(any encoder with ``encode_texts``, so it lands in the generators' space),
User_Emb from the recommender, User_Hist as the mean feature of liked items,
a unit direction of disliked features, the style, a length, and the standing
and per-turn constraints.

Example
-------
>>> import numpy as np
>>> feats = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0])}
>>> gb = GuidanceBuilder(item_features=lambda ids: np.stack([feats[i] for i in ids]))
>>> g = gb.build(user_id="u1", liked=["a"], disliked=["b"])
>>> g.user_hist.tolist(), g.disliked.tolist()
([1.0, 0.0], [0.0, 1.0])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from generec.instructor.dialogue import ConstraintSet
from generec.instructor.schema import Understanding
from generec.instructor.text_encoder import TextEncoder
from generec.types import Guidance

UserEmb = Callable[[str], np.ndarray | None]
ItemFeatures = Callable[[Sequence[str]], np.ndarray]


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


class GuidanceBuilder:
    """Builds :class:`~generec.types.Guidance` for the editor and creator.

    Parameters
    ----------
    encoder : object with ``encode_texts``, optional
        Embeds the instruction (use the generators' encoder so the spaces match).
    user_emb : callable, optional
        ``user_id -> vector | None``: the recommender's user embedding (User_Emb).
    item_features : callable, optional
        ``item ids -> (n, d)`` features of items (User_Hist and the disliked direction).
    style_attribute : str
        The vocabulary attribute whose value is the style.
    """

    def __init__(
        self,
        encoder: TextEncoder | None = None,
        user_emb: UserEmb | None = None,
        item_features: ItemFeatures | None = None,
        style_attribute: str = "style",
    ) -> None:
        self.encoder = encoder
        self.user_emb = user_emb
        self.item_features = item_features
        self.style_attribute = style_attribute

    def _mean_features(self, ids: Sequence[str]) -> np.ndarray | None:
        if not ids or self.item_features is None:
            return None
        feats = np.asarray(self.item_features(list(dict.fromkeys(ids))), dtype=np.float32)
        return feats.mean(axis=0) if len(feats) else None

    @staticmethod
    def _constraints(u: Understanding | None, standing: ConstraintSet | None) -> dict[str, Any]:
        excluded = set(standing.excluded) if standing else set()
        required = set(standing.required) if standing else set()
        out: dict[str, Any] = {}
        if u is not None:
            excluded |= {(c.attribute, c.value) for c in u.constraints if c.exclude}
            required |= {(c.attribute, c.value) for c in u.constraints if not c.exclude}
            if u.slots.attributes:
                out["attributes"] = {a: list(vs) for a, vs in u.slots.attributes.items()}
            if u.slots.length_change:
                out["length_change"] = u.slots.length_change
        if excluded:
            out["exclude"] = sorted(map(list, excluded))
        if required:
            out["require"] = sorted(map(list, required))
        max_s = u.slots.max_duration_s if u is not None else None
        max_s = max_s if max_s is not None else (standing.max_duration_s if standing else None)
        if max_s is not None:
            out["max_duration_s"] = float(max_s)
        return out

    def build(
        self,
        user_id: str,
        text: str | None = None,
        understanding: Understanding | None = None,
        liked: Sequence[str] = (),
        disliked: Sequence[str] = (),
        constraints: ConstraintSet | None = None,
    ) -> Guidance:
        """One user's guidance for one request (``liked``/``disliked``: that user's item ids only)."""
        emb = None
        if text and self.encoder is not None:
            emb = np.asarray(self.encoder.encode_texts([text])[0], dtype=np.float32)
        user_vec = self.user_emb(user_id) if self.user_emb is not None else None
        hist = self._mean_features(liked)
        bad = self._mean_features(disliked)
        style = length = None
        if understanding is not None:
            styles = understanding.slots.values(self.style_attribute)
            style = styles[0] if styles else None
            length = understanding.slots.duration_s
        cons = self._constraints(understanding, constraints)
        if length is None and "max_duration_s" in cons:
            length = cons["max_duration_s"]
        return Guidance(
            instruction_text=text,
            instruction_emb=emb,
            user_emb=None if user_vec is None else np.asarray(user_vec, dtype=np.float32),
            user_hist=hist,
            disliked=None if bad is None else _unit(bad),
            style=style,
            length_s=length,
            constraints=cons,
        )
