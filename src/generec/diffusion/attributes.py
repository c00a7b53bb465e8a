"""Attribute conditions: the values an instruction names (``{"category": ["flower"], ...}``) as a multi-hot vector.

The instructor's slot filler turns a request into attribute values of the catalogue's
vocabulary (:class:`generec.instructor.vocabulary.Vocabulary`); a generator trained with
an ``attributes`` condition part receives them as one indicator per value, next to the
instruction's text embedding. A text embedding mixes everything the sentence says into
one direction, and a small model trained briefly follows its strongest directions
(colour, scene, style) and loses the subject; an indicator per value gives each
attribute its own input (per-attribute condition embeddings, as class-conditional
diffusion models are given their class).

The vocabulary a model was trained with is saved in its config, so an imported
catalogue brings its own words.

Example
-------
>>> vocab = AttributeVocabulary.from_mapping({"category": ["cat", "dog"], "colour": ["red", "blue"]})
>>> vocab.encode({"category": ["dog"], "colour": ["red"]}).tolist()
[0.0, 1.0, 1.0, 0.0]
>>> vocab.encode({"category": ["bus"]}).tolist()   # values it does not know add nothing
[0.0, 0.0, 0.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from generec.errors import ConfigError


@dataclass(frozen=True)
class AttributeVocabulary:
    """Attribute name -> its values, in a fixed order: one vector position per value."""

    attributes: tuple[tuple[str, tuple[str, ...]], ...]

    def __post_init__(self) -> None:
        if not self.attributes or any(not values for _, values in self.attributes):
            raise ConfigError("an attribute vocabulary needs at least one attribute, each with values")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Sequence[str]]) -> AttributeVocabulary:
        return cls(tuple((str(a), tuple(str(v) for v in vs)) for a, vs in mapping.items()))

    @property
    def dim(self) -> int:
        return sum(len(values) for _, values in self.attributes)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a for a, _ in self.attributes)

    def offsets(self) -> dict[str, int]:
        out, start = {}, 0
        for a, values in self.attributes:
            out[a] = start
            start += len(values)
        return out

    def encode(self, wanted: Mapping[str, Sequence[str] | str]) -> np.ndarray:
        """Multi-hot ``[dim]`` of the named values; unknown attributes and values are left out."""
        out = np.zeros(self.dim, dtype=np.float32)
        offsets = self.offsets()
        for a, values in self.attributes:
            given = wanted.get(a)
            for v in [given] if isinstance(given, str) else given or ():
                if v in values:
                    out[offsets[a] + values.index(v)] = 1.0
        return out

    def to_dict(self) -> dict[str, Any]:
        return {a: list(values) for a, values in self.attributes}
