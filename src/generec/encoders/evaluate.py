"""How good is an encoder? Zero-shot caption -> clip retrieval and linear attribute probes.

* **Retrieval**: ``n`` held-out clips; each clip is the normalised mean of its frames'
  features; each clip's caption ranks all ``n`` clips. R@k is the fraction of captions
  whose clip is among the top k (a clip with the *identical* caption also counts: the
  two cannot be told apart from the text). Chance R@k is ``k / n``.
* **Probing**: a multinomial logistic regression on frozen clip features predicts each
  ground-truth attribute; accuracy on a held-out half, next to the majority-class rate.

Example
-------
>>> report = evaluate_encoder(encoder, clips, n_retrieval=100)  # doctest: +SKIP
>>> print(report.table())  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from generec.encoders.base import Encoder, l2_normalize
from generec.encoders.corpus import Clip
from generec.errors import DataError


@dataclass
class EncoderReport:
    """Numbers from :func:`evaluate_encoder`; ``probe`` maps attribute -> (accuracy, majority rate)."""

    encoder_id: str
    n_retrieval: int
    recall: dict[int, float]
    probe: dict[str, tuple[float, float]] = field(default_factory=dict)
    n_probe: int = 0
    seconds: float = 0.0

    def chance(self, k: int) -> float:
        return min(1.0, k / self.n_retrieval)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["recall"] = {f"R@{k}": v for k, v in self.recall.items()}
        d["chance"] = {f"R@{k}": self.chance(k) for k in self.recall}
        return d

    def table(self) -> str:
        """A plain-text table (what ``generec train encoder`` and ``bench/bench_encoder.py`` print)."""
        lines = [f"encoder {self.encoder_id}", f"caption -> clip retrieval among {self.n_retrieval} held-out clips"]
        lines.append(f"  {'metric':<10} {'value':>7} {'chance':>7}")
        for k, v in self.recall.items():
            lines.append(f"  {'R@' + str(k):<10} {v:>7.3f} {self.chance(k):>7.3f}")
        if self.probe:
            lines.append(f"attribute probes (logistic regression on frozen features, {self.n_probe} clips, 50/50)")
            lines.append(f"  {'attribute':<10} {'acc':>7} {'majority':>8}")
            for attr, (acc, base) in self.probe.items():
                lines.append(f"  {attr:<10} {acc:>7.3f} {base:>8.3f}")
        lines.append(f"evaluated in {self.seconds:.1f} s")
        return "\n".join(lines)


def recall_at_k(text: np.ndarray, clips: np.ndarray, captions: Sequence[str], ks: Sequence[int] = (1, 5)):
    """R@k of caption ``i`` retrieving clip ``i`` (or any clip with the same caption) among all clips."""
    sims = text @ clips.T
    caps = np.asarray(captions, dtype=object)
    correct = caps[:, None] == caps[None, :]
    # Rank of the best correct clip: how many clips score strictly higher than it.
    best = np.where(correct, sims, -np.inf).max(axis=1)
    rank = (sims > best[:, None]).sum(axis=1)
    return {int(k): float(np.mean(rank < k)) for k in ks}


def _fit_probe(x: np.ndarray, y: np.ndarray, n_classes: int, seed: int, l2: float = 1e-3) -> torch.nn.Linear:
    torch.manual_seed(seed)
    lin = torch.nn.Linear(x.shape[1], n_classes)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.LBFGS(lin.parameters(), lr=1.0, max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(lin(xt), yt) + l2 * lin.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return lin


def probe_attributes(
    features: np.ndarray, attributes: Sequence[dict[str, str]], seed: int = 0
) -> dict[str, tuple[float, float]]:
    """Accuracy of a linear probe per attribute (train on a random half, test on the other)."""
    n = len(features)
    if n < 4:
        raise DataError(f"attribute probing needs at least 4 clips, got {n}")
    order = np.random.default_rng(seed).permutation(n)
    tr, te = order[: n // 2], order[n // 2 :]
    out = {}
    for attr in attributes[0]:
        values = [a.get(attr, "") for a in attributes]
        classes, y = np.unique(np.asarray(values, dtype=object), return_inverse=True)
        y = y.astype(np.int64)
        lin = _fit_probe(features[tr].astype(np.float32), y[tr], len(classes), seed)
        with torch.no_grad():
            pred = lin(torch.from_numpy(features[te].astype(np.float32))).argmax(dim=1).numpy()
        majority = np.bincount(y[tr], minlength=len(classes)).argmax()
        out[attr] = (float(np.mean(pred == y[te])), float(np.mean(y[te] == majority)))
    return out


def clip_features(encoder: Encoder, clips: Sequence[Clip]) -> np.ndarray:
    """``[len(clips), dim]``: each clip's normalised mean frame feature (all frames encoded in one batched call)."""
    frames = np.concatenate([c.frames for c in clips])
    per_frame = encoder.encode_images(frames)
    bounds = np.cumsum([0] + [len(c.frames) for c in clips])
    return l2_normalize(np.stack([per_frame[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]))


def evaluate_encoder(
    encoder: Encoder,
    clips: Sequence[Clip],
    n_retrieval: int = 100,
    ks: Sequence[int] = (1, 5),
    probe: bool = True,
    seed: int = 0,
) -> EncoderReport:
    """Retrieval among ``n_retrieval`` clips drawn (with ``seed``) from ``clips``, plus probes on all of them."""
    start = time.perf_counter()
    if len(clips) < n_retrieval:
        raise DataError(f"retrieval among {n_retrieval} clips needs that many held-out clips, got {len(clips)}")
    pooled = clip_features(encoder, clips)
    pick = np.sort(np.random.default_rng(seed).choice(len(clips), n_retrieval, replace=False))
    captions = [clips[i].caption for i in pick]
    recall = recall_at_k(encoder.encode_texts(captions), pooled[pick], captions, ks)
    probes: dict[str, tuple[float, float]] = {}
    if probe and clips[0].attributes:
        probes = probe_attributes(pooled, [c.attributes for c in clips], seed)
    return EncoderReport(
        encoder.id, n_retrieval, recall, probes, len(clips) if probes else 0, time.perf_counter() - start
    )
