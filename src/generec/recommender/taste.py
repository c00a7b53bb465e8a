"""A user's taste over items' attributes: population weights learned from every user, each user's own shrunk to them.

The recommender's learned vectors know a user only through the ~10 items they clicked, and know
a new item (one GeneRec made; paper §3, the generator's output ranked with human items) only
through its content features. The attribute values a made item was asked for ("a red cat on
the beach") are what it is known by best, and what a user reacts to in the first place.

:class:`AttributeTaste` models what showing an item to a user gives — nothing (passed over), a
click, or a like (a click that satisfied) — as a logistic function of the item's attribute values::

    outcome(u, i) = sigmoid(b_u + w_u · x_i),   outcome = 0 (shown), 1/2 (clicked), 1 (liked)

(a binomial of two trials, the click and the like.) ``x_i`` holds one indicator per (attribute,
value) the catalogue uses, centred per attribute (minus the share of items with that value among
those with the attribute), so an item that lacks an attribute, or has a value the catalogue never
used, scores as the average item does on it rather than as the worst. ``fit`` learns the
*population* weights ``w`` from every user's impressions, clicks and likes (a regression over
items' summed outcomes). At ranking time :meth:`user_weights` fits one user's ``w_u`` on their own
events by maximum a posteriori with a Gaussian prior centred on the population weights
(``shrinkage`` is its precision): a user with a few events gets mostly the population's taste, a
user with many gets their own. Values nobody in the user's history touched keep the population
weight, which is why an item made of a user's favourite values of every attribute ranks high even
when they never saw one of those values. Counting likes besides clicks raised both the simulated
satisfaction of the demo world's feeds and the share of taste-made items in users' top 20
(``bench/bench_feed.py``).

Example
-------
>>> items = {"a": [("colour", "red")], "b": [("colour", "blue")], "c": [("colour", "red")]}
>>> shown = [("u1", "a"), ("u1", "b"), ("u2", "b"), ("u2", "c")]
>>> taste = AttributeTaste().fit(items, shown, clicked=[("u1", "a"), ("u2", "c")])
>>> w = taste.user_weights(taste.encode([items["a"], items["b"]]), [1.0, 0.0])
>>> bool(taste.encode([items["a"]]) @ w > taste.encode([items["b"]]) @ w)
True
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from generec.errors import DataError, ModelError
from generec.types import EventKind

Pair = tuple[str, str]
"""An (attribute, value) pair, e.g. ``("colour", "red")``."""

TASTE_FILE = "taste.json"

OUTCOMES = {EventKind.LIKE: 1.0, EventKind.CLICK: 0.5}
"""What showing an item gave: 1 liked, ½ clicked, 0 passed over (an impression, a skip, any other event)."""


class AttributeTaste:
    """Logistic taste over attribute values: population weights, and a user's own shrunk towards them.

    Parameters
    ----------
    shrinkage
        Precision of the prior that ties a user's weights to the population's: larger keeps users
        closer to the population. 10 on the demo world, chosen on validation clicks among 5 / 10 / 20
        (``recommender.taste_shrinkage``).
    population_l2
        L2 penalty of the population fit (weights and bias), so a value on few items stays small.
    max_features
        Most (attribute, value) pairs kept, the commonest first (catalogues described by title
        words have many).
    min_items
        A pair must be on at least this many items to be kept.
    iterations
        Newton steps of each fit (both converge in a few: the problems are small and convex).
    """

    def __init__(self, shrinkage: float = 10.0, population_l2: float = 1.0, max_features: int = 256,
                 min_items: int = 2, iterations: int = 8) -> None:  # fmt: skip
        self.shrinkage = shrinkage
        self.population_l2 = population_l2
        self.max_features = max_features
        self.min_items = min_items
        self.iterations = iterations

    # ----------------------------------------------------------------- fit
    def fit(self, item_pairs: Mapping[str, Collection[Pair]], shown: Iterable[tuple[str, str]],
            clicked: Iterable[tuple[str, str]], liked: Iterable[tuple[str, str]] = ()) -> AttributeTaste:  # fmt: skip
        """Learn the vocabulary and the population weights.

        ``item_pairs``: item id -> its (attribute, value) pairs; ``shown``: ``(user, item)`` impressions;
        ``clicked`` and ``liked``: ``(user, item)`` clicks and likes (a liked item counts as clicked, a
        clicked one as shown). With no shown item passed over there is nothing to contrast, and the
        population weights are 0.
        """
        self._check_params()
        if not item_pairs:
            raise DataError("an attribute taste needs items with attributes; the catalogue has none")
        self._fit_vocabulary(item_pairs)
        gave: dict[tuple[str, str], float] = dict.fromkeys(((str(u), str(i)) for u, i in shown), 0.0)
        for kind, pairs in ((EventKind.CLICK, clicked), (EventKind.LIKE, liked)):
            for u, i in pairs:
                key = (str(u), str(i))
                gave[key] = max(gave.get(key, 0.0), OUTCOMES[kind])
        n_shown: Counter[str] = Counter(i for _, i in gave if i in item_pairs)
        won: Counter[str] = Counter()
        for (_, i), value in gave.items():
            if i in item_pairs:
                won[i] += value
        ids = sorted(n_shown)
        self.n_exposures_ = int(sum(n_shown.values()))
        self.weights_ = np.zeros(len(self.vocabulary_))
        self.bias_ = 0.0
        if not ids or sum(won.values()) in (0, self.n_exposures_):
            return self  # nothing or everything won: no contrast to learn from
        x = self.encode([item_pairs[i] for i in ids])
        n = np.asarray([n_shown[i] for i in ids], dtype=np.float64)
        k = np.asarray([won[i] for i in ids], dtype=np.float64)
        prior = np.zeros(x.shape[1] + 1)
        prior[-1] = float(np.log(k.sum() / (n.sum() - k.sum())))
        theta = _newton(x, k, n, prior, np.full(x.shape[1] + 1, self.population_l2), self.iterations)
        self.weights_, self.bias_ = theta[:-1], float(theta[-1])
        return self

    def _check_params(self) -> None:
        if not (self.shrinkage > 0 and self.population_l2 > 0 and self.max_features >= 1 and self.iterations >= 1):
            raise ModelError(
                f"AttributeTaste needs shrinkage > 0, population_l2 > 0, max_features >= 1 and iterations >= 1; "
                f"got {self.shrinkage}, {self.population_l2}, {self.max_features}, {self.iterations}"
            )

    def _fit_vocabulary(self, item_pairs: Mapping[str, Collection[Pair]]) -> None:
        counts = Counter(p for pairs in item_pairs.values() for p in set(_pairs(pairs)))
        kept = [p for p, c in counts.most_common() if c >= self.min_items][: self.max_features]
        self.vocabulary_: list[Pair] = sorted(kept)
        self._index_vocabulary()
        # Centre per attribute: the mean indicator among the items that have the attribute.
        having: Counter[str] = Counter(a for pairs in item_pairs.values() for a in {a for a, _ in _pairs(pairs)})
        self.centre_ = np.asarray([counts[p] / having[p[0]] for p in self.vocabulary_], dtype=np.float64)

    def _index_vocabulary(self) -> None:
        self.index_ = {p: k for k, p in enumerate(self.vocabulary_)}
        self.columns_: dict[str, list[int]] = {}  # attribute -> its columns
        for k, (a, _) in enumerate(self.vocabulary_):
            self.columns_.setdefault(a, []).append(k)

    # -------------------------------------------------------------- scoring
    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise ModelError("AttributeTaste is not fitted yet: call fit(...) or AttributeTaste.load(directory)")

    def encode(self, items: Sequence[Collection[Pair]]) -> np.ndarray:
        """``(n, d)`` centred indicators of each item's pairs; an attribute an item lacks (or has only
        values the vocabulary does not know) contributes 0, as the average item does."""
        self._check_fitted()
        out = np.zeros((len(items), len(self.vocabulary_)))
        for row, pairs in enumerate(items):
            known = [self.index_[p] for p in set(_pairs(pairs)) if p in self.index_]
            for a in {self.vocabulary_[k][0] for k in known}:
                cols = self.columns_[a]
                out[row, cols] = -self.centre_[cols]
            out[row, known] += 1.0
        return out

    def user_weights(self, shown: np.ndarray, outcomes: Sequence[float]) -> np.ndarray:
        """A user's weights from the items they were shown (``encode``-d rows) and what each gave:
        0 passed over, 0.5 clicked, 1 liked.

        The maximum a posteriori weights under a prior centred on the population's with precision
        ``shrinkage``; with no rows, the population's weights.
        """
        self._check_fitted()
        d = len(self.vocabulary_)
        x = np.asarray(shown, dtype=np.float64)
        if x.ndim != 2:  # no rows, or one row
            x = x.reshape(-1, d) if d else np.zeros((0, 0))
        if x.shape[1] != d:
            raise DataError(f"shown rows must be encode()-d items with {d} columns, got {x.shape[1]}")
        y = np.asarray(outcomes, dtype=np.float64)
        if len(y) != len(x):
            raise DataError(f"user_weights needs one outcome per shown row, got {len(y)} for {len(x)}")
        if len(y) and not ((y >= 0) & (y <= 1)).all():
            raise DataError("outcomes must lie in [0, 1]: 0 passed over, 0.5 clicked, 1 liked")
        if not len(x):
            return self.weights_.copy()
        prior = np.append(self.weights_, self.bias_)
        precision = np.append(np.full(len(self.weights_), self.shrinkage), 1.0)
        return _newton(x, y, np.ones(len(y)), prior, precision, self.iterations)[:-1]

    def leanings(self, weights: np.ndarray, choices: Mapping[str, Sequence[str]],
                 avoid: Collection[Pair] = ()) -> dict[str, dict[str, float]]:  # fmt: skip
        """Per attribute of ``choices``, how much ``weights`` (a user's, from :meth:`user_weights`) weigh each of
        its choices: the user's history read in the attribute space.

        Centring shifts every value of an attribute by the same amount, so within an attribute the weights
        order the values as the user's taste does. Values in ``avoid`` (a standing "no dark ones") are left
        out; an attribute with fewer than two choices the vocabulary knows, or whose known choices all weigh
        the same, is left out (nothing to say about it).
        """
        self._check_fitted()
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(self.vocabulary_),):
            raise DataError(f"weights must have one value per vocabulary pair ({len(self.vocabulary_)}), "
                            f"got shape {w.shape}")  # fmt: skip
        banned = set(_pairs(avoid))
        out: dict[str, dict[str, float]] = {}
        for attribute, values in choices.items():
            known = {p[1]: float(w[self.index_[p]]) for v in values
                     if (p := (str(attribute), str(v))) in self.index_ and p not in banned}  # fmt: skip
            if len(known) >= 2 and max(known.values()) > min(known.values()):
                out[str(attribute)] = known
        return out

    # ---------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> Path:
        """Write ``taste.json`` (parameters, vocabulary, centres, population weights) into ``directory``."""
        self._check_fitted()
        path = Path(directory) / TASTE_FILE
        state = {"params": {"shrinkage": self.shrinkage, "population_l2": self.population_l2,
                            "max_features": self.max_features, "min_items": self.min_items,
                            "iterations": self.iterations},
                 "vocabulary": [list(p) for p in self.vocabulary_], "centre": self.centre_.tolist(),
                 "weights": self.weights_.tolist(), "bias": self.bias_, "exposures": self.n_exposures_}  # fmt: skip
        path.write_text(json.dumps(state) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: str | Path) -> AttributeTaste:
        """Read what :meth:`save` wrote; :class:`ModelError` when it is missing or unreadable."""
        path = Path(directory) / TASTE_FILE
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            taste = cls(**state["params"])
            taste.vocabulary_ = [(str(a), str(v)) for a, v in state["vocabulary"]]
            taste.centre_ = np.asarray(state["centre"], dtype=np.float64)
            taste.weights_ = np.asarray(state["weights"], dtype=np.float64)
            taste.bias_ = float(state["bias"])
            taste.n_exposures_ = int(state.get("exposures", 0))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{path} holds no readable attribute taste ({exc}); retrain the recommender") from exc
        if not (len(taste.vocabulary_) == len(taste.centre_) == len(taste.weights_)):
            raise ModelError(f"{path}: vocabulary, centres and weights differ in length; retrain the recommender")
        taste._index_vocabulary()
        return taste


def favourite_values(leanings: Mapping[str, Mapping[str, float]]) -> dict[str, str]:
    """Per attribute of :meth:`AttributeTaste.leanings`, its value of the highest weight."""
    return {a: max(w, key=lambda v: w[v]) for a, w in leanings.items() if w}


def outcomes(events: Iterable[tuple[str, EventKind | str]]) -> dict[str, float]:
    """What showing each item gave a user, from their ``(item id, event kind)`` pairs: the best of
    :data:`OUTCOMES` over the item's events (0 for an item only shown, or reacted to otherwise)."""
    out: dict[str, float] = {}
    for item_id, kind in events:
        out[str(item_id)] = max(out.get(str(item_id), 0.0), OUTCOMES.get(EventKind(kind), 0.0))
    return out


def _pairs(pairs: Iterable[Any]) -> Iterable[Pair]:
    return ((str(a), str(v)) for a, v in pairs)


def _newton(x: np.ndarray, k: np.ndarray, n: np.ndarray, prior: np.ndarray, precision: np.ndarray,
            iterations: int) -> np.ndarray:  # fmt: skip
    """MAP of a binomial logistic regression (``k`` of ``n`` per row, bias last) under a Gaussian prior."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    theta = prior.copy()
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ theta, -30.0, 30.0)))
        grad = xb.T @ (n * p - k) + precision * (theta - prior)
        hess = (xb * (n * p * (1.0 - p))[:, None]).T @ xb + np.diag(precision)
        step = np.linalg.solve(hess, grad)
        theta = theta - step
        if float(np.abs(step).max()) < 1e-6:
            break
    return theta
