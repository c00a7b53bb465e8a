"""The result of a personalization experiment (Tables 1-2): per-run values, table, gaps, CSV and plot.

Example
-------
>>> r = PersonalizationResult("T", ("A", "B"), {("A", "m@1"): np.array([1.0, 2.0]),
...                                             ("B", "m@1"): np.array([0.5, 1.0])}, "", (("A", "B"),))
>>> r.gap("A", "B", "m@1")
(0.75, 0.3535533905932738)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


def run_metrics(runs: dict[tuple[str, str], np.ndarray]) -> list[str]:
    """The metric names of per-run values keyed ``(method, metric)``, in first-seen order."""
    return list(dict.fromkeys(m for _, m in runs))


def mean_sd_table(runs: dict[tuple[str, str], np.ndarray], methods: tuple[str, ...]) -> pd.DataFrame:
    """One row per method: each metric's mean over runs and its sample standard deviation (``<metric> sd``)."""
    rows = {}
    for method in methods:
        row = {}
        for metric in run_metrics(runs):
            v = runs[(method, metric)]
            row[metric], row[f"{metric} sd"] = float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
        rows[method] = row
    return pd.DataFrame.from_dict(rows, orient="index")


@dataclass
class PersonalizationResult:
    """Per-run metric values; ``table`` (mean and spread) and ``gaps`` summarise them."""

    title: str
    methods: tuple[str, ...]
    runs: dict[tuple[str, str], np.ndarray]  # (method, metric) -> [runs]
    note: str
    orderings: tuple[tuple[str, str], ...] = ()
    """The (better, worse) pairs the paper claims; :attr:`gaps` reports each on every metric."""

    @property
    def metrics(self) -> list[str]:
        return run_metrics(self.runs)

    @property
    def table(self) -> pd.DataFrame:
        return mean_sd_table(self.runs, self.methods)

    def gap(self, better: str, worse: str, metric: str) -> tuple[float, float]:
        """Mean and standard deviation over runs of ``better - worse`` on ``metric``."""
        d = self.runs[(better, metric)] - self.runs[(worse, metric)]
        return float(d.mean()), float(d.std(ddof=1)) if len(d) > 1 else 0.0

    @property
    def gaps(self) -> pd.DataFrame:
        """Per ordering and metric: mean and sd over runs of ``better - worse``, the share of runs it won and
        ``t`` (mean over its standard error across runs: ``|t| < 2`` is a tie within the run-to-run noise)."""
        pairs = self.orderings or tuple(zip(self.methods[1:], self.methods[:-1], strict=True))
        rows = []
        for better, worse in pairs:
            for metric in self.metrics:
                mean, sd = self.gap(better, worse, metric)
                won = float(np.mean(self.runs[(better, metric)] > self.runs[(worse, metric)]))
                n = len(self.runs[(better, metric)])
                t = mean / (sd / np.sqrt(n)) if sd > 0 else float(np.sign(mean) * np.inf)
                rows.append({"better": better, "worse": worse, "metric": metric, "gap": mean, "sd": sd,
                             "holds": mean > 0, "runs_won": won, "t": t})  # fmt: skip
        return pd.DataFrame(rows)

    def format(self) -> str:
        t = self.table
        cells = {m: [f"{t.loc[r, m]:.4f} ± {t.loc[r, m + ' sd']:.4f}" for r in t.index] for m in self.metrics}
        body = pd.DataFrame(cells, index=t.index).to_string()
        return f"{self.title}\n{self.note}\n{body}"

    def save(self, out_dir: str | Path, stem: str) -> tuple[Path, Path]:
        """Write ``<stem>.csv`` (table), ``<stem>_gaps.csv`` and ``<stem>.png`` (bars with spread)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        csv = out / f"{stem}.csv"
        self.table.to_csv(csv, index_label="method")
        self.gaps.to_csv(out / f"{stem}_gaps.csv", index=False)
        # one row per K, one column per metric family (Cosine, PS, Click, Like)
        families = list(dict.fromkeys(m.split("@")[0] for m in self.metrics))
        cuts = list(dict.fromkeys(m.split("@")[-1] for m in self.metrics))
        fig, axes = plt.subplots(len(cuts), len(families), figsize=(3.2 * len(families), 3.2 * len(cuts)),
                                 squeeze=False)  # fmt: skip
        t = self.table
        for metric in self.metrics:
            family, cut = metric.split("@")[0], metric.split("@")[-1]
            ax = axes[cuts.index(cut), families.index(family)]
            ax.bar(range(len(t)), t[metric], yerr=t[f"{metric} sd"], capsize=3, color="C0")
            lo = (t[metric] - 3 * t[f"{metric} sd"]).min()
            hi = (t[metric] + 3 * t[f"{metric} sd"]).max()
            ax.set_ylim(lo - 0.05 * (hi - lo + 1e-9), hi + 0.05 * (hi - lo + 1e-9))
            ax.set_xticks(range(len(t)), [_short(m) for m in t.index], rotation=30, ha="right", fontsize=7)
            ax.set_title(metric, fontsize=9)
        fig.suptitle(self.title, fontsize=9)
        fig.tight_layout()
        png = out / f"{stem}.png"
        fig.savefig(png, dpi=120)
        plt.close(fig)
        return csv, png


def _short(method: str) -> str:
    """Bar label: "Selection (Eq. 2 + cover prior)" gives "Eq. 2 + prior", "Oracle clip (...)" "Oracle clip"."""
    if method.startswith("Selection (") and method.endswith(")"):
        return method[len("Selection (") : -1].replace("cover prior", "prior")
    return method.split(" (")[0]
