"""(frame, caption) corpora for training and judging encoders, read from a dataset directory.

A GeneRec-Sim world stores each item's shots (with captions and ground-truth attributes)
in the items table's ``attributes`` JSON; frames are rendered from that metadata, which
is exactly what the world's own videos hold, without decoding any file. Any other
dataset with thumbnails gives (thumbnail, title) pairs instead.

Example
-------
>>> train_ids, test_ids = split_items([f"v{i}" for i in range(10)], held_out=0.2, seed=0)
>>> len(train_ids), len(test_ids)
(8, 2)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from generec.errors import DataError

SHOT_PROBE_ATTRIBUTES = ("category", "colour", "size", "motion", "scene", "style")


@dataclass
class Clip:
    """One captioned clip: ``frames`` ``[T, H, W, 3]`` uint8, its caption and ground-truth attributes."""

    item_id: str
    frames: np.ndarray
    caption: str
    attributes: dict[str, str] = field(default_factory=dict)


def read_items(world: str | Path) -> pd.DataFrame:
    """The items table of a dataset directory (only the columns encoders need)."""
    path = Path(world) / "items.parquet"
    if not path.is_file():
        raise DataError(f"{world} holds no items.parquet; build a world with `generec world build --out {world}`")
    df = pd.read_parquet(path, columns=["id", "title", "thumbnail", "attributes"])
    if df.empty:
        raise DataError(f"{path} has no items")
    return df


def split_items(item_ids: Sequence[str], held_out: float | int = 0.1, seed: int = 0) -> tuple[list[str], list[str]]:
    """Split item ids into (train, held-out) at random; ``held_out`` is a fraction or a count."""
    ids = sorted(str(i) for i in item_ids)
    n_test = int(round(held_out * len(ids))) if isinstance(held_out, float) else int(held_out)
    if not 0 < n_test < len(ids):
        raise DataError(f"cannot hold out {held_out} of {len(ids)} items; need at least one item on each side")
    order = np.random.default_rng(seed).permutation(len(ids))
    test = sorted(ids[i] for i in order[:n_test])
    train = sorted(ids[i] for i in order[n_test:])
    return train, test


def _even(n: int, k: int | None) -> np.ndarray:
    if k is None or k >= n:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, k).round().astype(int))


def shot_attributes(shot: dict[str, Any]) -> dict[str, str]:
    """Scene, style and the first subject's category, colour, size and motion of a sim shot."""
    first = shot["subjects"][0]
    return {
        "scene": shot["scene"],
        "style": shot["style"],
        **{a: first[a] for a in ("category", "colour", "size", "motion")},
    }


def sim_clips(
    world: str | Path,
    item_ids: Sequence[str] | None = None,
    frames_per_clip: int | None = None,
    progress: bool = True,
) -> list[Clip]:
    """One :class:`Clip` per shot of each (listed) GeneRec-Sim item, frames rendered from its metadata.

    ``frames_per_clip`` keeps that many evenly spaced frames of each shot (``None``: all).
    """
    from tqdm.auto import tqdm

    from generec.data.sim.render import render_shot, shot_seed

    df = read_items(world)
    if item_ids is not None:
        wanted = set(map(str, item_ids))
        df = df[df["id"].astype(str).isin(wanted)]
    clips: list[Clip] = []
    for iid, raw in tqdm(
        zip(df["id"], df["attributes"], strict=True),
        total=len(df),
        desc="render shots",
        disable=not progress,
        leave=False,
    ):
        meta = json.loads(raw or "{}")
        if "shots" not in meta or "seed" not in meta:
            raise DataError(f"item {iid} of {world} has no shot metadata; is this a GeneRec-Sim world?")
        size = int(meta.get("frame_size", 64))
        for k, shot in enumerate(meta["shots"]):
            n = int(shot["n_frames"])
            frames = render_shot(shot, n, size, shot_seed(meta["seed"], k))[_even(n, frames_per_clip)]
            clips.append(Clip(str(iid), frames, shot["caption"], shot_attributes(shot)))
    return clips


def thumbnail_clips(world: str | Path, item_ids: Sequence[str] | None = None) -> list[Clip]:
    """(thumbnail, title) clips for any dataset whose items have a thumbnail image and a title."""
    from PIL import Image

    df = read_items(world)
    if item_ids is not None:
        df = df[df["id"].astype(str).isin(set(map(str, item_ids)))]
    clips = []
    for iid, title, thumb in zip(df["id"], df["title"], df["thumbnail"], strict=True):
        if not thumb or not isinstance(title, str) or not title.strip():
            continue
        path = Path(world) / str(thumb)
        try:
            with Image.open(path) as im:
                frame = np.asarray(im.convert("RGB"))
        except (OSError, ValueError):
            continue  # an unreadable thumbnail just leaves the corpus smaller
        clips.append(Clip(str(iid), frame[None], title))
    if not clips:
        raise DataError(f"{world} has no items with both a readable thumbnail and a title to train on")
    return clips


def is_sim_world(world: str | Path) -> bool:
    """Whether the dataset's items carry GeneRec-Sim shot metadata."""
    first = read_items(world)["attributes"].iloc[0]
    return "shots" in json.loads(first or "{}")


def clips_to_pairs(clips: Sequence[Clip], size: int = 64) -> tuple[np.ndarray, list[str]]:
    """Flatten clips into (frames ``[N, size, size, 3]``, one caption per frame) for training."""
    from generec.encoders.base import resize_square

    frames, captions = [], []
    for clip in clips:
        frames.append(resize_square(list(clip.frames), size))
        captions.extend([clip.caption] * len(clip.frames))
    if not frames:
        raise DataError("no clips to train on")
    return np.concatenate(frames), captions
