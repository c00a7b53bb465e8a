"""Experiments: several recommenders, one split, one table (Cornac's ``Experiment`` pattern).

Example
-------
>>> from generec.recommender import BPRMF, Popularity
>>> from generec.recommender.synthetic import planted_split
>>> split, feats = planted_split(seed=0)
>>> table = Experiment(split, [Popularity(), BPRMF(epochs=3, verbose=False)], ks=(20,),
...                    features=feats, verbose=False).run()
>>> list(table.index)
['pop', 'bpr']
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from generec.data.dataset import Split
from generec.errors import DataError
from generec.evaluation.ranking import evaluate
from generec.recommender.base import Recommender

METRICS = ("recall", "ndcg", "precision")


def random_split(
    pairs: np.ndarray,
    user_ids: np.ndarray,
    item_ids: np.ndarray,
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> Split:
    """Per-user random ratio split (RecBole's default ``RO_RS`` 8:1:1, grouped by user).

    Each user's distinct interactions are shuffled; ``floor(ratio * n)`` go to
    valid and to test, the rest to train (so every user keeps training data).
    """
    if not np.isclose(sum(ratios), 1.0) or min(ratios) < 0:
        raise DataError(f"split ratios must be non-negative and sum to 1, got {ratios}")
    pairs = np.unique(np.asarray(pairs, dtype=np.int64).reshape(-1, 2), axis=0)
    if len(pairs) == 0:
        raise DataError("no interactions to split")
    rng = np.random.default_rng(seed)
    pairs = pairs[rng.permutation(len(pairs))]
    pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]  # group by user, random order inside
    sizes = np.bincount(pairs[:, 0], minlength=len(user_ids))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.arange(len(pairs)) - starts[pairs[:, 0]]
    n = sizes[pairs[:, 0]]
    n_valid = np.floor(ratios[1] * n).astype(np.int64)
    n_test = np.floor(ratios[2] * n).astype(np.int64)
    is_test = rank >= n - n_test
    is_valid = ~is_test & (rank >= n - n_test - n_valid)
    desc = f"per-user random split {ratios[0]:g}/{ratios[1]:g}/{ratios[2]:g} (seed={seed})"
    return Split(
        np.asarray(user_ids),
        np.asarray(item_ids),
        pairs[~is_test & ~is_valid],
        pairs[is_valid],
        pairs[is_test],
        desc,
    )


class Experiment:
    """Fit each model on ``split``, rank the full corpus, and tabulate metrics and costs.

    Parameters
    ----------
    split
        Interactions to train (``train``), early-stop (``valid``) and test (``test``) on.
    models
        Unfitted recommenders; each is fitted with ``features``.
    metrics
        Any of ``"recall"``, ``"ndcg"``, ``"precision"``.
    ks
        Cut-offs.
    features
        Item features per modality, passed to every model's ``fit``.
    """

    def __init__(
        self,
        split: Split,
        models: Sequence[Recommender],
        metrics: Sequence[str] = METRICS,
        ks: Sequence[int] = (10, 20, 50),
        features: Mapping[str, np.ndarray] | None = None,
        on: str = "test",
        verbose: bool = True,
    ) -> None:
        unknown = sorted(set(metrics) - set(METRICS))
        if unknown:
            raise DataError(f"unknown metric(s) {unknown}; choose from {list(METRICS)}")
        if not models:
            raise DataError("an experiment needs at least one model")
        self.split, self.models, self.metrics = split, list(models), list(metrics)
        self.ks, self.features, self.on, self.verbose = list(ks), features, on, verbose

    def _row(self, model: Recommender) -> dict[str, float]:
        started = time.perf_counter()
        model.fit(self.split, features=self.features)
        fit_s = time.perf_counter() - started
        started = time.perf_counter()
        scores = evaluate(model, self.split, on=self.on, ks=self.ks, progress=self.verbose)
        eval_s = time.perf_counter() - started
        row = {f"{m}@{k}": scores[f"{m}@{k}"] for k in self.ks for m in self.metrics}
        history = getattr(model, "history_", [])
        row["epochs"] = len(history)
        row["best_epoch"] = getattr(model, "best_epoch_", np.nan)
        row["epoch_s"] = float(np.median([h["seconds"] for h in history])) if history else np.nan
        row["fit_s"] = fit_s
        row["eval_s"] = eval_s
        return row

    def run(self) -> pd.DataFrame:
        """Fit and evaluate every model; one row per model (indexed by its name)."""
        rows, names = [], []
        for model in self.models:
            rows.append(self._row(model))
            name = model.name
            names.append(name if name not in names else f"{name}#{len(names)}")
        self.result_ = pd.DataFrame(rows, index=pd.Index(names, name="model"))
        return self.result_
