"""Batch personalization, ranking and encoding over shards, on any :mod:`~generec.distributed.engine`.

* :func:`select_all` / :func:`clip_all`: the paper's Eq. 1 (best frame) and Eq. 2 (best clip) for
  every user x item, over a grid of user x item shards; each shard is
  :func:`generec.editor.batch_select` / :func:`~generec.editor.batch_clip` on its block, so
  the picks are those of the single-process path.
* :func:`rank_all`: full-ranking top-K for every user (shards of users), each shard the
  single-process :func:`~generec.recommender.ranking.topk_chunked`.
* :func:`encode_all`: frame features of a catalogue's videos (shards of items), each shard
  :func:`~generec.editor.thumbnail_selection.extract_frame_features` with an encoder loaded
  once per shard.

A shard holds its users' vectors, its items' frames and one bounded score block, so a
worker's memory follows the shard sizes, not the number of users or items.

Example
-------
>>> import numpy as np
>>> from generec.editor import PackedFrames, batch_select
>>> rng = np.random.default_rng(0)
>>> users = rng.normal(size=(7, 4)).astype(np.float32)
>>> packed = PackedFrames.pack([rng.normal(size=(n, 4)).astype(np.float32) for n in (3, 5, 2)])
>>> picks = select_all(users, packed, get_engine("local"), user_shard=3, item_shard=2)
>>> bool((picks == batch_select(users, packed)).all())
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from generec.distributed.engine import Engine, get_engine
from generec.editor.batch import DEFAULT_CHUNK_BYTES, PackedFrames
from generec.errors import ConfigError

DEFAULT_USER_SHARD = 4096
DEFAULT_ITEM_SHARD = 1024

__all__ = ["Shard", "clip_all", "encode_all", "get_engine", "grid", "rank_all", "select_all"]


@dataclass(frozen=True)
class Shard:
    """One block of the user x item grid: ``users[u0:u1]`` x ``items[i0:i1]``."""

    u0: int
    u1: int
    i0: int
    i1: int


def grid(n_users: int, n_items: int, user_shard: int, item_shard: int) -> list[Shard]:
    """The user x item shards covering ``n_users x n_items``, row-major."""
    if user_shard < 1 or item_shard < 1:
        raise ConfigError(f"shard sizes must be at least 1, got users {user_shard}, items {item_shard}")
    return [
        Shard(u0, min(u0 + user_shard, n_users), i0, min(i0 + item_shard, n_items))
        for u0 in range(0, n_users, user_shard)
        for i0 in range(0, n_items, item_shard)
    ]


def _pick_block(shard: Shard, users: np.ndarray, features: np.ndarray, lengths: np.ndarray, how: dict) -> np.ndarray:
    """Eq. 1 or Eq. 2 on one shard (runs on a worker)."""
    from generec.editor.batch import batch_clip, batch_select

    # Only this shard's items are packed: trim the padding to their own longest video.
    lens = lengths[shard.i0 : shard.i1]
    packed = PackedFrames(features[shard.i0 : shard.i1, : int(lens.max())], lens)
    u = users[shard.u0 : shard.u1]
    if how["eq"] == 1:
        return batch_select(u, packed, chunk_bytes=how["chunk_bytes"])
    return batch_clip(u, packed, how["clip_len"], how["stride"], how["chunk_bytes"], how["similarity"])


def _picks(users: np.ndarray, packed: PackedFrames, engine: Engine, how: dict, user_shard: int, item_shard: int,
           on_block: Callable[[Shard, np.ndarray], None] | None) -> np.ndarray | None:  # fmt: skip
    users = np.ascontiguousarray(users, dtype=np.float32)
    shards = grid(len(users), packed.n_items, user_shard, item_shard)
    out = None if on_block else np.empty((len(users), packed.n_items), dtype=np.int32)

    def put(n: int, block: np.ndarray) -> None:
        s = shards[n]
        if on_block is not None:
            on_block(s, block)
        else:
            out[s.u0 : s.u1, s.i0 : s.i1] = block

    shared = {"users": users, "features": packed.features, "lengths": packed.lengths, "how": how}
    engine.map(_pick_block, shards, shared, on_result=put)
    return out


def select_all(
    users: np.ndarray,
    packed: PackedFrames,
    engine: Engine,
    *,
    user_shard: int = DEFAULT_USER_SHARD,
    item_shard: int = DEFAULT_ITEM_SHARD,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    on_block: Callable[[Shard, np.ndarray], None] | None = None,
) -> np.ndarray | None:
    """Eq. 1 for every user x item: ``[U, I]`` index of each user's best frame in each item.

    ``users`` are the guidance vectors ``t*`` ``[U, d]``. With ``on_block(shard, picks)`` each
    shard's picks go there as they finish (e.g. to disk) and nothing is returned: at 1M users x
    100k items the full table (400 GB of int32) never fits one machine.
    """
    how = {"eq": 1, "chunk_bytes": chunk_bytes}
    return _picks(users, packed, engine, how, user_shard, item_shard, on_block)


def clip_all(
    users: np.ndarray,
    packed: PackedFrames,
    engine: Engine,
    *,
    clip_len: int = 8,
    stride: int = 1,
    similarity: str = "dot",
    user_shard: int = DEFAULT_USER_SHARD,
    item_shard: int = DEFAULT_ITEM_SHARD,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    on_block: Callable[[Shard, np.ndarray], None] | None = None,
) -> np.ndarray | None:
    """Eq. 2 for every user x item: ``[U, I]`` first frame of each user's best clip of ``clip_len`` frames."""
    from generec.editor.clipping import check_clip_params, check_similarity

    check_clip_params(clip_len, stride)
    check_similarity(similarity)
    how = {"eq": 2, "clip_len": clip_len, "stride": stride, "similarity": similarity, "chunk_bytes": chunk_bytes}
    return _picks(users, packed, engine, how, user_shard, item_shard, on_block)


def _rank_block(users: np.ndarray, user_emb: np.ndarray, item_emb: np.ndarray, exclude: tuple | None, k: int):
    from generec.recommender.ranking import dot_scorer, topk_chunked

    parts = [top for _, top, _ in topk_chunked(dot_scorer(user_emb, item_emb), users, len(item_emb), k,
                                               exclude=exclude)]  # fmt: skip
    return np.concatenate(parts) if parts else np.zeros((0, min(k, len(item_emb))), dtype=np.int64)


def rank_all(
    model: Any, engine: Engine, k: int = 20, *, users: np.ndarray | None = None, user_shard: int = 8192,
    exclude_train: bool = True,
) -> np.ndarray:  # fmt: skip
    """Full-ranking top-``k`` item indices ``[U, k]`` for ``users`` (default: all) of a fitted recommender.

    The same lists as ``model.recommend(users, k)``: each shard ranks its users against every item
    with the model's embeddings (dot-product scores), training items excluded.
    """
    from generec.recommender.graph import user_item_csr

    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    model._check_fitted()
    users = np.arange(model.n_users) if users is None else model._users(users)
    exclude = user_item_csr(model.train_, model.n_users, model.n_items) if exclude_train else None
    shards = [users[s : s + user_shard] for s in range(0, len(users), max(1, user_shard))]
    shared = {"user_emb": model.user_emb_.numpy(), "item_emb": model.item_emb_.numpy(), "exclude": exclude, "k": k}
    parts = engine.map(_rank_block, shards, shared)
    return np.concatenate(parts) if parts else np.zeros((0, min(k, model.n_items)), dtype=np.int64)


def _encode_block(videos: Sequence[tuple[str, int]], encoder: tuple[str, str | None], cache: str | None,
                  count: int | None):  # fmt: skip
    from generec.editor.thumbnail_selection import extract_frame_features
    from generec.encoders import FeatureCache, load_encoder

    enc = load_encoder(encoder[0], encoder[1])
    store = FeatureCache(cache) if cache else None
    return [extract_frame_features(enc, path, count=count, frame_size=size, cache=store).features
            for path, size in videos]  # fmt: skip


def encode_all(
    videos: Sequence[tuple[str | Path, int]],
    backend: str,
    engine: Engine,
    *,
    encoder_path: str | Path | None = None,
    cache: str | Path | None = None,
    count: int | None = None,
    item_shard: int = 16,
) -> list[np.ndarray]:
    """Frame features ``[T, d]`` of every ``(video path, frame size)``, in order, over shards of ``item_shard`` videos.

    Each shard loads the encoder (``backend``, ``encoder_path``) once, as
    :func:`~generec.encoders.load_encoder` does, then encodes its videos one after another:
    every frame, or ``count`` evenly spaced ones. ``cache``: a feature-cache folder every worker
    reaches (a shared volume on a cluster).
    """
    if item_shard < 1:
        raise ConfigError(f"the item shard must be at least 1, got {item_shard}")
    todo = [(str(p), int(size)) for p, size in videos]
    shards = [todo[s : s + item_shard] for s in range(0, len(todo), item_shard)]
    spec = (backend, None if encoder_path is None else str(encoder_path))
    shared = {"encoder": spec, "cache": None if cache is None else str(cache), "count": count}
    parts = engine.map(_encode_block, shards, shared)
    return [f for part in parts for f in part]
