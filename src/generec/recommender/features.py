"""Item features for the recommenders from an encoder: pooled video frames (visual) and title + caption (text).

MMGCN and the content maps need one vector per item and modality. Raw pixels are poor
content features (a red car and a red sunset look alike to them); an encoder trained
to align frames with captions — GeneRec's own offline dual encoder, or a CLIP — puts
the attributes users care about (category, colour, scene, style) into the vectors.

This module takes the encoder as an argument (any object with ``encode_video`` and
``encode_texts``, see :class:`generec.encoders.Encoder`), so it depends on no
particular backend and on nothing above the recommender layer.

Example
-------
>>> feats = item_features_from_encoder(world, load_encoder("generec", "enc/"), frames=8)  # doctest: +SKIP
>>> feats["visual"].shape, feats["text"].shape  # doctest: +SKIP
((1500, 64), (1500, 64))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm.auto import tqdm

from generec.errors import DataError, MediaError


class _VideoTextEncoder(Protocol):
    id: str

    def encode_video(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray: ...


class _Cache(Protocol):
    def get_or_compute(
        self, encoder_id: str, media_hash: str, compute: Callable[[], np.ndarray], params: dict[str, Any] | None = None
    ) -> np.ndarray: ...


def frame_indices(n_frames: int, count: int) -> np.ndarray:
    """Indices of ``count`` frames at the centres of ``count`` equal slices (as :func:`generec.media.sample_frames`)."""
    if n_frames < 1 or count < 1:
        raise DataError(f"cannot sample {count} frame(s) from {n_frames}: both must be at least 1")
    return np.minimum(((np.arange(count) + 0.5) * n_frames / count).astype(np.int64), n_frames - 1)


def video_feature(encoder: _VideoTextEncoder, frames: np.ndarray, *, count: int = 8) -> np.ndarray:
    """The pooled (mean, L2-normalised) encoder vector of ``count`` evenly spaced frames of ``frames [T, H, W, 3]``.

    Use it for items that exist only as frames (a created or edited item before it is written to a file);
    it samples like :func:`item_features_from_encoder` does from files.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise DataError(f"frames must be an array [T, H, W, 3], got shape {frames.shape}")
    return np.asarray(encoder.encode_video(frames[frame_indices(len(frames), count)])[1], dtype=np.float32)


def item_text(title: Any, caption: Any) -> str:
    """The text an item is known by: title and caption joined (either may be missing)."""
    parts = [str(t).strip() for t in (title, caption) if isinstance(t, str) and t.strip()]
    return ". ".join(parts)


def _items_and_paths(source: Any) -> tuple[Any, Callable[[str], Path | None]]:
    """The items table and a function item id -> video path, for a sim ``World`` or a ``Dataset``."""
    if callable(getattr(source, "dataset", None)) and callable(getattr(source, "media_path", None)):
        return source.items, source.media_path  # a World renders missing media on demand
    if hasattr(source, "items") and callable(getattr(source, "media_path", None)):

        def path(item_id: str) -> Path | None:
            return source.media_path(item_id, "media") or source.media_path(item_id, "thumbnail")

        return source.items, path
    raise DataError(
        f"expected a generec Dataset or a GeneRec-Sim World, got {type(source).__name__}; "
        "load one with Dataset.load(dir) or World.load(dir)"
    )


def file_feature(
    encoder: _VideoTextEncoder, path: Path, frames: int, cache: _Cache | None, media_hash: str | None = None
) -> np.ndarray:
    """The pooled encoder vector of ``frames`` evenly spaced frames of the video (or image) at ``path``.

    ``media_hash`` (the file's content hash, when the caller knows it) spares hashing the file for the cache.
    """
    from generec.media import content_hash, sample_frames

    def compute() -> np.ndarray:
        return np.asarray(encoder.encode_video(sample_frames(path, frames)[1])[1], dtype=np.float32)

    if cache is None:
        return compute()
    params = {"count": frames, "kind": "pooled-mean"}
    return cache.get_or_compute(encoder.id, media_hash or content_hash(path), compute, params=params)


def item_features_from_encoder(
    world_or_dataset: Any,
    encoder: _VideoTextEncoder,
    *,
    frames: int = 8,
    cache: _Cache | None = None,
    item_ids: Sequence[str] | None = None,
    text_fn: Callable[[list[str]], np.ndarray] | None = None,
    progress: bool = True,
) -> dict[str, np.ndarray]:
    """``{"visual": [n, d], "text": [n, d]}`` for the items of a GeneRec-Sim world or a dataset.

    Parameters
    ----------
    world_or_dataset
        A :class:`generec.data.sim.World` (media rendered on demand) or a :class:`generec.data.dataset.Dataset`
        whose items have a ``media`` (or at least a ``thumbnail``) file.
    encoder
        Any encoder with ``encode_video`` and ``encode_texts`` (``generec.encoders.load_encoder(...)``).
    frames
        Frames sampled per video (centres of equal slices); the visual vector is their pooled mean.
    cache
        A :class:`generec.encoders.FeatureCache`: visual vectors keyed by (encoder id, file hash, sampling).
    item_ids
        Rows to return, in this order (e.g. ``split.item_ids``); default every item in table order.
    text_fn
        Embeds the texts instead of ``encoder.encode_texts`` (e.g. ``MiniLMText().embed``: on GeneRec-Sim
        the raw 384-d sentence vectors rank new items better than the dual encoder's 128-d projection of them).

    Returns
    -------
    dict
        float32 arrays with one L2-normalised row per item.
    """
    if frames < 1:
        raise DataError(f"frames must be at least 1, got {frames}")
    items, path_of = _items_and_paths(world_or_dataset)
    table = items.set_index(items["id"].astype(str))
    ids = [str(i) for i in (table.index if item_ids is None else item_ids)]
    missing = [i for i in ids if i not in table.index]
    if missing:
        raise DataError(f"unknown item id {missing[0]!r} ({len(missing)} not in the items table)")
    visual = []
    for iid in tqdm(ids, desc="visual features", unit="item", disable=not progress):
        path = path_of(iid)
        if path is None or not Path(path).is_file():
            raise MediaError(f"item {iid!r} has no media file to encode ({path}); import or render its media first")
        visual.append(file_feature(encoder, Path(path), frames, cache))
    texts = [item_text(table.at[i, "title"], table.at[i, "caption"]) or i for i in ids]
    text = np.asarray((text_fn or encoder.encode_texts)(texts), dtype=np.float32)
    return {"visual": np.stack(visual).astype(np.float32), "text": text}


def meta_text(meta: dict[str, Any]) -> str:
    """Title + main-shot caption of a GeneRec-Sim item meta: the same text its dataset row has."""
    shots = meta.get("shots") or [{}]
    caption = shots[min(int(meta.get("main_shot", 0)), len(shots) - 1)].get("caption", "")
    return item_text(meta.get("title", ""), caption)
