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

* **Cosine-judge@K** (beyond the paper, only with a judge encoder) - Cosine@K computed in a second
  encoder's space from exactly the same frames (or cover image), against the user's liked
  thumbnails in that space. No method selects with the judge, so it grades the picks where they
  were not optimised (the paper grades CLIP's picks with CLIP itself).

Each number is the mean over ``runs`` draws of the K items, with the standard deviation over
runs as its spread; :attr:`PersonalizationResult.gaps` gives each ordering's per-run difference.
The metrics live in :mod:`~generec.evaluation.personalization_metrics` (re-exported here), the
oracles in :mod:`~generec.evaluation.personalization_oracle`, the
cover prior's tuning in :mod:`~generec.evaluation.personalization_tuning`.

Unclipped vs a clip on Cosine@K: both are the L2-normalised mean of their frames' features, so
in expectation over random items they share the numerator ``E[mean . t*]`` and differ only in
the normalisation (a whole video's mean is shorter, so it is scaled up more). Unclipped wins
when unseen items are on average aligned with the liked thumbnails (CLIP's features share a
large common direction); with a zero-mean encoder that numerator is ~0 and the two tie. A judge
encoder whose features share a direction (EfficientNet's ImageNet features) shows the other side:
there the whole video's mean beats every clip of a few frames, the ground-truth oracle clip included.

Example
-------
>>> data = prepare_world("demo-world", encoder)                      # doctest: +SKIP
>>> print(thumbnail_experiment(data).format())                       # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from generec.editor.batch import (
    PackedFrames,
    batch_clip,
    batch_clip_prior,
    batch_select,
    batch_select_prior,
    cover_clip_start,
    window_plan,
)
from generec.editor.cover_prior import CoverPrior, PriorSettings
from generec.editor.thumbnail_selection import extract_frame_features
from generec.encoders import Encoder, FeatureCache, hash_array
from generec.errors import DataError, ModelError
from generec.evaluation.personalization_metrics import cosine_at_k, ps_scores, user_side_scores
from generec.evaluation.personalization_oracle import frame_utility, oracle_clip, true_weights
from generec.evaluation.personalization_result import PersonalizationResult
from generec.evaluation.ps_model import fit_ps_mmgcn

KS = (5, 10)
EQ1, EQ1_PRIOR, ORACLE_FRAME = "Selection (Eq. 1)", "Selection (Eq. 1 + cover prior)", "Oracle frame (ground truth)"
EQ2, EQ2_PRIOR, ORACLE_CLIP = "Selection (Eq. 2)", "Selection (Eq. 2 + cover prior)", "Oracle clip (ground truth)"
# Beyond the paper: Eq. 2 scored by cos(t*, c*) instead of t* . c* (see generec.editor.clipping)
EQ2_COS, EQ2_COS_PRIOR = "Selection (Eq. 2, cosine)", "Selection (Eq. 2, cosine + cover prior)"
THUMBNAIL_METHODS = ("Random Frame", "Original", EQ1, EQ1_PRIOR, ORACLE_FRAME)
CLIPPING_METHODS = ("Random clip", "1st Clip", "Unclipped", EQ2, EQ2_PRIOR, EQ2_COS, EQ2_COS_PRIOR, ORACLE_CLIP)
THUMBNAIL_ORDERINGS = (("Original", "Random Frame"), (EQ1_PRIOR, "Original"), (EQ1, "Original"))
CLIPPING_ORDERINGS = (("Unclipped", "1st Clip"), ("Unclipped", "Random clip"), (EQ2_PRIOR, "Unclipped"),
                      (EQ2, "Unclipped"), (EQ2_COS_PRIOR, "Unclipped"), (EQ2_COS, "Unclipped"))  # fmt: skip
Shown = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""What a method shows: features ``[U, K, d]``, first frame ``[U, K]``, frames shown ``[U, K]`` and
``cover [U, K]``: True where the uploader's cover image itself is shown (its own picture, not a frame)."""


@dataclass
class JudgeSpace:
    """A second encoder's features of the same frames and covers, to grade the picks where none was made."""

    encoder_id: str
    frame_sums: np.ndarray  # [I, T_max + 1, d_j] cumulative sums of the judge's frame features
    thumbs: np.ndarray  # [I, d_j] the judge's features of the uploaders' thumbnails
    t_star: np.ndarray  # [U, d_j] mean liked-thumbnail feature in the judge's space, rows as the data's users
    random_frame_cosine: float

    def features(self, items: np.ndarray, start: np.ndarray, length: np.ndarray, cover: np.ndarray) -> np.ndarray:
        """The judge's view ``[U, K, d_j]`` of what was shown: the window's mean frame, or the cover image."""
        frames = _window(self.frame_sums, items, start, length)
        return np.where(cover[..., None], self.thumbs[items], frames)


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
    judge: JudgeSpace | None = None  # a second encoder grading the picks (Cosine-judge@K), if any

    def subset(self, rows: np.ndarray) -> PersonalizationData:
        """The same world, items and model for the evaluated users at ``rows`` only."""
        rows = np.asarray(rows, dtype=np.int64)
        judge = None if self.judge is None else replace(self.judge, t_star=self.judge.t_star[rows])
        return replace(self, users=self.users[rows], user_ids=self.user_ids[rows], t_star=self.t_star[rows],
                       candidates=[self.candidates[r] for r in rows], judge=judge)  # fmt: skip

    def simulator(self):
        """The world's :class:`~generec.data.sim.simulator.UserSimulator`, built once per data object."""
        if getattr(self, "_simulator", None) is None:
            self._simulator = self.world.simulator()
        return self._simulator

    def random_frame_cosine(self) -> float:
        """Mean cosine between two random frames of the catalogue, ``|mean unit frame feature|^2``.

        How much the encoder's features share one direction. CLIP's sit in a narrow cone (Liang et
        al., NeurIPS 2022; the paper's Random Frame row already reads Cosine@K .48). A centred
        encoder gives about 0, and then Cosine@K cannot tell Unclipped from a clip (see the module
        docstring).
        """
        return shared_direction(self.frames)

    def cover_prior(self) -> CoverPrior:
        """A :class:`~generec.editor.cover_prior.CoverPrior` fitted on this catalogue's covers and frames."""
        return CoverPrior().fit(self.thumbs, self.frames)


def shared_direction(frames: PackedFrames) -> float:
    """``|mean unit frame feature|^2`` over the real (unpadded) frames: the mean cosine of two random frames."""
    f = frames.features
    valid = np.arange(f.shape[1])[None, :] < frames.lengths[:, None]
    unit = f[valid] / np.maximum(np.linalg.norm(f[valid], axis=1, keepdims=True), 1e-12)
    return float(np.sum(unit.mean(axis=0, dtype=np.float64) ** 2))


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
    judge: Encoder | None = None,
) -> PersonalizationData:
    """Encode every item's frames and thumbnail, split the events, and fit (or check) MMGCN.

    ``judge``: a second encoder that encodes the same frames and thumbnails for Cosine-judge@K.
    """
    from tqdm.auto import tqdm

    from generec.data.sim import World
    from generec.media import read_image

    world = World.load(world_dir)
    split = world.dataset().split()
    encoders = [encoder] if judge is None else [encoder, judge]
    frames: list[list[np.ndarray]] = [[] for _ in encoders]
    attrs, thumbs, thumb_frame, fps = [], [], [], []
    for iid in tqdm(split.item_ids, desc="encode items", disable=not progress):
        meta = world.item_meta(iid)
        for enc, out in zip(encoders, frames, strict=True):
            feats = extract_frame_features(enc, world.media_path(iid), frame_size=int(meta["frame_size"]), cache=cache)
            out.append(feats.features)
        a, k = _frame_attributes(meta, len(frames[0][-1]))
        attrs.append(a)
        thumb_frame.append(k)
        fps.append(float(meta["fps"]))
        thumbs.append(read_image(world.thumbnail_path(iid)))
    covers = np.stack(thumbs)
    thumb_feats = [_encode_covers(enc, covers, cache) for enc in encoders]
    packed, packed_attrs = PackedFrames.pack(frames[0]), PackedFrames.pack(attrs)
    users, t_star, candidates = _users(split, thumb_feats[0])
    if model is None:
        model = fit_ps_mmgcn(split, thumb_feats[0], mmgcn_epochs, seed)
    elif getattr(model, "n_items", None) != len(split.item_ids):
        raise ModelError(
            f"the model was trained on {model.n_items} items, this world's split has {len(split.item_ids)}"
        )
    judged = None
    if judge is not None:
        packed_j = PackedFrames.pack(frames[1])
        if not np.array_equal(packed_j.lengths, packed.lengths):
            raise ModelError(f"the judge {judge.id} sampled other frames than {encoder.id}; both must see the same")
        _, t_star_j, _ = _users(split, thumb_feats[1])
        judged = JudgeSpace(judge.id, _cumsum(packed_j), thumb_feats[1], t_star_j, shared_direction(packed_j))
    return PersonalizationData(
        world, split.description, encoder.id, split.item_ids, packed, _cumsum(packed), packed_attrs,
        np.asarray(fps), thumb_feats[0], np.asarray(thumb_frame), users, split.user_ids[users], t_star,
        candidates, model, judged,
    )  # fmt: skip


def _encode_covers(encoder: Encoder, covers: np.ndarray, cache: FeatureCache | None) -> np.ndarray:
    """The encoder's features of every cover image ``[I, H, W, 3]``, kept in ``cache`` under the images' hash."""
    if cache is None:
        return encoder.encode_images(covers)
    return cache.get_or_compute(encoder.id, hash_array(covers), lambda: encoder.encode_images(covers),
                                params={"covers": len(covers)})  # fmt: skip


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


# --------------------------------------------------------------------------------------- experiments
def _window(sums: np.ndarray, items: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Mean of rows ``start .. start+length-1`` of each item's packed array (via cumulative sums)."""
    return (sums[items, start + length] - sums[items, start]) / length[..., None]


def _clip(data: PersonalizationData, items: np.ndarray, start: np.ndarray, length: np.ndarray) -> Shown:
    """What a clip shows: the mean feature of its frames (no cover image)."""
    return _window(data.frame_sums, items, start, length), start, length, np.zeros(items.shape, dtype=bool)


def _check_protocol(data: PersonalizationData, ks: Sequence[int], runs: int) -> None:
    if runs < 1 or not ks or min(ks) < 1:
        raise DataError(f"need runs >= 1 and positive K values, got runs={runs}, ks={list(ks)}")
    if max(ks) > min(len(c) for c in data.candidates):
        raise DataError(f"K={max(ks)} exceeds the unseen items of some user; use smaller K")


def _run(
    data: PersonalizationData, title: str, methods: dict[str, Callable[[np.random.Generator, np.ndarray], Shown]],
    ks: Sequence[int], runs: int, seed: int, note: str, like: bool,
    orderings: tuple[tuple[str, str], ...] = (),
    ps: bool = True,
) -> PersonalizationResult:  # fmt: skip
    _check_protocol(data, ks, runs)
    sim = data.simulator()
    out: dict[tuple[str, str], list[float]] = {}
    for r in range(runs):
        rng = np.random.default_rng([seed, r])
        items = np.stack([rng.choice(c, size=max(ks), replace=False) for c in data.candidates])
        for name, show in methods.items():
            feats, start, length, cover = show(np.random.default_rng([seed, r, 1]), items)
            click, liked = user_side_scores(sim, data.user_ids, data.attrs, data.fps, items, start, length)
            judged = None if data.judge is None else data.judge.features(items, start, length, cover)
            for k in ks:
                values = {f"Cosine@{k}": cosine_at_k(feats[:, :k], data.t_star)}
                if judged is not None:
                    values[f"Cosine-judge@{k}"] = cosine_at_k(judged[:, :k], data.judge.t_star)
                if ps:
                    values[f"PS@{k}"] = ps_scores(data.model, data.users, feats[:, :k])
                values[f"Click@{k}"] = click[:, :k].mean(axis=1)
                if like:
                    values[f"Like@{k}"] = liked[:, :k].mean(axis=1)
                for metric, v in values.items():
                    out.setdefault((name, metric), []).append(float(v.mean()))
    runs_ = {k: np.asarray(v) for k, v in out.items()}
    return PersonalizationResult(title, tuple(methods), runs_, note, orderings)


def _note(data: PersonalizationData, extra: str = "") -> str:
    judge = "" if data.judge is None else (
        f"; Cosine-judge@K: Cosine@K in the space of {data.judge.encoder_id} (mean cosine of two random frames "
        f"{data.judge.random_frame_cosine:.3f}), which no method selects with")  # fmt: skip
    return (f"encoder {data.encoder_id} (mean cosine of two random frames {data.random_frame_cosine():.3f}); "
            f"split: {data.split_description}; {len(data.users)} users, {len(data.item_ids)} items"
            f"{judge}{extra}")  # fmt: skip


def _once(memo: dict, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """``compute()`` the first time, then its value: the paper's picks are needed in every run."""
    if "value" not in memo:
        memo["value"] = compute()
    return memo["value"]


def thumbnail_methods(data: PersonalizationData, settings: PriorSettings, pick=None) -> dict[str, Callable]:
    """Table 1's methods as ``show(rng, items) -> (features, frame, 1, cover)``; ``pick`` reuses a prior's pick."""
    lengths = data.frames.lengths
    rows = np.arange(len(data.users))[:, None]
    prior = data.cover_prior()
    if pick is None:
        pick = batch_select_prior(prior.guidance(data.t_star, settings), data.frames, prior, settings)
    kept = pick.kept(prior.margins(settings))
    paper: dict = {}
    truth: dict = {}

    def frame(items: np.ndarray, k: np.ndarray) -> Shown:
        return data.frames.features[items, k], k, np.ones_like(k), np.zeros(k.shape, dtype=bool)

    def random_frame(rng: np.random.Generator, items: np.ndarray) -> Shown:
        return frame(items, (rng.random(items.shape) * lengths[items]).astype(np.int64))

    def original(rng: np.random.Generator, items: np.ndarray) -> Shown:
        k = data.thumb_frame[items]  # the uploader's thumbnail shows the shot on screen at that frame
        return data.thumbs[items], k, np.ones_like(k), np.ones(k.shape, dtype=bool)

    def chosen(frames: np.ndarray, keep: np.ndarray | None, items: np.ndarray) -> Shown:
        feats, k, one, cover = frame(items, frames[rows, items].astype(np.int64))
        if keep is not None:  # the uploader's cover stays: its own image, its own frame
            cover = keep[rows, items]
            feats = np.where(cover[..., None], data.thumbs[items], feats)
            k = np.where(cover, data.thumb_frame[items], k)
        return feats, k, one, cover

    def oracle(rng: np.random.Generator, items: np.ndarray) -> Shown:
        w, _ = _once(truth, lambda: true_weights(data))
        return frame(items, np.stack([frame_utility(data, w, items, j).argmax(axis=1)
                                      for j in range(items.shape[1])], axis=1))  # fmt: skip

    return {"Random Frame": random_frame, "Original": original,
            EQ1: lambda rng, items: chosen(_once(paper, lambda: batch_select(data.t_star, data.frames)), None, items),
            EQ1_PRIOR: lambda rng, items: chosen(pick.best, kept, items), ORACLE_FRAME: oracle}  # fmt: skip


def thumbnail_experiment(
    data: PersonalizationData, ks: Sequence[int] = KS, runs: int = 10, seed: int = 0,
    prior: PriorSettings | None = None, valid_fraction: float = 0.3,
) -> PersonalizationResult:  # fmt: skip
    """Table 1: Random Frame, Original, Eq. 1, Eq. 1 with a cover prior and the ground-truth oracle.

    ``prior=None`` tunes the cover prior on ``valid_fraction`` of the users and reports the others.
    """
    _check_protocol(data, ks, runs)
    from generec.evaluation.personalization_tuning import resolve_priors

    data, settings, where = resolve_priors(data, prior, valid_fraction, seed, "thumbnails")
    methods = thumbnail_methods(data, settings["dot"])
    note = _note(data, f"{where}; Click@K: simulator click probability of the thumbnail's frame")
    return _run(data, "Table 1: personalized thumbnail selection", methods, ks, runs, seed, note, like=False,
                orderings=THUMBNAIL_ORDERINGS)  # fmt: skip


def _prior_clip(data: PersonalizationData, settings: PriorSettings, clip_len: int, stride: int, similarity: str,
                pick, win: np.ndarray) -> Callable:  # fmt: skip
    """Eq. 2 (dot or cosine) with the cover prior as ``show(rng, items)``; the batch pick is made on first use."""
    rows = np.arange(len(data.users))[:, None]
    memo: dict = {}

    def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        prior = data.cover_prior()
        p = pick
        if p is None:
            guide = prior.guidance(data.t_star, settings)
            p = batch_clip_prior(guide, data.frames, prior, settings, clip_len, stride, similarity=similarity)
        return p.best, p.kept(prior.margins(settings)), cover_clip_start(prior.cover_frame_, data.frames.lengths,
                                                                          clip_len)  # fmt: skip

    def show(rng: np.random.Generator, items: np.ndarray) -> Shown:
        best, kept, cover_start = _once(memo, compute)
        start = np.where(kept[rows, items], cover_start[items], best[rows, items]).astype(np.int64)
        return _clip(data, items, start, win[items])

    return show


def clipping_methods(data: PersonalizationData, settings: PriorSettings, clip_len: int, stride: int,
                     pick=None, cosine_settings: PriorSettings | None = None,
                     cosine_pick=None) -> dict[str, Callable]:  # fmt: skip
    """Table 2's methods as ``show(rng, items) -> (features, first frame, frames, cover)``; a clip is never a cover.

    ``settings`` / ``pick`` are the cover prior of the paper's Eq. 2 row, ``cosine_settings`` (default:
    ``settings``) / ``cosine_pick`` that of the cosine row; picks not given are computed on first use.
    """
    lengths = data.frames.lengths
    rows = np.arange(len(data.users))[:, None]
    starts, valid, win = window_plan(lengths, data.frames.t_max, clip_len, stride)
    cos_settings = settings if cosine_settings is None else cosine_settings
    paper: dict = {}
    paper_cos: dict = {}
    truth: dict = {}

    def oracle(rng: np.random.Generator, items: np.ndarray) -> Shown:
        start = oracle_clip(data, _once(truth, lambda: true_weights(data)), items, starts, valid, win)
        return _clip(data, items, start, win[items])

    def random_clip(rng: np.random.Generator, items: np.ndarray) -> Shown:
        n_valid = valid.sum(axis=1)[items]
        pick_ = (rng.random(items.shape) * n_valid).astype(np.int64)
        return _clip(data, items, starts[pick_], win[items])  # valid starts are the first n_valid of the grid

    def eq2(memo: dict, similarity: str) -> Callable:
        def show(rng: np.random.Generator, items: np.ndarray) -> Shown:
            best = _once(memo, lambda: batch_clip(data.t_star, data.frames, clip_len, stride, similarity=similarity))
            return _clip(data, items, best[rows, items].astype(np.int64), win[items])

        return show

    return {"Random clip": random_clip,
            "1st Clip": lambda rng, items: _clip(data, items, np.zeros_like(items), win[items]),
            "Unclipped": lambda rng, items: _clip(data, items, np.zeros_like(items), lengths[items]),
            EQ2: eq2(paper, "dot"), EQ2_PRIOR: _prior_clip(data, settings, clip_len, stride, "dot", pick, win),
            EQ2_COS: eq2(paper_cos, "cosine"),
            EQ2_COS_PRIOR: _prior_clip(data, cos_settings, clip_len, stride, "cosine", cosine_pick, win),
            ORACLE_CLIP: oracle}  # fmt: skip


def clipping_experiment(
    data: PersonalizationData, clip_len: int = 8, stride: int = 1, ks: Sequence[int] = KS, runs: int = 10,
    seed: int = 0, prior: PriorSettings | None = None, valid_fraction: float = 0.3,
) -> PersonalizationResult:  # fmt: skip
    """Table 2: Random clip, 1st Clip, Unclipped, Eq. 2, Eq. 2 with a cover prior, the same two scored by
    cosine (beyond the paper), and the oracle clip.

    ``prior=None`` tunes the cover prior of each Eq. 2 variant on ``valid_fraction`` of the users and
    reports the others; given settings serve both variants.
    """
    from generec.evaluation.personalization_tuning import resolve_priors

    _check_protocol(data, ks, runs)
    data, settings, where = resolve_priors(data, prior, valid_fraction, seed, "clipping", clip_len=clip_len,
                                           stride=stride)  # fmt: skip
    methods = clipping_methods(data, settings["dot"], clip_len, stride, cosine_settings=settings["cosine"])
    note = _note(
        data,
        f"; clips of L={clip_len} frames, stride {stride}; Eq. 2, cosine: the clip of highest cos(t*, c*) "
        f"instead of t* . c*{where}; Click@K (the user-side score): simulator "
        "click probability, soft-max over the frames shown, no time cost; Like@K: like probability after "
        "watching them, which pays time_cost per second (any 1-s clip beats a whole video on it)",
    )
    return _run(data, "Table 2: personalized micro-video clipping", methods, ks, runs, seed, note, like=True,
                orderings=CLIPPING_ORDERINGS)  # fmt: skip
