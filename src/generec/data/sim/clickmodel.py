"""The click model of GeneRec-Sim: how a simulated user responds to an item's TRUE attributes.

Each shot of an item (or of any attribute dict, including attributes read from a
generated video) becomes a feature vector over :data:`~generec.data.sim.vocab.FEATURES`:
its scene and style, and its subjects' category, colour, size and motion (a second
subject counts less than the first). A user's *shot utility* is the dot product with
their hidden preference weights (a population component shared by everyone plus
their own, see :mod:`~generec.data.sim.users`).

An item's (or clip's) *utility* is a soft-max of its shots' utilities, weighted by
each shot's share of the running time (:func:`aggregate`)::

    utility = temperature * log(sum_s share_s * exp(u_s / temperature))

Viewers are drawn by the best part of a video: with a small temperature this is
close to the best shot (minus ``temperature * log(1 / share)`` for a short best
part); a very large temperature gives back the duration-weighted mean.

Clicking is instant (the user sees a thumbnail or a preview), so the click has no
time cost. Watching is not: *satisfaction* ``= utility - time_cost * seconds`` is what
liking, disliking and the watched fraction depend on. Then

- ``P(click) = sigmoid(click_bias + utility + pop_sensitivity * log(popularity))``
- ``P(like | click) = sigmoid(like_bias + like_slope * satisfaction)``
- ``P(dislike | click, not liked) = sigmoid(dislike_bias - dislike_slope * satisfaction)``
- watched fraction ``f ~ Beta(k m, k (1 - m))`` with ``m = sigmoid(watch_bias + watch_slope * satisfaction)``,
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

    click_bias: float = -2.1
    like_bias: float = -1.7
    like_slope: float = 1.3
    dislike_bias: float = -2.8
    dislike_slope: float = 1.3
    watch_bias: float = 0.2
    watch_slope: float = 0.9
    watch_concentration: float = 4.0
    skip_below: float = 0.2
    temperature: float = 0.3
    """Soft-max temperature of shot aggregation (utility units); large = mean, small = best shot."""
    time_cost: float = 0.12
    """Satisfaction lost per second watched (utility units): why a shorter clip of the same best part wins."""

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


def aggregate(shot_utility: np.ndarray, share: np.ndarray, temperature: float) -> np.ndarray:
    """Soft-max over the last axis: ``temperature * log(sum_s share_s * exp(u_s / temperature))``.

    ``share`` (broadcastable to ``shot_utility``) holds each shot's share of the running
    time; a share of 0 marks padding. Shares need not sum to 1 (they are normalised).
    """
    if not temperature > 0:
        raise DataError(f"the shot soft-max temperature must be positive, got {temperature}")
    share = np.broadcast_to(share, shot_utility.shape)
    z = np.where(share > 0, shot_utility / temperature, -np.inf)
    top = z.max(axis=-1, keepdims=True)
    total = np.maximum(share.sum(axis=-1), 1e-30)
    s = (share * np.exp(z - top)).sum(axis=-1) / total
    return (temperature * (np.log(s) + top[..., 0])).astype(shot_utility.dtype, copy=False)


def satisfaction(utility: np.ndarray, duration: np.ndarray | float, model: ClickModel) -> np.ndarray:
    """What watching is worth: utility minus ``time_cost`` per second of the video."""
    return utility - model.time_cost * np.asarray(duration)


def shot_arrays(items: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Per-shot features ``[m, S, F]`` and running-time shares ``[m, S]`` (0 = padding) of items.

    Each item is anything :func:`featurize` takes; an item with ``"shots"`` (or a list of
    shots) keeps its shots apart, anything else is one shot.
    """
    per_item: list[tuple[np.ndarray, np.ndarray]] = []
    for item in items:
        if isinstance(item, Mapping) and "shots" in item:
            shots: Sequence[Any] | None = item["shots"]
        elif isinstance(item, Sequence) and not isinstance(item, str):
            shots = list(item)
        else:
            shots = None
        if shots is None:
            per_item.append((featurize(item)[None], np.ones(1)))
            continue
        if not shots:
            raise DataError("cannot score an item with no shots")
        lengths = np.asarray([float(s.get("n_frames", s.get("duration_s", 1.0))) for s in shots])
        if (lengths <= 0).any():
            raise DataError("shot lengths must be positive")
        per_item.append((np.stack([featurize(s) for s in shots]), lengths / lengths.sum()))
    n_shots = max((len(w) for _, w in per_item), default=1)
    x = np.zeros((len(per_item), n_shots, N_FEATURES), dtype=np.float32)
    share = np.zeros((len(per_item), n_shots))
    for i, (f, w) in enumerate(per_item):
        x[i, : len(w)], share[i, : len(w)] = f, w
    return x, share


def pair_utility(
    weights: np.ndarray,
    users: np.ndarray,
    shots: np.ndarray,
    share: np.ndarray,
    items: np.ndarray,
    temperature: float,
    batch: int = 1 << 16,
) -> np.ndarray:
    """Aggregated utility of aligned pairs ``(weights[users[i]], item items[i])`` -> ``[n]`` float64.

    ``shots [m, S, F]`` and ``share [m, S]`` as from :func:`shot_arrays`; rows are gathered
    batch by batch so millions of pairs never materialise ``[n, S, F]``.
    """
    out = np.empty(len(users), dtype=np.float64)
    for s in range(0, len(users), batch):
        u, i = users[s : s + batch], items[s : s + batch]
        shot_u = np.einsum("if,isf->is", weights[u], shots[i], dtype=np.float64)
        out[s : s + batch] = aggregate(shot_u, share[i], temperature)
    return out


def click_prob(utility: np.ndarray, pop_term: np.ndarray | float, model: ClickModel) -> np.ndarray:
    """``pop_term`` is ``popularity_sensitivity * log(popularity)`` (0 for an item nobody has seen)."""
    return sigmoid(model.click_bias + utility + pop_term)


def like_prob(satisfaction: np.ndarray, model: ClickModel) -> np.ndarray:
    """P(like | click) from :func:`satisfaction` (utility net of the time cost)."""
    return sigmoid(model.like_bias + model.like_slope * satisfaction)


def dislike_prob(satisfaction: np.ndarray, model: ClickModel) -> np.ndarray:
    """Probability of a dislike given a click and no like, from :func:`satisfaction`."""
    return sigmoid(model.dislike_bias - model.dislike_slope * satisfaction)


def watch_fraction(satisfaction: np.ndarray, model: ClickModel) -> np.ndarray:
    """Expected fraction of the video watched after a click, from :func:`satisfaction`."""
    return sigmoid(model.watch_bias + model.watch_slope * satisfaction)


def respond(
    rng: np.random.Generator,
    utility: np.ndarray,
    pop_term: np.ndarray,
    duration: np.ndarray,
    model: ClickModel,
) -> dict[str, np.ndarray]:
    """Sample responses to impressions: ``click``, ``like``, ``dislike``, ``skip`` (bool) and ``dwell`` (s).

    ``utility`` is the aggregated item utility; the time cost enters after the click.
    """
    n = utility.shape
    click = rng.random(n) < click_prob(utility, pop_term, model)
    sat = satisfaction(utility, duration, model)
    m = np.clip(watch_fraction(sat, model), 1e-3, 1 - 1e-3)
    k = model.watch_concentration
    frac = rng.beta(k * m, k * (1 - m))
    like = click & (rng.random(n) < like_prob(sat, model))
    dislike = click & ~like & (rng.random(n) < dislike_prob(sat, model))
    skip = click & ~like & (frac < model.skip_below)
    dwell = np.where(click, np.round(frac * duration, 3), 0.0)
    return {"click": click, "like": like, "dislike": dislike, "skip": skip, "dwell": dwell}
