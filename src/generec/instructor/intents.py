"""Intent classification: multinomial logistic regression on sentence embeddings.

A small, well-understood model on top of the packaged sentence encoder: the
features are the sentence embedding plus a handful of structural signals the
slot filler found (an item reference, a length, a negation, content values),
and the weights are fitted with L-BFGS under an L2 penalty. It learns from
examples (the world's training instructions plus the instructor's own seeds);
there is no keyword rule anywhere.

Example
-------
>>> import numpy as np
>>> X = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
>>> clf = IntentClassifier(l2=1e-3).fit(X, ["like", "like", "dislike", "dislike"])
>>> clf.predict(np.array([[0.95, 0.05]]))
['like']
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from generec.errors import ModelError


class IntentClassifier:
    """L2-regularised multinomial logistic regression (softmax over intents).

    Parameters
    ----------
    l2 : float
        Penalty on the squared weights (not the bias), per example.
    max_iter : int
        L-BFGS iterations.

    Attributes
    ----------
    classes_ : list of str
        Intent labels in column order.
    coef_ : ndarray of shape (n_features, n_classes)
    intercept_ : ndarray of shape (n_classes,)
    """

    def __init__(self, l2: float = 1e-3, max_iter: int = 500) -> None:
        self.l2 = l2
        self.max_iter = max_iter

    def fit(self, X: np.ndarray, y: Sequence[str]) -> IntentClassifier:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or len(X) != len(y) or len(X) == 0:
            raise ModelError(f"need a 2-D feature matrix with one label per row, got {X.shape} and {len(y)} labels")
        self.classes_ = sorted(set(y))
        if len(self.classes_) < 2:
            raise ModelError("intent classification needs examples of at least two intents")
        index = {c: i for i, c in enumerate(self.classes_)}
        Y = np.zeros((len(y), len(self.classes_)))
        Y[np.arange(len(y)), [index[c] for c in y]] = 1.0
        d, k, n = X.shape[1], len(self.classes_), len(X)

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            W, b = theta[: d * k].reshape(d, k), theta[d * k :]
            Z = X @ W + b
            Z -= Z.max(axis=1, keepdims=True)
            logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
            P = np.exp(logp)
            value = -(Y * logp).sum() / n + 0.5 * self.l2 * (W**2).sum()
            G = (P - Y) / n
            return value, np.concatenate([(X.T @ G + self.l2 * W).ravel(), G.sum(axis=0)])

        # Zero start + deterministic L-BFGS: the same data gives the same model.
        res = minimize(loss, np.zeros(d * k + k), jac=True, method="L-BFGS-B", options={"maxiter": self.max_iter})
        self.coef_ = res.x[: d * k].reshape(d, k)
        self.intercept_ = res.x[d * k :]
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        if not hasattr(self, "coef_"):
            raise ModelError("the intent classifier is not fitted: call fit() or load() first")
        Z = np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        return P / P.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> list[str]:
        return [self.classes_[i] for i in self.predict_proba(X).argmax(axis=1)]

    def save(self, path: str | Path) -> None:
        np.savez(path, coef=self.coef_, intercept=self.intercept_, classes=np.array(self.classes_), l2=self.l2)

    @classmethod
    def load(cls, path: str | Path) -> IntentClassifier:
        try:
            data = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ModelError(f"could not read an intent classifier from {path}: {exc}") from exc
        clf = cls(l2=float(data["l2"]))
        clf.coef_, clf.intercept_ = data["coef"], data["intercept"]
        clf.classes_ = [str(c) for c in data["classes"]]
        return clf
