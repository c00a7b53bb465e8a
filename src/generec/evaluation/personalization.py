"""The paper's Tables 1 and 2 (§5.1.1-5.1.2) on a GeneRec-Sim world, plus a user-side column.

Protocol (as the paper): for each user, ``K`` random items the user never interacted with;
each item is shown through each method (a frame as thumbnail, or a clip). Metrics:

* **Cosine@K** - mean cosine between what was shown (the frame's feature; a clip's mean
  frame feature) and the user's liked thumbnails, averaged over the ``K`` items.
* **PS@K** - the MMGCN prediction score of the user for an item whose visual feature is
  what was shown (MMGCN is trained on the thumbnail features; scoring uses its content path).
* **Click@K** (beyond the paper) - the world's simulator's click probability for what was
  shown, computed from the ground-truth features of exactly the frames shown (each frame is
  ``1/fps`` s of the shot on screen) and aggregated by the simulator's soft-max over them;
  clicking costs no time and the popularity term is off (content alone).
* **Like@K** (Table 2 only) - the simulator's like probability after watching what was shown:
  the same soft-max utility minus the time cost of the clip's (or whole video's) seconds.
  Table 1 has no Like@K: a thumbnail is one frame and says nothing about watching the item.

Each number is the mean over ``runs`` draws of the K items, with the standard deviation over
runs as its spread; :attr:`PersonalizationResult.gaps` gives each ordering's per-run difference.

Example
-------
>>> data = prepare_world("demo-world", encoder)                      # doctest: +SKIP
>>> print(thumbnail_experiment(data).format())                       # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from generec.editor.batch import PackedFrames, batch_clip, batch_select, window_plan
from generec.editor.thumbnail_selection import extract_frame_features
from generec.encoders import Encoder, FeatureCache, l2_normalize
from generec.errors import DataError, ModelError

KS = (5, 10)
THUMBNAIL_METHODS = ("Random Frame", "Original", "Selection (Eq. 1)")
CLIPPING_METHODS = ("Random clip", "1st Clip", "Unclipped", "Selection (Eq. 2)")
Shown = tuple[np.ndarray, np.ndarray, np.ndarray]  # features [U, K, d], first frame [U, K], frames shown [U, K]


@dataclass
class PersonalizationData:
    """Everything the experiments need, computed once per (world, encoder, model)."""

    world: object  # generec.data.sim.World
    split_description: str
    encoder_id: str
    item_ids: np.ndarray
    frames: PackedFrames  # decoded frames of every item, encoded
    frame_sums: np.ndarray  # [I, T_max + 1, d] cumulative sums of frame features (clip means)
    attrs: PackedFrames  # ground-truth shot features of every frame, [I, T_max, F]
    fps: np.ndarray  # [I] frames per second of each item (a shown frame lasts 1/fps s)
    thumbs: np.ndarray  # [I, d] features of the uploaders' thumbnails ("Original")
    thumb_frame: np.ndarray  # [I] frame the uploader's thumbnail was taken from
    users: np.ndarray  # split indices of evaluated users
    user_ids: np.ndarray
    t_star: np.ndarray  # [U, d] mean liked-thumbnail feature (not normalised: Cosine@K uses it as is)
    candidates: list[np.ndarray]  # per evaluated user: items never interacted with
    model: object  # a fitted generec.recommender.Recommender with a content path (MMGCN)


def _cumsum(packed: PackedFrames) -> np.ndarray:
    x = packed.features.astype(np.float64)
    return np.concatenate([np.zeros_like(x[:, :1]), np.cumsum(x, axis=1)], axis=1)


def _frame_attributes(meta: dict, n_frames: int) -> tuple[np.ndarray, int]:
    """Per-frame ground-truth features (the features of the shot on screen) and the thumbnail frame."""
    from generec.data.sim.clickmodel import featurize

    shots = meta["shots"]
    per_shot = np.stack([featurize(s) for s in shots])
    starts = np.asarray([int(s["start_frame"]) for s in shots])
    idx = np.searchsorted(starts, np.arange(n_frames), side="right") - 1
    return per_shot[np.clip(idx, 0, len(shots) - 1)], min(int(meta["thumbnail_frame"]), n_frames - 1)


def prepare_world(
    world_dir: str | Path,
    encoder: Encoder,
    model: object | None = None,
    cache: FeatureCache | None = None,
    mmgcn_epochs: int = 60,
    seed: int = 0,
    progress: bool = True,
) -> PersonalizationData:
    """Encode every item's frames and thumbnail, split the events, and fit (or check) MMGCN."""
    from tqdm.auto import tqdm

    from generec.data.sim import World
    from generec.media import read_image

    world = World.load(world_dir)
    split = world.dataset().split()
    frames, attrs, thumbs, thumb_frame, fps = [], [], [], [], []
    for iid in tqdm(split.item_ids, desc="encode items", disable=not progress):
        meta = world.item_meta(iid)
        feats = extract_frame_features(encoder, world.media_path(iid), frame_size=int(meta["frame_size"]), cache=cache)
        frames.append(feats.features)
        a, k = _frame_attributes(meta, len(feats))
        attrs.append(a)
        thumb_frame.append(k)
        fps.append(float(meta["fps"]))
        thumbs.append(read_image(world.thumbnail_path(iid)))
    thumb_feats = encoder.encode_images(np.stack(thumbs))
    packed, packed_attrs = PackedFrames.pack(frames), PackedFrames.pack(attrs)
    users, t_star, candidates = _users(split, thumb_feats)
    if model is None:
        model = _fit_mmgcn(split, thumb_feats, mmgcn_epochs, seed)
    elif getattr(model, "n_items", None) != len(split.item_ids):
        raise ModelError(
            f"the model was trained on {model.n_items} items, this world's split has {len(split.item_ids)}"
        )
    return PersonalizationData(
        world, split.description, encoder.id, split.item_ids, packed, _cumsum(packed), packed_attrs,
        np.asarray(fps), thumb_feats, np.asarray(thumb_frame), users, split.user_ids[users], t_star,
        candidates, model,
    )  # fmt: skip


def _users(split, thumbs: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Users with a liked history and enough never-interacted items; their t* and candidate items."""
    seen = np.zeros((split.n_users, split.n_items), dtype=bool)
    for pairs in (split.train, split.valid, split.test):
        seen[pairs[:, 0], pairs[:, 1]] = True
    liked = np.zeros_like(seen)
    liked[split.train[:, 0], split.train[:, 1]] = True
    ok = liked.any(axis=1) & ((~seen).sum(axis=1) >= max(KS))
    users = np.flatnonzero(ok)
    if len(users) == 0:
        raise DataError("no user has both a liked history and enough unseen items; build a larger world")
    counts = liked[users].sum(axis=1, keepdims=True)
    t_star = (liked[users].astype(np.float32) @ thumbs) / counts  # mean of unit thumbnail features
    return users, t_star.astype(np.float32), [np.flatnonzero(~seen[u]) for u in users]


def _fit_mmgcn(split, thumbs: np.ndarray, epochs: int, seed: int):
    from generec.recommender import MMGCN

    return MMGCN(epochs=epochs, patience=10, seed=seed, verbose=False).fit(split, features={"visual": thumbs})


# ------------------------------------------------------------------------------------------- metrics
def cosine_at_k(shown: np.ndarray, t_star: np.ndarray) -> np.ndarray:
    """Per-user Cosine@K: mean over the K shown features ``[U, K, d]`` of their cosine with each liked thumbnail.

    ``t_star [U, d]`` is the (unnormalised) mean of the user's unit liked-thumbnail features, so
    ``cos(x, mean) `` summed this way equals the mean of the pairwise cosines.
    """
    return np.einsum("ukd,ud->u", l2_normalize(shown), t_star) / shown.shape[1]


def ps_scores(model, users: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Per-user PS@K: mean prediction score of the model for items with visual features ``shown [U, K, d]``."""
    n_u, k, d = shown.shape
    with torch.no_grad():
        items = model.item_embeddings_from_features({"visual": l2_normalize(shown.reshape(-1, d))})
        u = model.user_emb_[torch.as_tensor(users)]
        return (items.view(n_u, k, -1) * u[:, None, :]).sum(-1).mean(-1).numpy()


def user_side_scores(
    sim, user_ids: np.ndarray, attrs: PackedFrames, fps: np.ndarray, items: np.ndarray, start: np.ndarray,
    length: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Click and like probability ``[U, K]`` of each user for frames ``start .. start+length-1`` of ``items``.

    The simulator scores the per-frame ground-truth features of exactly the frames shown as an
    ``[n, length, F]`` array of equally long segments, so its soft-max over shots applies. Windows of
    different lengths are scored in groups of one length: the simulator takes no padding mask for
    segment arrays. Its segment path assumes a default duration, so the like probability applies the
    world's click model (``sim.model``) to the utility net of the time cost of ``length / fps`` seconds.

    Example
    -------
    >>> click, like = user_side_scores(sim, ids, data.attrs, data.fps, items, start, length)  # doctest: +SKIP
    """
    from generec.data.sim import clickmodel as cm

    items, start, length = (np.asarray(a, dtype=np.int64) for a in (items, start, length))
    if not items.shape == start.shape == length.shape or items.ndim != 2 or len(items) != len(user_ids):
        raise DataError(f"items, start and length must all be [users={len(user_ids)}, K]")
    if (length < 1).any() or (start < 0).any() or (start + length > attrs.lengths[items]).any():
        raise DataError("every shown window must have at least one frame and lie inside its item")
    it, st, ln = items.ravel(), start.ravel(), length.ravel()
    users = np.repeat(np.asarray(user_ids), items.shape[1])
    util = np.empty(len(it), dtype=np.float64)
    for n_frames in np.unique(ln):
        sel = np.flatnonzero(ln == n_frames)
        segments = attrs.features[it[sel, None], st[sel, None] + np.arange(n_frames)]  # [n, L, F]
        util[sel] = sim.utility(users[sel], segments.astype(np.float32, copy=False), pairwise=True)
    click = cm.click_prob(util, 0.0, sim.model)  # = sim.click_prob(..., popularity=False): no time cost
    like = cm.like_prob(cm.satisfaction(util, ln / fps[it], sim.model), sim.model)
    return click.reshape(items.shape), like.reshape(items.shape)


@dataclass
class PersonalizationResult:
    """Per-run metric values; ``table`` (mean and spread) and ``gaps`` summarise them."""

    title: str
    methods: tuple[str, ...]
    runs: dict[tuple[str, str], np.ndarray]  # (method, metric) -> [runs]
    note: str

    @property
    def metrics(self) -> list[str]:
        return list(dict.fromkeys(m for _, m in self.runs))

    @property
    def table(self) -> pd.DataFrame:
        rows = {}
        for method in self.methods:
            row = {}
            for metric in self.metrics:
                v = self.runs[(method, metric)]
                row[metric], row[f"{metric} sd"] = float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
            rows[method] = row
        return pd.DataFrame.from_dict(rows, orient="index")

    def gap(self, better: str, worse: str, metric: str) -> tuple[float, float]:
        """Mean and standard deviation over runs of ``better - worse`` on ``metric``."""
        d = self.runs[(better, metric)] - self.runs[(worse, metric)]
        return float(d.mean()), float(d.std(ddof=1)) if len(d) > 1 else 0.0

    @property
    def gaps(self) -> pd.DataFrame:
        pairs = list(zip(self.methods[1:], self.methods[:-1], strict=True))
        if len(self.methods) == 4:  # clipping: Unclipped vs both weaker baselines; Eq. 2 vs a clip as long
            pairs = [(self.methods[3], self.methods[2]), (self.methods[2], self.methods[1]),
                     (self.methods[2], self.methods[0]), (self.methods[3], self.methods[0])]  # fmt: skip
        rows = []
        for better, worse in reversed(pairs) if len(self.methods) == 3 else pairs:
            for metric in self.metrics:
                mean, sd = self.gap(better, worse, metric)
                won = float(np.mean(self.runs[(better, metric)] > self.runs[(worse, metric)]))
                rows.append({"better": better, "worse": worse, "metric": metric, "gap": mean, "sd": sd,
                             "holds": mean > 0, "runs_won": won})  # fmt: skip
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
            ax.set_xticks(range(len(t)), [m.split(" (")[0] for m in t.index], rotation=30, ha="right", fontsize=7)
            ax.set_title(metric, fontsize=9)
        fig.suptitle(self.title, fontsize=9)
        fig.tight_layout()
        png = out / f"{stem}.png"
        fig.savefig(png, dpi=120)
        plt.close(fig)
        return csv, png


# --------------------------------------------------------------------------------------- experiments
def _window(sums: np.ndarray, items: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Mean of rows ``start .. start+length-1`` of each item's packed array (via cumulative sums)."""
    return (sums[items, start + length] - sums[items, start]) / length[..., None]


def _run(
    data: PersonalizationData, title: str, methods: dict[str, Callable[[np.random.Generator, np.ndarray], Shown]],
    ks: Sequence[int], runs: int, seed: int, note: str, like: bool,
) -> PersonalizationResult:  # fmt: skip
    if runs < 1 or not ks or min(ks) < 1:
        raise DataError(f"need runs >= 1 and positive K values, got runs={runs}, ks={list(ks)}")
    if max(ks) > min(len(c) for c in data.candidates):
        raise DataError(f"K={max(ks)} exceeds the unseen items of some user; use smaller K")
    sim = data.world.simulator()
    out: dict[tuple[str, str], list[float]] = {}
    for r in range(runs):
        rng = np.random.default_rng([seed, r])
        items = np.stack([rng.choice(c, size=max(ks), replace=False) for c in data.candidates])
        for name, show in methods.items():
            feats, start, length = show(np.random.default_rng([seed, r, 1]), items)
            click, liked = user_side_scores(sim, data.user_ids, data.attrs, data.fps, items, start, length)
            for k in ks:
                values = {f"Cosine@{k}": cosine_at_k(feats[:, :k], data.t_star),
                          f"PS@{k}": ps_scores(data.model, data.users, feats[:, :k]),
                          f"Click@{k}": click[:, :k].mean(axis=1)}  # fmt: skip
                if like:
                    values[f"Like@{k}"] = liked[:, :k].mean(axis=1)
                for metric, v in values.items():
                    out.setdefault((name, metric), []).append(float(v.mean()))
    return PersonalizationResult(title, tuple(methods), {k: np.asarray(v) for k, v in out.items()}, note)


def _note(data: PersonalizationData, extra: str = "") -> str:
    return (f"encoder {data.encoder_id}; split: {data.split_description}; {len(data.users)} users, "
            f"{len(data.item_ids)} items{extra}")  # fmt: skip


def thumbnail_experiment(
    data: PersonalizationData, ks: Sequence[int] = KS, runs: int = 10, seed: int = 0
) -> PersonalizationResult:
    """Table 1: Random Frame, Original and Eq. 1 selection over ``runs`` draws of K unseen items per user."""
    lengths = data.frames.lengths
    rows = np.arange(len(data.users))[:, None]
    selected = batch_select(data.t_star, data.frames)  # [U, I]: every user x every item at once

    def random_frame(rng: np.random.Generator, items: np.ndarray) -> Shown:
        k = (rng.random(items.shape) * lengths[items]).astype(np.int64)
        return data.frames.features[items, k], k, np.ones_like(k)

    def original(rng: np.random.Generator, items: np.ndarray) -> Shown:
        k = data.thumb_frame[items]  # the uploader's thumbnail shows the shot on screen at that frame
        return data.thumbs[items], k, np.ones_like(k)

    def selection(rng: np.random.Generator, items: np.ndarray) -> Shown:
        k = selected[rows, items].astype(np.int64)
        return data.frames.features[items, k], k, np.ones_like(k)

    methods = dict(zip(THUMBNAIL_METHODS, (random_frame, original, selection), strict=True))
    note = _note(data, "; Click@K: simulator click probability of the thumbnail's frame")
    return _run(data, "Table 1: personalized thumbnail selection", methods, ks, runs, seed, note, like=False)


def clipping_experiment(
    data: PersonalizationData, clip_len: int = 8, stride: int = 1, ks: Sequence[int] = KS, runs: int = 10,
    seed: int = 0,
) -> PersonalizationResult:  # fmt: skip
    """Table 2: Random clip, 1st Clip, Unclipped and Eq. 2 clipping (clips of ``clip_len`` frames)."""
    lengths = data.frames.lengths
    rows = np.arange(len(data.users))[:, None]
    starts, valid, win = window_plan(lengths, data.frames.t_max, clip_len, stride)
    chosen = batch_clip(data.t_star, data.frames, clip_len, stride)  # [U, I] first frame of each best clip

    def shown(items: np.ndarray, start: np.ndarray, length: np.ndarray) -> Shown:
        return _window(data.frame_sums, items, start, length), start, length

    def random_clip(rng: np.random.Generator, items: np.ndarray) -> Shown:
        n_valid = valid.sum(axis=1)[items]
        pick = (rng.random(items.shape) * n_valid).astype(np.int64)
        return shown(items, starts[pick], win[items])  # valid starts are the first n_valid of the grid

    def first_clip(rng: np.random.Generator, items: np.ndarray) -> Shown:
        return shown(items, np.zeros_like(items), win[items])

    def unclipped(rng: np.random.Generator, items: np.ndarray) -> Shown:
        return shown(items, np.zeros_like(items), lengths[items])

    def selection(rng: np.random.Generator, items: np.ndarray) -> Shown:
        return shown(items, chosen[rows, items].astype(np.int64), win[items])

    methods = dict(zip(CLIPPING_METHODS, (random_clip, first_clip, unclipped, selection), strict=True))
    note = _note(
        data,
        f"; clips of L={clip_len} frames, stride {stride}; Click@K / Like@K: simulator click "
        "probability (soft-max over the frames shown) / like probability after watching them",
    )
    return _run(data, "Table 2: personalized micro-video clipping", methods, ks, runs, seed, note, like=True)
