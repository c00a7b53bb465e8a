"""The paper's Table 3 (§5.1.3, content revision) on a GeneRec-Sim world, plus a user-side column.

Protocol (as the paper, at our model's resolution): for each evaluated user, ``K`` random
items the user never interacted with; each item's first shot, rendered at the revision
model's frames and size, is shown as it is (**Original**) or revised by SDEdit under the
user's **User_Hist** (mean encoder feature of the items they liked), their **User_Emb**
(the MMGCN user embedding) or no guidance (**Unconditional**, the paper's FVD reference).
All variants of a clip share the same noise. Metrics:

* **Cosine@K** - cosine of the clip's mean frame feature with the user's liked thumbnails (averaged).
* **PS@K** - MMGCN's prediction score for an item whose visual feature is the clip's.
* **Click@K** (beyond the paper) - the world simulator's click probability for the attributes the
  *attribute reader* reads from the pixels (the same reader for every variant, Original included).
* **FVD** - Frechet distance between the clips of a variant and real held-out clips, with its protocol.

:class:`RevisionResult` also carries the *movement* checks: how far revision moved the read
attributes toward the user's ground-truth taste (simulator utility and the user's favourite
colour), and whether a revised clip stays closer to its source than to a random other clip
(encoder feature space).

Example
-------
>>> setup = prepare_revision("demo-world", encoder, reviser, mmgcn, user_emb, reader)   # doctest: +SKIP
>>> print(revision_experiment(setup, runs=2).format())                                  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from generec.errors import DataError
from generec.evaluation.personalization_result import mean_sd_table, run_metrics
from generec.evaluation.sheets import save_sheet

METHODS = ("Original", "User_Hist", "User_Emb", "Unconditional")
KS = (5, 10)


@dataclass
class RevisionSetup:
    """Everything the experiment needs, computed once: users, their guidance, sources and references."""

    world: Any
    encoder: Any
    reviser: Any  # generec.editor.revision.Reviser
    model: Any  # a fitted MMGCN (content path) for PS@K
    reader: Any | None  # an AttributeReader, or None (no Click@K / movement columns)
    user_ids: np.ndarray  # [U] world user ids
    users: np.ndarray  # [U] split indices (rows of model.user_emb_)
    t_star: np.ndarray  # [U, d] mean liked-thumbnail feature
    user_hist: np.ndarray  # [U, d] User_Hist vectors
    user_emb: np.ndarray  # [U, e] User_Emb vectors
    candidates: list[np.ndarray]  # per user: item ids never interacted with
    real: np.ndarray  # real held-out clips [N, T, S, S, 3] for FVD
    note: str = ""


def source_clip(world: Any, item_id: str, frames: int, size: int) -> np.ndarray:
    """An item's first shot rendered at ``frames`` x ``size`` (what the revision model edits)."""
    from generec.data.sim.render import render_shot, shot_seed

    meta = world.item_meta(item_id)
    return render_shot(meta["shots"][0], frames, size, shot_seed(meta["seed"], 0))


def _user_rows(split: Any, thumbs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Users with liked history and >= max(KS) unseen items; their t* and an unseen mask."""
    seen = np.zeros((split.n_users, split.n_items), dtype=bool)
    for pairs in (split.train, split.valid, split.test):
        seen[pairs[:, 0], pairs[:, 1]] = True
    liked = np.zeros_like(seen)
    liked[split.train[:, 0], split.train[:, 1]] = True
    users = np.flatnonzero(liked.any(axis=1) & ((~seen).sum(axis=1) >= max(KS)))
    t_star = (liked[users].astype(np.float32) @ thumbs) / liked[users].sum(axis=1, keepdims=True)
    return users, t_star.astype(np.float32), ~seen[users]


def prepare_revision(
    world: Any,
    encoder: Any,
    reviser: Any,
    model: Any,
    user_embeddings: dict[str, np.ndarray],
    reader: Any | None = None,
    *,
    n_users: int = 60,
    n_real: int = 600,
    seed: int = 0,
    progress: bool = True,
) -> RevisionSetup:
    """Pick ``n_users`` users, compute their User_Hist / User_Emb and t*, and render real held-out clips."""
    from generec.diffusion.conditions import (
        item_features,
        liked_pairs,
        load_world,
        shot_clips,
        split_items,
        user_hist_vectors,
    )
    from generec.media import read_image

    world = load_world(world)
    split = world.dataset().split()
    if getattr(model, "n_items", None) != split.n_items or getattr(model, "n_users", None) != split.n_users:
        raise DataError("the MMGCN model was not trained on this world's split; fit it on world.dataset().split()")
    thumbs = encoder.encode_images(np.stack([read_image(world.thumbnail_path(i)) for i in split.item_ids]))
    users, t_star, unseen = _user_rows(split, thumbs)
    ids = np.asarray(split.user_ids)[users]
    keep = np.asarray([str(u) in user_embeddings for u in ids])
    likes = liked_pairs(world)
    keep &= np.isin(ids.astype(str), likes["user_id"].unique())
    pick = np.sort(np.random.default_rng([seed, 3]).permutation(np.flatnonzero(keep))[:n_users])
    if len(pick) == 0:
        raise DataError("no user has liked items, a User_Emb vector and enough unseen items; use a larger world")
    ids = ids[pick].astype(str)
    likes = likes[likes["user_id"].isin(set(ids))]
    liked_items = sorted(likes["item_id"].unique())
    feats = dict(zip(liked_items, item_features(encoder, world, liked_items, progress), strict=True))
    hist = user_hist_vectors(likes, feats)
    config = reviser.model.config
    _, held_out = split_items(world.items["id"], 0.1, 0)  # the items the revision trainer never saw
    real, _ = shot_clips(world, config.shape.frames, config.pixel_size, held_out, progress)
    real = real[np.random.default_rng([seed, 4]).permutation(len(real))[:n_real]]
    item_ids = np.asarray(split.item_ids)
    return RevisionSetup(
        world, encoder, reviser, model, reader, ids, users[pick], t_star[pick],
        np.stack([hist[u] for u in ids]), np.stack([np.asarray(user_embeddings[u], np.float32) for u in ids]),
        [item_ids[unseen[k]] for k in pick], real,
        f"encoder {getattr(encoder, 'id', '?')}; split: {split.description}; {len(ids)} users",
    )  # fmt: skip


# ------------------------------------------------------------------------------------------ revising
def revise_items(
    setup: RevisionSetup,
    items: np.ndarray,
    *,
    strength: float,
    steps: int,
    guidance_scale: float,
    seed: int,
    batch_size: int = 50,
    progress: bool = True,
) -> dict[str, np.ndarray]:
    """Each method's clips ``[U, K, T, S, S, 3]`` for items ``[U, K]`` (ids); batches share noise across methods."""
    from generec.types import Guidance

    config = setup.reviser.model.config
    n_u, k = items.shape
    src = np.stack([source_clip(setup.world, str(i), config.shape.frames, config.pixel_size) for i in items.ravel()])
    who = np.repeat(np.arange(n_u), k)
    guides = {
        "User_Hist": lambda rows: [Guidance(user_hist=setup.user_hist[u]) for u in who[rows]],
        "User_Emb": lambda rows: [Guidance(user_emb=setup.user_emb[u]) for u in who[rows]],
        "Unconditional": lambda rows: None,
    }
    out = {"Original": src}
    starts = range(0, len(src), batch_size)
    bar = tqdm(total=len(guides) * len(starts), desc="revising", disable=not progress, leave=False)
    for method, guide in guides.items():
        parts = []
        for b, s in enumerate(starts):
            rows = np.arange(s, min(s + batch_size, len(src)))
            parts.append(
                setup.reviser.revise(
                    src[rows], guide(rows), strength=strength, steps=steps, guidance_scale=guidance_scale,
                    seed=seed * 10_000 + b,
                )
            )  # fmt: skip
            bar.update(1)
        out[method] = np.concatenate(parts)
    bar.close()
    return {m: c.reshape(n_u, k, *c.shape[1:]) for m, c in out.items()}


def clip_features(encoder: Any, clips: np.ndarray, batch: int = 512) -> np.ndarray:
    """Unit mean frame feature per clip ``[N, T, H, W, 3]`` -> ``[N, d]``."""
    from generec.encoders import l2_normalize

    n, t = clips.shape[:2]
    frames = clips.reshape(n * t, *clips.shape[2:])
    f = np.concatenate([encoder.encode_images(frames[i : i + batch]) for i in range(0, len(frames), batch)])
    return l2_normalize(f.reshape(n, t, -1).mean(1))


def read_features(reader: Any, clips: np.ndarray) -> tuple[np.ndarray, list[dict[str, str]]]:
    """The simulator's feature vectors ``[N, F]`` of the attributes the reader reads, and the readings."""
    from generec.data.sim.clickmodel import featurize

    readings = reader.read(clips)
    return np.stack([featurize(r) for r in readings]), readings


# ------------------------------------------------------------------------------------------ metrics
def _favourite(sim: Any, user_ids: np.ndarray, attr: str) -> np.ndarray:
    """Each user's highest-weighted value of ``attr`` in the simulator's hidden taste."""
    from generec.data.sim.vocab import FEATURES, VOCAB

    cols = [FEATURES.index(f"{attr}={v}") for v in VOCAB[attr]]
    w = sim.weights[sim.user_index(list(user_ids))][:, cols]
    return np.asarray(VOCAB[attr])[w.argmax(1)]


def _movement(
    feats: dict[str, np.ndarray], util: dict[str, np.ndarray], colour: dict[str, np.ndarray], seed: int
) -> dict[str, dict[str, float]]:
    """Per method (vs Original): toward the user's taste (reader + simulator) and closeness to the source.

    ``feats`` are unit clip features ``[N, d]``, ``util`` the simulator's utility of what the reader
    read ``[N]`` and ``colour`` whether the read colour is the user's favourite ``[N]`` (empty: no reader).
    """
    src = feats["Original"]
    other = src[np.random.default_rng([seed, 8]).permutation(len(src))]  # a random other source clip
    rows: dict[str, dict[str, float]] = {}
    for m, f in feats.items():
        d_src, d_other = 1 - (f * src).sum(1), 1 - (f * other).sum(1)
        row = {"dist_to_source": float(d_src.mean()), "dist_to_random": float(d_other.mean()),
               "closer_to_source": float((d_src < d_other).mean())}  # fmt: skip
        if util:
            du = util[m] - util["Original"]
            row |= {"utility": float(util[m].mean()), "utility_gain": float(du.mean()),
                    "utility_up": float((du > 0).mean()), "favourite_colour": float(colour[m].mean())}  # fmt: skip
        rows[m] = row
    return rows


# ------------------------------------------------------------------------------------------ results
def _verdict(gap: float) -> str:
    return "beats" if gap > 0 else ("ties with" if gap == 0 else "does not beat")


@dataclass
class RevisionResult:
    """Per-run metric values, FVD per method (with protocol), movement checks and example clips."""

    runs: dict[tuple[str, str], np.ndarray]  # (method, metric) -> [runs]
    fvd: dict[str, Any]  # method -> FrechetResult
    movement: pd.DataFrame  # method x check (mean over runs)
    examples: dict[str, np.ndarray]  # method -> [n, T, S, S, 3]
    note: str
    methods: tuple[str, ...] = METHODS
    settings: dict[str, Any] = field(default_factory=dict)
    example_labels: list[str] = field(default_factory=list)  # "user · item" of each example clip

    @property
    def metrics(self) -> list[str]:
        return run_metrics(self.runs)

    @property
    def table(self) -> pd.DataFrame:
        table = mean_sd_table(self.runs, self.methods)
        table["FVD"] = [self.fvd[m].value if m in self.fvd else float("nan") for m in table.index]
        return table

    def gap(self, better: str, worse: str, metric: str) -> tuple[float, float]:
        """Mean and standard deviation over runs of ``better - worse`` on ``metric``."""
        d = self.runs[(better, metric)] - self.runs[(worse, metric)]
        return float(d.mean()), float(d.std(ddof=1)) if len(d) > 1 else 0.0

    def findings(self) -> list[str]:
        """The paper's qualitative claims, each tested against these numbers."""
        out = []
        for metric in (m for m in self.metrics if m.split("@")[0] in ("Cosine", "PS")):
            for method in ("User_Hist", "User_Emb"):
                g, sd = self.gap(method, "Original", metric)
                out.append(f"{method} {'>' if g > 0 else '<='} Original on {metric}: {g:+.4f} (sd {sd:.4f})")
            g, sd = self.gap("User_Emb", "User_Hist", metric)
            out.append(f"User_Emb {_verdict(g)} User_Hist on {metric}: {g:+.4f} (sd {sd:.4f})")
        if {"User_Emb", "Unconditional"} <= set(self.fvd):
            e, u = self.fvd["User_Emb"].value, self.fvd["Unconditional"].value
            out.append(f"FVD User_Emb {e:.4f} {'<' if e < u else '>='} Unconditional {u:.4f} (paper: smaller)")
        return out

    def format(self) -> str:
        t = self.table
        cells = {m: [f"{t.loc[r, m]:.4f} ± {t.loc[r, m + ' sd']:.4f}" for r in t.index] for m in self.metrics}
        cells["FVD"] = [f"{v:.4f}" for v in t["FVD"]]
        body = pd.DataFrame(cells, index=t.index).to_string()
        protocol = next(iter(self.fvd.values())).protocol.describe() if self.fvd else "no FVD"
        lines = [
            "Table 3 (content revision), GeneRec-Sim",
            self.note,
            body,
            protocol,
            "movement (mean over clips; distances are 1 - cosine in encoder space):",
            self.movement.to_string(float_format=lambda v: f"{v:.4f}"),
            *self.findings(),
        ]
        return "\n".join(lines)

    def sheet(self, path: Any, method: str = "User_Hist", rows: int = 16) -> Any:
        """A request sheet (:mod:`generec.evaluation.sheets`): per example, ``method``'s revision and its source."""
        if method not in self.examples or "Original" not in self.examples:
            raise DataError(f"no examples of {method!r} and the originals; methods: {', '.join(self.examples)}")
        columns = {f"revised ({method})": self.examples[method], "source clip": self.examples["Original"]}
        return save_sheet(path, self._labels(), columns, rows=rows)

    def _labels(self) -> list[str]:
        return self.example_labels or [f"example {i + 1}" for i in range(len(next(iter(self.examples.values()))))]

    def save(self, out_dir: Any, stem: str = "table3_revision") -> dict[str, Any]:
        """Write ``<stem>.csv``, ``<stem>_movement.csv``, ``<stem>_protocol.json`` and ``<stem>_grid.png``."""
        import json
        from pathlib import Path

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"csv": out / f"{stem}.csv", "movement": out / f"{stem}_movement.csv",
                 "protocol": out / f"{stem}_protocol.json", "grid": out / f"{stem}_grid.png"}  # fmt: skip
        self.table.to_csv(paths["csv"], index_label="method")
        self.movement.to_csv(paths["movement"], index_label="method")
        info = {"fvd": {m: {"value": r.value, **r.protocol.to_dict()} for m, r in self.fvd.items()},
                "settings": self.settings, "note": self.note, "findings": self.findings()}  # fmt: skip
        paths["protocol"].write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        save_sheet(paths["grid"], self._labels(), self.examples, frames=3, scale=3)
        return paths


# ------------------------------------------------------------------------------------------ experiment
def revision_experiment(
    setup: RevisionSetup,
    *,
    ks: Sequence[int] = KS,
    runs: int = 2,
    strength: float = 0.6,
    steps: int = 25,
    guidance_scale: float = 3.0,
    n_examples: int = 6,
    seed: int = 0,
    progress: bool = True,
) -> RevisionResult:
    """Table 3 over ``runs`` draws of K unseen items per user; FVD and examples from the first run."""
    from generec.data.sim import clickmodel as cm
    from generec.evaluation.frechet import EncoderFeatures, frechet_video_distance
    from generec.evaluation.personalization import cosine_at_k, ps_scores

    if runs < 1 or not ks or min(ks) < 1 or max(ks) > min(len(c) for c in setup.candidates):
        raise DataError(f"need runs >= 1 and 1 <= K <= every user's unseen items, got runs={runs}, ks={list(ks)}")
    sim = setup.world.simulator() if setup.reader is not None else None
    favourite = _favourite(sim, setup.user_ids, "colour") if sim is not None else None
    values: dict[tuple[str, str], list[float]] = {}
    moves, fvd, examples, example_labels = [], {}, {}, []
    for r in range(runs):
        rng = np.random.default_rng([seed, r])
        items = np.stack([rng.choice(c, size=max(ks), replace=False) for c in setup.candidates])
        clips = revise_items(setup, items, strength=strength, steps=steps, guidance_scale=guidance_scale,
                             seed=seed * 100 + r, progress=progress)  # fmt: skip
        n_u, k = items.shape
        feats = {m: clip_features(setup.encoder, c.reshape(-1, *c.shape[2:])) for m, c in clips.items()}
        util, colour = {}, {}
        for m, c in clips.items():
            f = feats[m].reshape(n_u, k, -1)
            click = None
            if sim is not None:
                x, readings = read_features(setup.reader, c.reshape(-1, *c.shape[2:]))
                util[m] = np.asarray(sim.utility(list(np.repeat(setup.user_ids, k)), x, pairwise=True), np.float64)
                colour[m] = np.asarray([rd["colour"] for rd in readings]) == np.repeat(favourite, k)
                click = cm.click_prob(util[m], 0.0, sim.model).reshape(n_u, k)
            for kk in ks:
                row = {f"Cosine@{kk}": cosine_at_k(f[:, :kk], setup.t_star),
                       f"PS@{kk}": ps_scores(setup.model, setup.users, f[:, :kk])}  # fmt: skip
                if click is not None:
                    row[f"Click@{kk}"] = click[:, :kk].mean(1)
                for metric, v in row.items():
                    values.setdefault((m, metric), []).append(float(np.mean(v)))
        moves.append(pd.DataFrame.from_dict(_movement(feats, util, colour, seed + r), orient="index"))
        if r == 0:
            net = EncoderFeatures(setup.encoder)
            for m, c in clips.items():
                fvd[m] = frechet_video_distance(setup.real, c.reshape(-1, *c.shape[2:]), net)
            examples = {m: c[: min(n_examples, n_u), 0] for m, c in clips.items()}
            example_labels = [f"user {setup.user_ids[u]} · item {items[u, 0]}" for u in range(min(n_examples, n_u))]
    movement = sum(moves[1:], moves[0]) / len(moves)
    settings = {"runs": runs, "ks": list(ks), "strength": strength, "steps": steps,
                "guidance_scale": guidance_scale, "seed": seed, "users": len(setup.user_ids),
                "reader": getattr(setup.reader, "fit_info_", None)}  # fmt: skip
    note = (f"{setup.note}; SDEdit strength {strength}, DDIM {steps} (x strength), guidance {guidance_scale}; "
            f"{runs} runs; Click@K from {'the attribute reader' if sim else 'no reader (omitted)'}")  # fmt: skip
    if getattr(setup.reviser, "history_prompt", False):
        note += "; User_Hist also given to the instruction input (a visual prompt)"
    return RevisionResult({k: np.asarray(v) for k, v in values.items()}, fvd, movement, examples, note,
                          settings=settings, example_labels=example_labels)  # fmt: skip
