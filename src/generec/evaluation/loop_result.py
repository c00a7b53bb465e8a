"""The closed loop's result: per-user rows, their metrics per system, seed and group, and paired gains.

:class:`LoopResult` holds what :func:`generec.evaluation.loop.run_loop` measured; the metric
definitions are those of :mod:`generec.evaluation.loop`.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from generec.errors import GeneRecError
from generec.evaluation.facets import FACET_ORDER

GROUPS = ("all", "unmet")
RATES = ("ctr", "like_rate", "p_click", "satisfaction", "best_satisfaction", "met_rate")


@dataclasses.dataclass
class LoopResult:
    """Per (system, seed, user) rows (``per_user``), the unmet subgroup per seed, and notes."""

    per_user: pd.DataFrame
    notes: list[str]

    def per_seed(self) -> pd.DataFrame:
        """Metrics per system, seed and group (``all`` / ``unmet``)."""
        rows = []
        for (system, seed), df in self.per_user.groupby(["system", "seed"], sort=False):
            for group in GROUPS:
                part = df if group == "all" else df[df["unmet"]]
                rows.append({"system": system, "seed": seed, "group": group, **_metrics(part)})
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """Mean and std over seeds of every metric, per system and group."""
        per_seed = self.per_seed()
        cols = [c for c in per_seed.columns if c not in ("system", "seed", "group")]
        agg = per_seed.groupby(["group", "system"], sort=False)[cols].agg(["mean", "std"])
        agg.columns = [f"{m}_{s}" for m, s in agg.columns]
        return agg.reset_index()

    def paired_gain(self, metric: str, group: str = "unmet", system: str = "full", base: str = "retrieval") -> dict:
        """``system`` minus ``base`` on ``metric`` per seed (same users, same click draws).

        Mean, std and wins over seeds, and the paired t-test of "no difference" (``t``, two-sided ``p``;
        NaN with fewer than two seeds or no spread).
        """
        from scipy import stats

        per_seed = self.per_seed()
        part = per_seed[per_seed["group"] == group].pivot(index="seed", columns="system", values=metric)
        if system not in part or base not in part:
            raise GeneRecError(f"both {system!r} and {base!r} must have run to compare them")
        diff = (part[system] - part[base]).dropna()
        std = float(diff.std()) if len(diff) > 1 else 0.0
        t, p = stats.ttest_1samp(diff, 0.0) if len(diff) > 1 and std > 0 else (float("nan"), float("nan"))
        return {"metric": metric, "group": group, "system": system, "base": base, "mean": float(diff.mean()),
                "std": std, "wins": int((diff > 0).sum()), "seeds": len(diff),
                "t": float(t), "p": float(p)}  # fmt: skip

    def understanding(self) -> dict[str, float]:
        """The instructor's understanding of every utterance in the loop: intent accuracy and slot F1."""
        df = self.per_user
        tp, fp, fn = df["nlu_tp"].sum(), df["nlu_fp"].sum(), df["nlu_fn"].sum()
        turns = int(df["nlu_turns"].sum())
        return {"turns": turns, "intent_accuracy": float(df["nlu_intent_ok"].sum() / turns) if turns else float("nan"),
                "slot_f1": float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else float("nan")}  # fmt: skip


def _metrics(df: pd.DataFrame) -> dict[str, float]:
    impressions = df["impressions"].sum()
    scored = df["scored"].sum()
    made = df["made_scored"].sum()
    met = df["met_round"].notna()
    return {
        "users": float(len(df)),
        "ctr": float(df["clicks"].sum() / impressions) if impressions else float("nan"),
        "like_rate": float(df["likes"].sum() / impressions) if impressions else float("nan"),
        "p_click": float(df["p_click_sum"].sum() / scored) if scored else float("nan"),
        "satisfaction": float(df["satisfaction_sum"].sum() / scored) if scored else float("nan"),
        "made_satisfaction": float(df["made_satisfaction_sum"].sum() / made) if made else float("nan"),
        "human_satisfaction": float(
            (df["satisfaction_sum"].sum() - df["made_satisfaction_sum"].sum()) / (scored - made)
        )
        if scored > made
        else float("nan"),
        "best_satisfaction": float(df["best_sum"].sum() / df["judged_rounds"].sum())
        if df["judged_rounds"].sum()
        else float("nan"),
        **{f"facet_{f}": float(df[f"facet_{f}_sum"].sum() / scored) if scored else float("nan") for f in FACET_ORDER},
        "met_rate": float(met.mean()) if len(df) else float("nan"),
        "rounds_to_meet": float(df["met_round"].fillna(df["rounds"] + 1).mean()) if len(df) else float("nan"),
        "jobs": float(df["jobs"].sum()),
        "jobs_ready": float(df["jobs_ready"].sum()),
        "created_shown": float(df["created_shown"].sum()),
        "unscored": float(df["unscored"].sum()),
    }
