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

import numpy as np

from generec.data.sim.vocab import ATTRIBUTE_SLICES, ATTRIBUTES, N_FEATURES, VOCAB

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


def population_weights(seed: int, scale: float) -> np.ndarray:
    """The shared taste ``[N_FEATURES]`` float32 of a world: a fixed prior plus seeded popular values.

    ``scale`` multiplies the whole component (0 = no shared taste). Centred per attribute.
    """
    rng = chunk_rng(seed, 6, 0)
    w = np.zeros(N_FEATURES)
    for attr in ATTRIBUTES:
        sl = ATTRIBUTE_SLICES[attr]
        w[sl] = rng.normal(0.0, 0.5 * _ATTRIBUTE_IMPORTANCE[attr], len(VOCAB[attr]))
        w[sl] += [_POPULATION_PRIOR.get((attr, v), 0.0) for v in VOCAB[attr]]
        w[sl] -= w[sl].mean()
    return (scale * w).astype(np.float32)


def user_id(index: int) -> str:
    return f"u{index:07d}"


def chunk_rng(seed: int, tag: int, chunk: int) -> np.random.Generator:
    """Generator for one chunk of one generation stage; independent of chunk sizes elsewhere."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(tag), int(chunk)]))


def draw_users(
    rng: np.random.Generator, n: int, mean_impressions: float, population: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Draw ``n`` users: ``weights [n, N_FEATURES]`` float32 plus per-user traits.

    ``population`` (from :func:`population_weights`) is added to every user's own weights.

    Returns a dict with ``weights``, ``concentration``, ``impressions`` (how many
    items the user is shown over the event window), ``popularity_sensitivity`` and
    ``favourite`` (index of the top-weighted category, used by the exposure policy).
    """
    concentration = np.exp(rng.uniform(np.log(0.12), np.log(4.0), n))
    importance = rng.dirichlet(np.full(len(ATTRIBUTES), 3.0), n) * len(ATTRIBUTES)
    weights = np.zeros((n, N_FEATURES), dtype=np.float32)
    for j, attr in enumerate(ATTRIBUTES):
        k = len(VOCAB[attr])
        g = rng.gamma(concentration[:, None], 1.0, (n, k)) + 1e-12
        p = g / g.sum(axis=1, keepdims=True)
        scale = _ATTRIBUTE_IMPORTANCE[attr] * importance[:, j : j + 1] * 1.6
        weights[:, ATTRIBUTE_SLICES[attr]] = (scale * (p - 1.0 / k)).astype(np.float32)
    # Aversions: about half the users hate one or two specific values.
    haters = rng.random(n) < 0.5
    for _ in range(2):
        cols = rng.integers(0, N_FEATURES, n)
        mask = haters & (rng.random(n) < 0.7)
        weights[np.flatnonzero(mask), cols[mask]] -= 1.5
    if population is not None:
        weights += population.astype(np.float32)[None, :]
    activity = rng.lognormal(-0.32, 0.8, n)  # mean ~1
    impressions = np.clip(np.round(mean_impressions * activity), 3, 20 * mean_impressions).astype(np.int64)
    cat = ATTRIBUTE_SLICES["category"]
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
