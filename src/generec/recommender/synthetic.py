"""Tiny interaction data with planted structure, for tests, examples and smoke runs.

Items belong to one of ``n_topics`` topics; each user prefers one topic and
interacts mostly with its items. Item features are noisy views of the topic
(a "text" and a "visual" modality), so a model that uses features or learns
the co-interaction structure must beat random ranking by a wide margin.
"""

from __future__ import annotations

import numpy as np

from generec.data.dataset import Split


def planted_topics(n_users: int, n_items: int, n_topics: int) -> tuple[np.ndarray, np.ndarray]:
    """Topic of each user and of each item (round-robin, so every topic is populated)."""
    return np.arange(n_users) % n_topics, np.arange(n_items) % n_topics


def topic_features(
    item_topics: np.ndarray, n_topics: int, dim: int, noise: float, rng: np.random.Generator
) -> np.ndarray:
    """Feature vectors that reveal an item's topic through a random projection plus noise."""
    centers = rng.normal(size=(n_topics, dim))
    return (centers[item_topics] + noise * rng.normal(size=(len(item_topics), dim))).astype(np.float32)


def planted_split(
    n_users: int = 120,
    n_items: int = 80,
    n_topics: int = 4,
    per_user: int = 12,
    on_topic: float = 0.9,
    seed: int = 0,
) -> tuple[Split, dict[str, np.ndarray]]:
    """A :class:`Split` (per user: 2 valid, 2 test, rest train) and ``{"text", "visual"}`` item features."""
    rng = np.random.default_rng(seed)
    user_topics, item_topics = planted_topics(n_users, n_items, n_topics)
    pairs = []
    for u in range(n_users):
        liked = np.flatnonzero(item_topics == user_topics[u])
        n_on = min(len(liked), int(round(per_user * on_topic)))
        items = set(rng.choice(liked, size=n_on, replace=False).tolist())
        while len(items) < per_user:
            items.add(int(rng.integers(n_items)))
        order = rng.permutation(sorted(items))
        pairs.extend((u, int(i), k) for k, i in enumerate(order))
    arr = np.asarray(pairs, dtype=np.int64)
    pos = arr[:, 2]
    test = arr[pos < 2][:, :2]
    valid = arr[(pos >= 2) & (pos < 4)][:, :2]
    train = arr[pos >= 4][:, :2]
    features = {
        "text": topic_features(item_topics, n_topics, 16, 0.3, rng),
        "visual": topic_features(item_topics, n_topics, 24, 0.5, rng),
    }
    split = Split(
        user_ids=np.asarray([f"u{u}" for u in range(n_users)]),
        item_ids=np.asarray([f"i{i}" for i in range(n_items)]),
        train=train,
        valid=valid,
        test=test,
        description=f"planted topics (n_topics={n_topics}, on_topic={on_topic}, seed={seed})",
    )
    return split, features
