"""Batch personalization: thumbnail selection and clipping for every user x every item at once.

The paper's setting scores every user against every frame of every item. The
straightforward loop (the official release's ``select_thumbnail.py`` / ``clip_microVid.py``)
takes one item at a time: a small matrix product of its frames with all users, then (for
clipping) a Python loop over windows. Here items are grouped by their number of frames once
(from cached frame features), so each group is one dense ``[items, T, d]`` block with no
padding and no masks; per group, users are processed in chunks sized to a memory budget:
one large matrix product, then an arg-max over frames (Eq. 1) or a moving average by
cumulative sums and an arg-max over windows (Eq. 2). Peak memory is the features plus one
``chunk x block`` score array, whatever the number of users and items.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> users = rng.normal(size=(5, 4)).astype(np.float32)
>>> items = [rng.normal(size=(n, 4)).astype(np.float32) for n in (3, 6, 2)]
>>> packed = PackedFrames.pack(items)
>>> bool((batch_select(users, packed) == loop_select(users, items)).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from generec.editor.clipping import ClipSimilarity, check_clip_params, check_similarity, unit_rows
from generec.errors import ModelError

DEFAULT_CHUNK_BYTES = 64 * 1024**2


@dataclass(frozen=True)
class PackedFrames:
    """Frame features of many items, padded: ``features [I, T_max, d]`` and ``lengths [I]``."""

    features: np.ndarray
    lengths: np.ndarray

    @classmethod
    def pack(cls, items: Sequence[np.ndarray]) -> PackedFrames:
        if len(items) == 0:
            raise ModelError("no items to personalise: the list of frame features is empty")
        lengths = np.asarray([len(f) for f in items], dtype=np.int64)
        if (lengths == 0).any():
            raise ModelError(f"item {int(np.argmin(lengths))} has no frame features")
        dims = {f.shape[1] for f in items}
        if len(dims) != 1:
            raise ModelError(f"frame features have different widths {sorted(dims)}; use one encoder for all items")
        out = np.zeros((len(items), int(lengths.max()), dims.pop()), dtype=np.float32)
        for i, f in enumerate(items):
            out[i, : len(f)] = f
        return cls(out, lengths)

    @property
    def n_items(self) -> int:
        return self.features.shape[0]

    @property
    def t_max(self) -> int:
        return self.features.shape[1]


def buckets(packed: PackedFrames) -> list[tuple[np.ndarray, np.ndarray]]:
    """Items grouped by length: ``[(item indices, features [n, T, d] without padding), ...]``."""
    out = []
    for length in np.unique(packed.lengths):
        idx = np.flatnonzero(packed.lengths == length)
        out.append((idx, np.ascontiguousarray(packed.features[idx, :length])))
    return out


def _check_users(users: np.ndarray, packed: PackedFrames) -> torch.Tensor:
    u = np.asarray(users, dtype=np.float32)
    if u.ndim != 2 or u.shape[1] != packed.features.shape[2]:
        raise ModelError(f"user vectors must be [U, {packed.features.shape[2]}], got {u.shape}")
    return torch.from_numpy(np.ascontiguousarray(u))


def _blocks(u: torch.Tensor, blocks: list[tuple[np.ndarray, np.ndarray]], chunk_bytes: int):
    """Yield (block number, item indices, user slice, scores [c, n, T]), within the memory budget."""
    for k, (idx, feats) in enumerate(blocks):
        n, t, d = feats.shape
        flat_t = torch.from_numpy(feats.reshape(n * t, d)).T
        step = max(1, min(len(u), chunk_bytes // (4 * n * t)))
        for s in range(0, len(u), step):
            yield k, idx, slice(s, s + step), (u[s : s + step] @ flat_t).view(-1, n, t)


def batch_select(users: np.ndarray, packed: PackedFrames, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> np.ndarray:
    """Eq. 1 for all pairs: ``[U, I]`` index of each user's best frame in each item."""
    u = _check_users(users, packed)
    out = np.empty((len(u), packed.n_items), dtype=np.int32)
    with torch.no_grad():
        for _, idx, rows, scores in _blocks(u, buckets(packed), chunk_bytes):
            out[rows, idx] = scores.argmax(dim=2).numpy()
    return out


def window_plan(
    lengths: np.ndarray, t_max: int, clip_len: int, stride: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate starts ``[S]``, per-item validity ``[I, S]`` and window length ``[I]`` (as :func:`clip_starts`)."""
    check_clip_params(clip_len, stride)
    starts = np.arange(0, max(t_max - clip_len, 0) + 1, stride, dtype=np.int64)
    n = np.asarray(lengths, dtype=np.int64)[:, None]
    valid = (starts[None, :] + clip_len <= n) | ((n <= clip_len) & (starts[None, :] == 0))
    return starts, valid, np.minimum(n[:, 0], clip_len)


def _clip_block(feats: np.ndarray, clip_len: int, stride: int, similarity: str):
    """Starts ``[S]``, clip length, cumulative sums ``[n, T+1, d]`` and scored reps ``[n, S, d]`` of one block.

    The reps are the clip means ``c*`` (Eq. 2), or ``c* / |c*|`` for ``similarity="cosine"``: then
    ``u . rep`` is ``|u| cos(u, c*)``, whose arg-max over clips is the cosine's.
    """
    from generec.editor.clipping import clip_starts

    t = feats.shape[1]
    starts, n = clip_starts(t, clip_len, stride), min(clip_len, t)
    cs = np.concatenate([np.zeros_like(feats[:, :1], np.float64), np.cumsum(feats, axis=1, dtype=np.float64)], 1)
    reps = (cs[:, starts + n] - cs[:, starts]) / n
    if similarity == "cosine":
        reps = unit_rows(reps)
    return starts, n, cs, reps.astype(np.float32)


def batch_clip(
    users: np.ndarray,
    packed: PackedFrames,
    clip_len: int = 8,
    stride: int = 1,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    similarity: ClipSimilarity = "dot",
) -> np.ndarray:
    """Eq. 2 for all pairs: ``[U, I]`` first frame of each user's best clip in each item.

    Clip representations ``c*`` (mean of ``clip_len`` frame features, Eq. 2) are computed once per
    item from the cached frame features, so scoring every user is one matrix product per block.
    An item shorter than ``clip_len`` is one clip (all its frames), as in :class:`~generec.editor.Clipper`.
    ``similarity="cosine"`` picks the clip of highest ``cos(t*, c*)`` instead of ``t* . c*``.
    """
    check_clip_params(clip_len, stride)
    check_similarity(similarity)
    u = _check_users(users, packed)
    blocks, grids = [], []
    for idx, feats in buckets(packed):
        starts, _, _, reps = _clip_block(feats, clip_len, stride, similarity)
        blocks.append((idx, reps))
        grids.append(starts)
    out = np.empty((len(u), packed.n_items), dtype=np.int32)
    with torch.no_grad():
        for k, idx, rows, scores in _blocks(u, blocks, chunk_bytes):
            out[rows, idx] = grids[k][scores.argmax(dim=2).numpy()]
    return out


# ------------------------------------------------------------------ with a prior toward the uploader's cover
@dataclass(frozen=True)
class PriorPick:
    """Each user's best candidate ``best [U, I]`` (frame or clip start) and ``gap [U, I]``: its score minus the cover's.

    ``kept(margins)`` says where the uploader's cover stays (``gap <= margin`` of the item).
    """

    best: np.ndarray
    gap: np.ndarray

    def kept(self, margins: np.ndarray) -> np.ndarray:
        return self.gap <= np.asarray(margins, dtype=np.float32)[None, :]


def _prior_pick(u: torch.Tensor, blocks: list, chunk_bytes: int, n_items: int) -> PriorPick:
    """Arg-max over candidates per block, and how far it beats the cover.

    ``blocks`` holds ``(idx, reps [n, S, d], bias [n, S], cover_rep [n, d], cover_bias [n], grid)``.
    """
    best = np.empty((len(u), n_items), dtype=np.int32)
    gap = np.empty((len(u), n_items), dtype=np.float32)
    with torch.no_grad():
        for k, idx, rows, scores in _blocks(u, [(b[0], b[1]) for b in blocks], chunk_bytes):
            _, _, bias, cover, cover_bias, grid = blocks[k]
            top, arg = (scores + torch.from_numpy(bias)[None]).max(dim=2)
            at_cover = u[rows] @ torch.from_numpy(cover).T + torch.from_numpy(cover_bias)[None]
            best[rows, idx] = grid[arg.numpy()]
            gap[rows, idx] = (top - at_cover).numpy()
    return PriorPick(best, gap)


def batch_select_prior(guidance: np.ndarray, packed: PackedFrames, prior, settings,
                         chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> PriorPick:  # fmt: skip
    """Eq. 1 with a :class:`~generec.editor.cover_prior.CoverPrior`: each user's best frame and its gap to the cover.

    ``guidance`` is ``prior.guidance(t_star, settings)``; ``pick.kept(prior.margins(settings))`` says
    where the uploader's cover stays (its own image is scored, not the nearest frame). With
    ``PriorSettings.paper()`` ``pick.best`` is :func:`batch_select` exactly and nothing is kept.
    """
    u = _check_users(guidance, packed)
    blocks = []
    for idx, feats in buckets(packed):
        cover = prior.covers_[idx]
        bias = (settings.similarity * np.einsum("ntd,nd->nt", feats, cover)).astype(np.float32)
        cover_bias = np.full(len(idx), settings.similarity, np.float32) * (cover * cover).sum(1)
        blocks.append((idx, feats, bias, cover, cover_bias.astype(np.float32), np.arange(feats.shape[1])))
    return _prior_pick(u, blocks, chunk_bytes, packed.n_items)


def cover_clip_start(cover_frame: np.ndarray, lengths: np.ndarray, clip_len: int) -> np.ndarray:
    """First frame of the clip centred on each item's cover frame (inside the item)."""
    start = np.asarray(cover_frame, dtype=np.int64) - clip_len // 2
    return np.clip(start, 0, np.maximum(np.asarray(lengths, dtype=np.int64) - clip_len, 0))


def batch_clip_prior(guidance: np.ndarray, packed: PackedFrames, prior, settings, clip_len: int = 8,
                     stride: int = 1, chunk_bytes: int = DEFAULT_CHUNK_BYTES,
                     similarity: ClipSimilarity = "dot") -> PriorPick:  # fmt: skip
    """Eq. 2 with a cover prior: each user's best clip start and its gap to the clip around the cover.

    The cover's clip is centred on the frame most like the cover (:func:`cover_clip_start`); with
    ``PriorSettings.paper()`` ``pick.best`` is :func:`batch_clip` exactly (for the same
    ``similarity``) and nothing is kept. With ``similarity="cosine"`` every clip, the cover's
    included, is scored by its unit mean, in both the guidance and the cover-similarity terms.
    """
    check_clip_params(clip_len, stride)
    check_similarity(similarity)
    u = _check_users(guidance, packed)
    cover_start = cover_clip_start(prior.cover_frame_, packed.lengths, clip_len)
    blocks = []
    for idx, feats in buckets(packed):
        starts, n, cs, reps = _clip_block(feats, clip_len, stride, similarity)
        rows = np.arange(len(idx))
        cover_rep = (cs[rows, cover_start[idx] + n] - cs[rows, cover_start[idx]]) / n
        cover_rep = (unit_rows(cover_rep) if similarity == "cosine" else cover_rep).astype(np.float32)
        cov = prior.covers_[idx]
        bias = (settings.similarity * np.einsum("nsd,nd->ns", reps, cov)).astype(np.float32)
        cover_bias = (settings.similarity * (cover_rep * cov).sum(1)).astype(np.float32)
        blocks.append((idx, reps, bias, cover_rep, cover_bias, starts))
    return _prior_pick(u, blocks, chunk_bytes, packed.n_items)


# ---------------------------------------------------------- the straightforward loop (the official release's)
def loop_select(users: np.ndarray, items: Sequence[np.ndarray]) -> np.ndarray:
    """Reference: per item, its frames times all users, top-1 (as the official ``select_thumbnail.py``)."""
    u = torch.from_numpy(np.ascontiguousarray(users, dtype=np.float32))
    picks = []
    with torch.no_grad():
        for f in items:
            _, top = torch.topk(u @ torch.from_numpy(np.ascontiguousarray(f, np.float32)).T, 1)
            picks.append(top[:, 0])
    return torch.stack(picks, dim=1).numpy().astype(np.int32)


def loop_clip(users: np.ndarray, items: Sequence[np.ndarray], clip_len: int = 8, stride: int = 1) -> np.ndarray:
    """Reference: per item, frame scores of all users, then a loop over windows (as the official ``clip_microVid.py``).

    Unlike the official script (which iterates over the number of *items* and keeps partial windows at
    the end), windows run over the item's frames and are complete, as in :class:`~generec.editor.Clipper`.
    """
    from generec.editor.clipping import clip_starts

    u = torch.from_numpy(np.ascontiguousarray(users, dtype=np.float32))
    picks = []
    with torch.no_grad():
        for f in items:
            sim = (u @ torch.from_numpy(np.ascontiguousarray(f, np.float32)).T).double()
            starts = clip_starts(len(f), clip_len, stride)
            windows = torch.cat([sim[:, s : s + clip_len].sum(dim=1, keepdim=True) for s in starts], dim=1)
            _, top = torch.topk(windows, 1)
            picks.append(torch.from_numpy(starts)[top[:, 0]])
    return torch.stack(picks, dim=1).numpy().astype(np.int32)
