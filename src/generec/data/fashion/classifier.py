"""A category classifier of real Fashion-MNIST photos, in two roles that never share a model.

- *The evaluation's judge* (``generec train fashion-classifier``): trained on the 60,000 real training
  photos; it never sees a created image. Its rate on created products is compared with its accuracy
  on the real test photos (the paper's §3.3: a created product must be the product asked for), and
  its penultimate layer is the feature space of the evaluation's near-copy check
  (:func:`generec.evaluation.fashion.creation.memorisation_index`).
- *A creation model's reader* (``generec train fashion-classifier --photos-of MODEL``): trained only on
  the photos that model learnt from, and shipped in its folder (``reader/``). The creator reads the
  category of its own candidates with it, and its features are the screen's feature space for
  near-copies (:mod:`generec.creator.fashion`).

Example
-------
>>> from generec.data.fashion.source import load_split
>>> x, y = load_split("train")                                       # doctest: +SKIP
>>> clf = FashionClassifier(epochs=2).fit(x, y)                      # doctest: +SKIP
>>> clf.score(*load_split("test")) > 0.88                            # doctest: +SKIP
True
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from generec.errors import ModelError

SIDE = 28
N_CLASSES = 10
FEATURE_DIM = 128


class _Net(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * w * 7 * 7, FEATURE_DIM), nn.ReLU(),
        )  # fmt: skip
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURE_DIM, N_CLASSES))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return h, self.head(h)


def _as_input(images: np.ndarray) -> torch.Tensor:
    x = np.asarray(images)
    if x.ndim == 4 and x.shape[-1] == 3:
        x = x.astype(np.float32).mean(axis=-1)
    if x.ndim != 3 or x.shape[1:] != (SIDE, SIDE):
        raise ModelError(f"the fashion classifier reads 28x28 grayscale images [n, 28, 28], got {list(x.shape)}")
    return torch.from_numpy(x.astype(np.float32) / 255.0 - 0.5)[:, None]


class FashionClassifier:
    """A small CNN (four 3x3 convolutions, two poolings, a 128-d feature layer) over 28x28 grayscale photos.

    Parameters
    ----------
    epochs, batch_size, lr, width, seed
        Training length, batch, peak learning rate (Adam, cosine decay), channels of the
        first convolutions and the seed of initialisation and batch order.

    Example
    -------
    >>> clf = FashionClassifier(epochs=1, width=4)
    >>> x = np.random.default_rng(0).integers(0, 255, (40, 28, 28), dtype=np.uint8)
    >>> clf.fit(x, np.arange(40) % 10).predict(x).shape
    (40,)
    """

    def __init__(self, epochs: int = 3, batch_size: int = 128, lr: float = 2e-3, width: int = 32, seed: int = 0):
        self.epochs, self.batch_size, self.lr, self.width, self.seed = epochs, batch_size, lr, width, seed

    def _params(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("epochs", "batch_size", "lr", "width", "seed")}

    def fit(self, images: np.ndarray, labels: np.ndarray) -> FashionClassifier:
        """Train on real photos ``[n, 28, 28]`` uint8 with labels ``[n]``; returns self (``net_``, ``losses_``)."""
        x, y = _as_input(images), torch.as_tensor(np.asarray(labels), dtype=torch.long)
        if len(x) != len(y) or len(x) == 0:
            raise ModelError(f"fit needs as many labels as images, got {len(y)} labels for {len(x)} images")
        torch.manual_seed(self.seed)
        net = _Net(self.width)
        steps = self.epochs * -(-len(x) // self.batch_size)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.lr, total_steps=max(steps, 1))
        gen = torch.Generator().manual_seed(self.seed)
        self.losses_: list[float] = []
        net.train()
        for _ in range(self.epochs):
            order = torch.randperm(len(x), generator=gen)
            for s in range(0, len(x), self.batch_size):
                idx = order[s : s + self.batch_size]
                batch = x[idx]
                flip = torch.rand(len(idx), generator=gen) < 0.5  # products are left-right symmetric enough
                batch = torch.where(flip[:, None, None, None], batch.flip(-1), batch)
                loss = nn.functional.cross_entropy(net(batch)[1], y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                self.losses_.append(float(loss.detach()))
        self.net_ = net.eval()
        return self

    def _check(self) -> nn.Module:
        if not hasattr(self, "net_"):
            raise ModelError("the fashion classifier is not trained; call fit() or FashionClassifier.load(dir)")
        return self.net_

    @torch.no_grad()
    def _run(self, images: np.ndarray, batch: int = 1024) -> tuple[np.ndarray, np.ndarray]:
        net, x = self._check(), _as_input(images)
        feats, logits = [], []
        for s in range(0, len(x), batch):
            h, z = net(x[s : s + batch])
            feats.append(h.numpy())
            logits.append(z.numpy())
        empty = np.zeros((0, FEATURE_DIM), np.float32), np.zeros((0, N_CLASSES), np.float32)
        return (np.concatenate(feats), np.concatenate(logits)) if feats else empty

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Category probabilities ``[n, 10]`` of images ``[n, 28, 28]`` (or ``[n, 28, 28, 3]``)."""
        z = self._run(images)[1]
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Category index ``[n]`` of each image."""
        return self._run(images)[1].argmax(axis=1)

    def score(self, images: np.ndarray, labels: np.ndarray) -> float:
        """Accuracy on ``(images, labels)``."""
        return float((self.predict(images) == np.asarray(labels)).mean())

    def features(self, images: np.ndarray) -> np.ndarray:
        """Unit-length 128-d features ``[n, 128]`` (the layer before the category head)."""
        h = self._run(images)[0]
        return h / np.maximum(np.linalg.norm(h, axis=1, keepdims=True), 1e-8)

    def save(self, directory: str | Path, **facts: Any) -> Path:
        """Write ``config.json`` (parameters + ``facts``, e.g. the test accuracy) and ``weights.pt``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        torch.save(self._check().state_dict(), out / "weights.pt")
        config = {"kind": "fashion-classifier", "params": self._params(), "facts": facts}
        (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return out

    @classmethod
    def load(cls, directory: str | Path) -> FashionClassifier:
        """Read what :meth:`save` wrote; raises :class:`ModelError` when it is missing or not one."""
        root = Path(directory)
        try:
            config = json.loads((root / "config.json").read_text(encoding="utf-8"))
            if config.get("kind") != "fashion-classifier":
                raise ValueError("config.json is not a fashion classifier's")
            clf = cls(**config["params"])
            net = _Net(clf.width)
            net.load_state_dict(torch.load(root / "weights.pt", weights_only=True))
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelError(
                f"{root} holds no fashion classifier ({exc}); train one with `generec train fashion-classifier`"
            ) from None
        clf.net_ = net.eval()
        clf.facts_ = config.get("facts", {})
        return clf
