"""The data of Tables 1-2: every item's frames and cover encoded, the users' t*, MMGCN, and an optional judge.

:func:`prepare_world` builds a :class:`PersonalizationData` from a GeneRec-Sim world once per
(world, encoder, model); :mod:`generec.evaluation.personalization` runs the experiments on it.

Example
-------
>>> data = prepare_world("demo-world", encoder, judge=load_encoder("efficientnet", None))  # doctest: +SKIP
>>> data.t_star.shape, data.judge.t_star.shape                                            # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from generec.editor.batch import PackedFrames
from generec.editor.cover_prior import CoverPrior
from generec.editor.thumbnail_selection import extract_frame_features
from generec.encoders import Encoder, FeatureCache, hash_array
from generec.errors import DataError, ModelError
from generec.evaluation.ps_model import fit_ps_mmgcn

KS = (5, 10)
"""The paper's K of Cosine@K and PS@K; a user needs at least ``max(KS)`` never-interacted items."""


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
        frames = window_mean(self.frame_sums, items, start, length)
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
        encoder gives about 0, and then Cosine@K cannot tell Unclipped from a clip (see
        :mod:`generec.evaluation.personalization`).
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

    ``cache`` keeps both the frame features and the covers' features, so a rerun encodes nothing.

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
    users, weights, candidates = _users(split)
    t_star = weights @ thumb_feats[0]  # mean of the unit liked-thumbnail features
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
        judged = JudgeSpace(
            judge.id, _cumsum(packed_j), thumb_feats[1], weights @ thumb_feats[1], shared_direction(packed_j)
        )
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


def _users(split) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Users with a liked history and enough never-interacted items: their indices, the weights
    ``[U, I]`` that average their liked items (t* is ``weights @ thumbnail features``) and their candidates."""
    seen = np.zeros((split.n_users, split.n_items), dtype=bool)
    for pairs in (split.train, split.valid, split.test):
        seen[pairs[:, 0], pairs[:, 1]] = True
    liked = np.zeros_like(seen)
    liked[split.train[:, 0], split.train[:, 1]] = True
    ok = liked.any(axis=1) & ((~seen).sum(axis=1) >= max(KS))
    users = np.flatnonzero(ok)
    if len(users) == 0:
        raise DataError("no user has both a liked history and enough unseen items; build a larger world")
    weights = liked[users].astype(np.float32)
    weights /= weights.sum(axis=1, keepdims=True)
    return users, weights, [np.flatnonzero(~seen[u]) for u in users]


def window_mean(sums: np.ndarray, items: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Mean of rows ``start .. start+length-1`` of each item's packed array (via cumulative sums)."""
    return (sums[items, start + length] - sums[items, start]) / length[..., None]
