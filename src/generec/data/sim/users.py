"""Users of GeneRec-Sim: hidden preference weights, activity and popularity sensitivity.

A user's weights are a *population* component shared by everyone (drawn once from
the world seed: big, clear subjects in plain, well-lit footage appeal to most
people, and some categories, scenes, colours and motions are simply popular) plus
an *individual* component. Uploaders pick thumbnails with the population component
("what appeals to most people"), never with any one user's taste.

Individual tastes are drawn per attribute from a Dirichlet whose concentration differs per
user: a *focused* user (small concentration) loves one or two values of an
attribute and is indifferent or averse to the rest; a *broad* user likes a bit
of everything. Some users also strongly dislike a value or two ("no more
cats"). Both components are centred per attribute, so an attribute nobody
cares about adds about nothing to utility.

Everything is drawn in chunks of users from per-chunk seeds, so a million users
never need more than one chunk of temporaries and any chunk can be regenerated alone.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from generec.data.sim.vocab import VOCAB

Vocabulary = Mapping[str, tuple[str, ...]]
"""Attribute name -> its values in feature order (GeneRec-Sim's :data:`~generec.data.sim.vocab.VOCAB` by default)."""

FOCUSED_BELOW = 0.5
"""Users whose taste concentration is below this are labelled ``focused``, above 2 ``broad``."""

_ADJECTIVES = ("sunny", "quiet", "brave", "lucky", "clever", "rapid", "gentle", "bold", "calm", "witty")
_ANIMALS = ("otter", "falcon", "panda", "lynx", "koala", "heron", "fox", "whale", "gecko", "bison")
# How much each attribute matters on average: what is shown matters more than how big it is.
_ATTRIBUTE_IMPORTANCE = {"category": 1.6, "colour": 0.9, "size": 0.4, "motion": 0.7, "scene": 1.2, "style": 1.0}


# The structured part of the shared taste: bigger subjects and clear, bright footage.
_POPULATION_PRIOR = {
    ("size", "small"): -0.8,
    ("size", "large"): 0.8,
    ("style", "plain"): 0.5,
    ("style", "pixelated"): -0.4,
    ("style", "grayscale"): -0.4,
    ("scene", "night"): -0.4,
}


def attribute_slices(vocab: Vocabulary) -> dict[str, slice]:
    """Each attribute's columns in the feature vector of ``vocab``."""
    out, start = {}, 0
    for attr, values in vocab.items():
        out[attr] = slice(start, start + len(values))
        start += len(values)
    return out


def population_weights(
    seed: int,
    scale: float,
    vocab: Vocabulary = VOCAB,
    importance: Mapping[str, float] = _ATTRIBUTE_IMPORTANCE,
    prior: Mapping[tuple[str, str], float] = _POPULATION_PRIOR,
) -> np.ndarray:
    """The shared taste ``[n_features]`` float32 of a world: a fixed prior plus seeded popular values.

    ``scale`` multiplies the whole component (0 = no shared taste). Centred per attribute.
    ``vocab``, ``importance`` (per attribute) and ``prior`` (per value) describe the domain;
    the defaults are GeneRec-Sim's micro-videos.
    """
    rng = chunk_rng(seed, 6, 0)
    slices = attribute_slices(vocab)
    w = np.zeros(sum(len(v) for v in vocab.values()))
    for attr, values in vocab.items():
        sl = slices[attr]
        w[sl] = rng.normal(0.0, 0.5 * importance[attr], len(values))
        w[sl] += [prior.get((attr, v), 0.0) for v in values]
        w[sl] -= w[sl].mean()
    return (scale * w).astype(np.float32)


def user_id(index: int) -> str:
    return f"u{index:07d}"


def chunk_rng(seed: int, tag: int, chunk: int) -> np.random.Generator:
    """Generator for one chunk of one generation stage; independent of chunk sizes elsewhere."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(tag), int(chunk)]))


def draw_users(
    rng: np.random.Generator,
    n: int,
    mean_impressions: float,
    population: np.ndarray | None = None,
    vocab: Vocabulary = VOCAB,
    importance: Mapping[str, float] = _ATTRIBUTE_IMPORTANCE,
) -> dict[str, np.ndarray]:
    """Draw ``n`` users: ``weights [n, n_features]`` float32 plus per-user traits.

    ``population`` (from :func:`population_weights`) is added to every user's own weights.
    ``vocab`` and ``importance`` describe the domain (default: GeneRec-Sim's); it needs a
    ``category`` attribute.

    Returns a dict with ``weights``, ``concentration``, ``impressions`` (how many
    items the user is shown over the event window), ``popularity_sensitivity`` and
    ``favourite`` (index of the top-weighted category, used by the exposure policy).
    """
    slices = attribute_slices(vocab)
    n_features = sum(len(v) for v in vocab.values())
    concentration = np.exp(rng.uniform(np.log(0.12), np.log(4.0), n))
    own = rng.dirichlet(np.full(len(vocab), 3.0), n) * len(vocab)
    weights = np.zeros((n, n_features), dtype=np.float32)
    for j, (attr, values) in enumerate(vocab.items()):
        k = len(values)
        g = rng.gamma(concentration[:, None], 1.0, (n, k)) + 1e-12
        p = g / g.sum(axis=1, keepdims=True)
        scale = importance[attr] * own[:, j : j + 1] * 1.6
        weights[:, slices[attr]] = (scale * (p - 1.0 / k)).astype(np.float32)
    # Aversions: about half the users hate one or two specific values.
    haters = rng.random(n) < 0.5
    for _ in range(2):
        cols = rng.integers(0, n_features, n)
        mask = haters & (rng.random(n) < 0.7)
        weights[np.flatnonzero(mask), cols[mask]] -= 1.5
    if population is not None:
        weights += population.astype(np.float32)[None, :]
    activity = rng.lognormal(-0.32, 0.8, n)  # mean ~1
    impressions = np.clip(np.round(mean_impressions * activity), 3, 20 * mean_impressions).astype(np.int64)
    cat = slices["category"]
    return {
        "weights": weights,
        "concentration": concentration,
        "impressions": impressions,
        "popularity_sensitivity": rng.uniform(0.0, 1.0, n),
        "favourite": np.argmax(weights[:, cat], axis=1).astype(np.int64),
    }


def user_names(rng: np.random.Generator, start: int, n: int) -> list[str]:
    a = rng.integers(0, len(_ADJECTIVES), n)
    b = rng.integers(0, len(_ANIMALS), n)
    return [f"{_ADJECTIVES[x]}_{_ANIMALS[y]}_{start + i}" for i, (x, y) in enumerate(zip(a, b, strict=True))]


def taste_label(concentration: np.ndarray) -> np.ndarray:
    return np.where(concentration < FOCUSED_BELOW, "focused", np.where(concentration > 2.0, "broad", "mixed"))
