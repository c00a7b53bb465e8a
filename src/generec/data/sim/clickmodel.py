"""The click model of GeneRec-Sim: how a simulated user responds to an item's TRUE attributes.

An item (or any attribute dict, including attributes read from a generated
video) becomes a feature vector over :data:`~generec.data.sim.vocab.FEATURES`:
each shot adds its scene and style, and its subjects' category, colour, size and
motion, weighted by the shot's share of the running time (a second subject
counts less than the first). A user's *utility* is the dot product with their
hidden preference weights. Then

- ``P(click) = sigmoid(click_bias + utility + pop_sensitivity * log(popularity))``
- ``P(like | click) = sigmoid(like_bias + like_slope * utility)``
- ``P(dislike | click, not liked) = sigmoid(dislike_bias - dislike_slope * utility)``
- watched fraction ``f ~ Beta(k m, k (1 - m))`` with ``m = sigmoid(watch_bias + watch_slope * utility)``,
  dwell ``= f * duration``; a click watched for less than ``skip_below`` of the video is a skip.

The same functions generate the world's interactions and answer the
:class:`~generec.data.sim.simulator.UserSimulator`, so ground truth has one source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from generec.data.sim.vocab import ATTRIBUTES, FEATURE_INDEX, N_FEATURES, SHOT_ATTRIBUTES, SUBJECT_ATTRIBUTES, VOCAB
from generec.errors import DataError

SECOND_SUBJECT_WEIGHT = 0.6


@dataclass(frozen=True)
class ClickModel:
    """Parameters of the response model (saved with a world, so a world answers as it was built).

    Example
    -------
    >>> m = ClickModel()
    >>> float(click_prob(np.array(0.0), 0.0, m)) < float(click_prob(np.array(2.0), 0.0, m))
    True
    """

    click_bias: float = -1.6
    like_bias: float = -1.2
    like_slope: float = 1.3
    dislike_bias: float = -2.8
    dislike_slope: float = 1.3
    watch_bias: float = 0.2
    watch_slope: float = 0.9
    watch_concentration: float = 4.0
    skip_below: float = 0.2

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ClickModel:
        return cls(**{k: float(v) for k, v in d.items() if k in cls.__dataclass_fields__})


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _value_index(attr: str, value: Any) -> int:
    try:
        return FEATURE_INDEX[(attr, str(value))]
    except KeyError:
        raise DataError(f"unknown {attr} {value!r}: expected one of {', '.join(VOCAB[attr])}") from None


def _add_shot(vec: np.ndarray, shot: Mapping[str, Any], weight: float) -> None:
    for attr in SHOT_ATTRIBUTES:
        if shot.get(attr) is not None:
            vec[_value_index(attr, shot[attr])] += weight
    for k, subject in enumerate(shot.get("subjects") or ()):
        w = weight * (1.0 if k == 0 else SECOND_SUBJECT_WEIGHT)
        for attr in SUBJECT_ATTRIBUTES:
            if subject.get(attr) is not None:
                vec[_value_index(attr, subject[attr])] += w


def featurize(attributes: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Feature vector ``[N_FEATURES]`` (float32) of an item, a shot, a list of shots or a flat dict.

    Accepted forms: item metadata ``{"shots": [...]}`` (shots weighted by ``n_frames`` or
    ``duration_s``), one shot ``{"scene", "style", "subjects": [...]}``, a list of shots, or a
    flat dict ``{"category": "car", "colour": ["red", "blue"], "scene": "snow"}`` (a list
    splits its weight). Raises :class:`DataError` for a value outside the vocabulary.
    """
    vec = np.zeros(N_FEATURES, dtype=np.float64)
    if isinstance(attributes, Mapping) and "shots" in attributes:
        shots: Sequence[Mapping[str, Any]] = attributes["shots"]
    elif isinstance(attributes, Mapping) and "subjects" in attributes:
        shots = [attributes]
    elif isinstance(attributes, Mapping):
        for attr in ATTRIBUTES:
            value = attributes.get(attr)
            values = [value] if isinstance(value, str) else list(value or ())
            for v in values:
                vec[_value_index(attr, v)] += 1.0 / len(values)
        return vec.astype(np.float32)
    else:
        shots = list(attributes)
    if not shots:
        raise DataError("cannot score an item with no shots")
    lengths = np.asarray([float(s.get("n_frames", s.get("duration_s", 1.0))) for s in shots])
    if (lengths <= 0).any():
        raise DataError("shot lengths must be positive")
    for shot, w in zip(shots, lengths / lengths.sum(), strict=True):
        _add_shot(vec, shot, float(w))
    return vec.astype(np.float32)


def featurize_many(items: Sequence[Mapping[str, Any] | Sequence[Mapping[str, Any]]]) -> np.ndarray:
    """Stack :func:`featurize` over items: ``[n_items, N_FEATURES]``."""
    if len(items) == 0:
        return np.zeros((0, N_FEATURES), dtype=np.float32)
    return np.stack([featurize(x) for x in items])


def click_prob(utility: np.ndarray, pop_term: np.ndarray | float, model: ClickModel) -> np.ndarray:
    """``pop_term`` is ``popularity_sensitivity * log(popularity)`` (0 for an item nobody has seen)."""
    return sigmoid(model.click_bias + utility + pop_term)


def like_prob(utility: np.ndarray, model: ClickModel) -> np.ndarray:
    return sigmoid(model.like_bias + model.like_slope * utility)


def dislike_prob(utility: np.ndarray, model: ClickModel) -> np.ndarray:
    """Probability of a dislike given a click and no like."""
    return sigmoid(model.dislike_bias - model.dislike_slope * utility)


def watch_fraction(utility: np.ndarray, model: ClickModel) -> np.ndarray:
    """Expected fraction of the video watched after a click."""
    return sigmoid(model.watch_bias + model.watch_slope * utility)


def respond(
    rng: np.random.Generator,
    utility: np.ndarray,
    pop_term: np.ndarray,
    duration: np.ndarray,
    model: ClickModel,
) -> dict[str, np.ndarray]:
    """Sample responses to impressions: ``click``, ``like``, ``dislike``, ``skip`` (bool) and ``dwell`` (s)."""
    n = utility.shape
    click = rng.random(n) < click_prob(utility, pop_term, model)
    m = np.clip(watch_fraction(utility, model), 1e-3, 1 - 1e-3)
    k = model.watch_concentration
    frac = rng.beta(k * m, k * (1 - m))
    like = click & (rng.random(n) < like_prob(utility, model))
    dislike = click & ~like & (rng.random(n) < dislike_prob(utility, model))
    skip = click & ~like & (frac < model.skip_below)
    dwell = np.where(click, np.round(frac * duration, 3), 0.0)
    return {"click": click, "like": like, "dislike": dislike, "skip": skip, "dwell": dwell}
