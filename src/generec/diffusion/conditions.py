"""Condition vectors from GeneRec's guidance signals, and training material from GeneRec-Sim worlds.

A condition vector is the concatenation of named *parts*, each a vector in some
space: ``instruction`` (the encoder's text embedding of the instruction),
``user_hist`` (the mean encoder feature of the items a user liked, paper: User_Hist),
``user_emb`` (the recommender's user embedding, paper: User_Emb), ``video`` (pooled
frame features of an item) or ``liked_thumbs`` (a user's liked thumbnails pooled by
attention) or ``attributes`` (a multi-hot of the attribute values the instruction names, see
:mod:`generec.diffusion.attributes`). A :class:`ConditionSpec` records the parts and their sizes in the
model's config so that a saved model always rebuilds its conditions the same way.

The encoder is any object with the ``generec.encoders.Encoder`` methods
(``encode_images``, ``encode_texts``, ``encode_video``); it is passed in, never imported.

Example
-------
>>> import numpy as np
>>> spec = ConditionSpec((("instruction", 4), ("user_hist", 4)))
>>> spec.dim
8
>>> v = spec.vector({"instruction": np.ones(4)})   # each part scaled to norm 1/sqrt(2); missing -> zeros
>>> round(float(np.linalg.norm(v[:4])), 3), float(np.abs(v[4:]).sum())
(0.707, 0.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from generec.errors import ConfigError, DataError

PARTS = ("instruction", "user_hist", "user_emb", "video", "liked_thumbs", "attributes")
INDICATOR_PARTS = ("attributes",)
"""Parts given as they are (0/1 indicators), not scaled to unit norm: each value keeps its weight whatever else
the request names."""


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / max(float(np.linalg.norm(x)), 1e-12)


@dataclass(frozen=True)
class ConditionSpec:
    """Named parts of a condition vector and their sizes, e.g. ``(("instruction", 128), ("user_emb", 64))``."""

    parts: tuple[tuple[str, int], ...]

    def __post_init__(self) -> None:
        for name, size in self.parts:
            if name not in PARTS or size < 1:
                raise ConfigError(f"bad condition part {name!r} of size {size}; parts are {', '.join(PARTS)}")

    @property
    def dim(self) -> int:
        return sum(size for _, size in self.parts)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.parts)

    def vector(self, values: Mapping[str, np.ndarray | None]) -> np.ndarray:
        """Concatenate the parts, unit-normalised (indicators as given); a missing part is zeros (seen in training)."""
        out = []
        for name, size in self.parts:
            v = values.get(name)
            if v is None:
                out.append(np.zeros(size, dtype=np.float32))
                continue
            v = np.asarray(v, dtype=np.float32).reshape(-1)
            if v.shape[0] != size:
                raise ConfigError(f"condition part {name!r} has {v.shape[0]} values; the model expects {size}")
            if name in INDICATOR_PARTS:
                out.append(v)
                continue
            # Each part is scaled to norm 1/sqrt(n_parts) so no part outweighs another by its size.
            out.append(_unit(v) / np.sqrt(len(self.parts)))
        return np.concatenate(out).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"parts": [list(p) for p in self.parts]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConditionSpec:
        return cls(tuple((str(n), int(s)) for n, s in data["parts"]))


# ---------------------------------------------------------------------- world material
def shot_clips(
    world: Any, frames: int, size: int, item_ids: Sequence[str] | None = None, progress: bool = True
) -> tuple[np.ndarray, pd.DataFrame]:
    """Every shot of the given items, re-rendered as a ``frames``-long clip at ``size`` pixels.

    A shot's motion is a function of its progress, so rendering it at ``frames`` frames
    shows the whole motion whatever the shot's own length. Returns uint8 pixels
    ``[N, frames, size, size, 3]`` and a table (``item_id``, ``shot``, ``caption`` and the
    first subject's attributes plus scene and style) aligned with them.
    """
    from generec.data.sim.render import render_shot, shot_seed

    ids = list(world.items["id"].astype(str)) if item_ids is None else [str(i) for i in item_ids]
    clips, rows = [], []
    for iid in tqdm(ids, desc="rendering clips", disable=not progress, leave=False):
        meta = world.item_meta(iid)
        for k, shot in enumerate(meta["shots"]):
            clips.append(render_shot(shot, frames, size, shot_seed(meta["seed"], k)))
            head = shot["subjects"][0]
            rows.append(
                {
                    "item_id": iid,
                    "shot": k,
                    "caption": shot["caption"],
                    "scene": shot["scene"],
                    "style": shot["style"],
                    **{a: head[a] for a in ("category", "colour", "size", "motion")},
                }
            )
    if not clips:
        raise DataError("no items to render clips from")
    return np.stack(clips), pd.DataFrame(rows)


def single_subject(world: Any, table: pd.DataFrame) -> np.ndarray:
    """``[N]`` bool: which rows of a :func:`shot_clips` table are one-subject shots (a clip that shows one
    thing can be asked for, and read, by its attributes)."""
    single = world.shots.set_index(["item_id", "index"])["category2"].isna()
    return np.asarray([bool(single.get((i, k), True)) for i, k in zip(table["item_id"], table["shot"], strict=True)],
                      dtype=bool)  # fmt: skip


def item_features(
    encoder: Any, world: Any, item_ids: Sequence[str], progress: bool = True, batch: int = 256
) -> np.ndarray:
    """One encoder feature per item: the normalised mean of its shots' middle frames' features."""
    from generec.data.sim.render import render_frame

    frames, owner = [], []
    for n, iid in enumerate(tqdm(item_ids, desc="item frames", disable=not progress, leave=False)):
        meta = world.item_meta(iid)
        for s in meta["shots"]:
            frames.append(render_frame(meta, s["start_frame"] + s["n_frames"] // 2))
            owner.append(n)
    feats = np.concatenate(
        [encoder.encode_images(np.stack(frames[k : k + batch])) for k in range(0, len(frames), batch)]
    )
    out = np.zeros((len(item_ids), feats.shape[1]), dtype=np.float32)
    np.add.at(out, np.asarray(owner), feats)
    return np.stack([_unit(v) for v in out]) if len(out) else out


def liked_pairs(world: Any) -> pd.DataFrame:
    """``(user_id, item_id)`` of every like in the world, in event order."""
    ev = world.events
    likes = ev.loc[ev["kind"].astype(str) == "like", ["user_id", "item_id"]].astype(str)
    if likes.empty:
        raise DataError("the world has no likes; build a larger world (more users or impressions)")
    return likes.reset_index(drop=True)


def user_hist_vectors(likes: pd.DataFrame, features: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """User_Hist: per user, the normalised mean feature of the items they liked (items without features skipped)."""
    out: dict[str, list[np.ndarray]] = {}
    for uid, iid in zip(likes["user_id"], likes["item_id"], strict=True):
        if iid in features:
            out.setdefault(uid, []).append(features[iid])
    return {u: _unit(np.mean(v, axis=0)) for u, v in out.items()}


def attention_pool(query: np.ndarray, keys: np.ndarray, temperature: float = 0.1) -> np.ndarray:
    """Softmax(query . keys / temperature)-weighted mean of ``keys``: keys closest to the query count most."""
    keys = np.atleast_2d(np.asarray(keys, dtype=np.float32))
    if keys.shape[0] == 0:
        return np.zeros_like(np.asarray(query, dtype=np.float32))
    logits = keys @ np.asarray(query, dtype=np.float32) / temperature
    w = np.exp(logits - logits.max())
    return _unit((w / w.sum()) @ keys)


def user_vectors(
    kind: str,
    likes: pd.DataFrame,
    features: Mapping[str, np.ndarray] | None = None,
    user_embeddings: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """The user part of the guidance: ``user_hist`` from liked items' features, ``user_emb`` as given."""
    if kind == "user_hist":
        if features is None:
            raise ConfigError("User_Hist guidance needs item features")
        return user_hist_vectors(likes, features)
    if kind == "user_emb":
        if not user_embeddings:
            raise ConfigError(
                "User_Emb guidance needs the recommender's user embeddings (an .npz with user_ids and vectors)"
            )
        return {str(u): np.asarray(v, dtype=np.float32) for u, v in user_embeddings.items()}
    raise ConfigError(f"unknown guidance kind {kind!r}; choose user_hist or user_emb")


def pair_with_likers(
    item_ids: Sequence[str], likes: pd.DataFrame, users: Mapping[str, np.ndarray], seed: int, per_row: int = 2
) -> list[tuple[int, str | None]]:
    """Training pairs ``(row, user_id)``: each row (a shot of an item) with up to ``per_row`` users who liked it.

    A row whose item nobody (with a vector) liked is kept once with ``None``: the model
    still learns to draw it, with the user part of its condition left empty.
    """
    rng = np.random.default_rng(seed)
    likers: dict[str, list[str]] = {}
    for uid, iid in zip(likes["user_id"], likes["item_id"], strict=True):
        if uid in users:
            likers.setdefault(iid, []).append(uid)
    pairs: list[tuple[int, str | None]] = []
    for row, iid in enumerate(item_ids):
        who = likers.get(str(iid), [])
        if not who:
            pairs.append((row, None))
            continue
        pick = rng.choice(len(who), size=min(per_row, len(who)), replace=False)
        pairs.extend((row, who[int(k)]) for k in pick)
    return pairs


def fit_clip(frames: np.ndarray, n_frames: int, size: int) -> np.ndarray:
    """Resample a clip ``[T, H, W, 3]`` uint8 to ``n_frames`` evenly spaced frames of ``size`` x ``size``."""
    from PIL import Image

    frames = np.asarray(frames)
    if frames.ndim == 3:
        frames = frames[None]
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or len(frames) == 0:
        raise DataError(f"expected uint8 frames [T, H, W, 3], got {frames.dtype} {frames.shape}")
    pick = np.linspace(0, len(frames) - 1, n_frames).round().astype(int)
    out = [np.asarray(Image.fromarray(frames[k]).resize((size, size), Image.BILINEAR)) for k in pick]
    return np.stack(out)


def guidance_values(
    guidance: Any, encoder: Any | None = None, vocabulary: Any | None = None
) -> dict[str, np.ndarray | None]:
    """The parts a :class:`generec.types.Guidance` offers; the instruction text is encoded if no embedding is given.

    With an :class:`~generec.diffusion.attributes.AttributeVocabulary`, the attribute values the instructor
    read from the request (``guidance.constraints["attributes"]``) become the ``attributes`` part.
    """
    instruction = guidance.instruction_emb
    if instruction is None and guidance.instruction_text:
        if encoder is None:
            raise ConfigError("an instruction text needs an encoder to embed it (or pass Guidance.instruction_emb)")
        instruction = encoder.encode_texts([guidance.instruction_text])[0]
    values = {"instruction": instruction, "user_hist": guidance.user_hist, "user_emb": guidance.user_emb}
    named = (guidance.constraints or {}).get("attributes")
    if vocabulary is not None and named:
        values["attributes"] = vocabulary.encode(named)
    return values


def split_items(item_ids: Sequence[str], held_out: float, seed: int) -> tuple[list[str], list[str]]:
    """A deterministic ``(train, held_out)`` split of item ids (held-out items feed Frechet distances)."""
    if not 0.0 <= held_out < 1.0:
        raise ConfigError(f"held-out fraction must be in [0, 1), got {held_out}")
    ids = [str(i) for i in item_ids]
    order = np.random.default_rng([seed, 17]).permutation(len(ids))
    n_out = int(round(held_out * len(ids)))
    out = set(order[:n_out].tolist())
    return [i for k, i in enumerate(ids) if k not in out], [i for k, i in enumerate(ids) if k in out]


def load_world(world: Any) -> Any:
    """A :class:`generec.data.sim.World` from a path (or the world itself)."""
    from generec.data.sim import World

    return world if isinstance(world, World) else World.load(world)


def user_guidance(
    world: Any,
    encoder: Any,
    guidance: str,
    user_embeddings: dict[str, np.ndarray] | None,
    items: list[str],
    progress: bool,
) -> tuple[Any, dict[str, np.ndarray]]:
    """Likes restricted to ``items`` and the user vectors of the chosen guidance kind."""
    likes = liked_pairs(world)
    likes = likes[likes["item_id"].isin(set(items))]
    feats = None
    if guidance == "user_hist":
        feats = dict(zip(items, item_features(encoder, world, items, progress), strict=True))
    return likes, user_vectors(guidance, likes, feats, user_embeddings)
