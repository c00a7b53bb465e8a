"""Outputs of the closed loop: mean ± std table rows, CSV files and a matplotlib plot.

Example
-------
>>> paths = write_outputs(result, "runs/loop")        # doctest: +SKIP
>>> sorted(p.name for p in paths)                     # doctest: +SKIP
['loop.png', 'loop_per_seed.csv', 'loop_per_user.csv', 'loop_summary.csv']
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from generec.evaluation.facets import FACET_ORDER
from generec.evaluation.loop_result import LoopResult

COLUMNS = (
    ("ctr", "CTR"),
    ("like_rate", "like rate"),
    ("p_click", "P(click)"),
    ("satisfaction", "satisfaction"),
    ("best_satisfaction", "best on screen"),
    ("made_satisfaction", "made items"),
    ("human_satisfaction", "human items"),
    ("facet_style", "style liked"),
    ("facet_length", "length liked"),
    ("facet_thumbnail", "cover liked"),
    ("met_rate", "met"),
    ("rounds_to_meet", "rounds to meet"),
    ("jobs", "jobs"),
    ("jobs_ready", "made+passed"),
)
"""Metric column -> table header."""


def _pm(mean: float, std: float) -> str:
    if math.isnan(mean):
        return "-"
    return f"{mean:.3f} ± {0.0 if math.isnan(std) else std:.3f}"


def table_rows(result: LoopResult) -> list[list[str]]:
    """One row per (group, system): group, system, users, then ``mean ± std`` over seeds per metric."""
    rows = []
    for r in result.summary().to_dict("records"):
        cells = [r["group"], r["system"], f"{r['users_mean']:.0f}"]
        cells += [_pm(r[f"{key}_mean"], r[f"{key}_std"]) for key, _ in COLUMNS]
        rows.append(cells)
    return rows


def headers() -> list[str]:
    return ["group", "system", "users", *(h for _, h in COLUMNS)]


def write_outputs(result: LoopResult, out: str | Path) -> list[Path]:
    """Write per-user, per-seed and summary CSVs, the notes and a PNG plot under ``out``; return the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "loop_per_user.csv", out / "loop_per_seed.csv", out / "loop_summary.csv", out / "loop_notes.txt"]
    result.per_user.to_csv(paths[0], index=False)
    result.per_seed().to_csv(paths[1], index=False)
    result.summary().to_csv(paths[2], index=False)
    paths[3].write_text("\n".join([*result.notes, *gain_lines(result)]) + "\n")
    paths.append(plot(result, out / "loop.png"))
    return paths


def plot(result: LoopResult, path: Path) -> Path:
    """Bars of satisfaction, best-on-screen satisfaction and rounds to meet, per group and system (± std)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.pyplot as plt

    summary = result.summary()
    metrics = [("p_click", "mean P(click)"), ("satisfaction", "mean satisfaction"),
               ("best_satisfaction", "best on screen"), ("rounds_to_meet", "rounds until met")]  # fmt: skip
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.8 * len(metrics), 3.6))
    systems = list(dict.fromkeys(summary["system"]))
    groups = list(dict.fromkeys(summary["group"]))
    width = 0.8 / max(len(systems), 1)
    for ax, (key, title) in zip(axes, metrics, strict=True):
        for j, system in enumerate(systems):
            part = summary[summary["system"] == system].set_index("group").reindex(groups)
            xs = [g + (j - (len(systems) - 1) / 2) * width for g in range(len(groups))]
            ax.bar(xs, part[f"{key}_mean"], width, yerr=part[f"{key}_std"].fillna(0.0), capsize=3, label=system)
        ax.set_xticks(range(len(groups)), groups)
        ax.set_title(title)
    axes[0].legend(fontsize=8)
    fig.suptitle("GeneRec closed loop (mean ± std over seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def gain_lines(result: LoopResult) -> list[str]:
    """Paired (same seed) gains over retrieval for the unmet subgroup: of every generating system on
    satisfaction and on each facet's satisfaction (style, length, cover liked), and of the most complete
    one that ran also on P(click) and best-on-screen."""
    systems = set(result.per_user["system"])
    if "retrieval" not in systems:
        return []
    ran = [s for s in ("full", "editing", "creation") if s in systems]
    if not ran:
        return []
    best = ran[0]
    pairs = [(best, m) for m in ("satisfaction", "p_click", "best_satisfaction")]
    pairs += [(s, "satisfaction") for s in ran[1:]]
    pairs += [(s, f"facet_{f}") for s in ran for f in FACET_ORDER]
    lines = []
    for system, metric in pairs:
        g = result.paired_gain(metric, "unmet", system, "retrieval")
        test = "" if math.isnan(g["t"]) else f"; paired t = {g['t']:.2f}, p = {g['p']:.2g}"
        lines.append(f"unmet users, {system} - retrieval, {metric}: {g['mean']:+.4f} ± {g['std']:.4f} "
                     f"(higher in {g['wins']} of {g['seeds']} seeds{test})")  # fmt: skip
    seeds = result.per_seed()
    part = seeds[(seeds["group"] == "unmet") & (seeds["system"] == best)]
    diff = (part["made_satisfaction"] - part["human_satisfaction"]).dropna()
    if len(diff):
        lines.append(f"unmet users, {best}: made items - human items shown beside them, satisfaction: "
                     f"{diff.mean():+.4f} ± {diff.std() if len(diff) > 1 else 0.0:.4f} "
                     f"(higher in {int((diff > 0).sum())} of {len(diff)} seeds)")  # fmt: skip
    return lines


def summary_frame(result: LoopResult) -> pd.DataFrame:
    """The table as a frame of strings (for printing without rich)."""
    return pd.DataFrame(table_rows(result), columns=headers())
