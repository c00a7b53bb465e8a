"""``train_creation``: teach a diffusion model to draw GeneRec-Sim shots from (instruction, user) conditions.

Each training row is one shot of an item, re-rendered as a clip (or its middle frame
for images), conditioned on the encoder's embedding of the shot's caption (standing in
for the instruction that asked for it) and on the guidance vector of a user who liked
the item (User_Hist or User_Emb). Parts are dropped now and then, so the model also
creates from an instruction alone or a user alone, and the whole condition is dropped
for classifier-free guidance.

Example
-------
>>> model, state = train_creation("demo-world", encoder, "models/creation", steps=4000)  # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from generec.creator.fashion import fashion_conditions, fashion_pixels, is_fashion_world, training_photos
from generec.diffusion.attributes import AttributeVocabulary
from generec.diffusion.conditions import (
    ConditionSpec,
    load_world,
    pair_with_likers,
    shot_clips,
    split_items,
    user_guidance,
)
from generec.diffusion.model import DiffusionModel
from generec.diffusion.presets import IMAGE_PRESETS, VIDEO_PRESETS, image_config, pixel_size, video_config
from generec.diffusion.recipe import resolve_device, train_conditional
from generec.diffusion.training import TrainSettings
from generec.errors import ConfigError, DataError

GUIDANCE_KINDS = ("user_hist", "user_emb")


def creation_conditions(
    world: Any,
    encoder: Any,
    *,
    guidance: str = "user_hist",
    user_embeddings: dict[str, np.ndarray] | None = None,
    held_out: float = 0.1,
    p_drop_part: float = 0.15,
    single_subject: bool = True,
    attributes: bool = False,
    p_drop_attribute: float = 0.25,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, Any]:
    """The encoder's share of the data: a condition row per (shot, liker) and every caption's embedding.

    With ``single_subject`` only one-subject shots are training rows: in a two-subject shot the
    caption names two colours and two categories, so the pixels do not show *the* asked-for one.
    With ``attributes`` the condition also has an ``attributes`` part: the shot's attribute values
    as indicators (:mod:`generec.diffusion.attributes`), each value left out with probability
    ``p_drop_attribute`` so that a request naming only some of them is a condition seen in training.
    Returns ``{"item_id", "shot", "cond", "spec", "info", "captions", "users"}``; ``captions`` maps
    every shot caption of the world (held-out items too, for evaluation) to its text embedding;
    ``info["attribute_vocabulary"]`` is the attribute vocabulary, when there is one.
    """
    world = load_world(world)
    train_items, _ = split_items(world.items["id"], held_out, seed)
    shots = world.shots
    keep = shots["item_id"].astype(str).isin(set(train_items))
    if single_subject and "category2" in shots:
        keep &= shots["category2"].isna()
    table = shots[keep].reset_index(drop=True)
    if table.empty:
        raise DataError("no training shots left (single-subject filter); use a larger world or single_subject=False")
    kinds = guidance_kinds(guidance)
    likes, users = _user_vectors(world, encoder, kinds, user_embeddings, train_items, progress)
    captions = sorted(set(shots["caption"].astype(str)))
    text = dict(zip(captions, encoder.encode_texts(captions), strict=True))
    vocab = shot_vocabulary(table) if attributes else None
    spec = ConditionSpec(
        (
            ("instruction", int(encoder.dim)),
            *((k, _dim(users[k], encoder)) for k in kinds),
            *((("attributes", vocab.dim),) if vocab is not None else ()),
        )
    )
    both = {u: None for u in users[kinds[0]] if all(u in users[k] for k in kinds)}
    pairs = pair_with_likers(table["item_id"].astype(str).tolist(), likes, both, seed)
    drops = (p_drop_part, p_drop_attribute)
    cond = condition_rows(pairs, table, text, users, kinds, spec, vocab, drops, seed)
    info = {
        "world": str(world.root),
        "rows": len(pairs),
        "shots": len(table),
        "train_items": len(train_items),
        "held_out": held_out,
        "single_subject": single_subject,
        **({"attribute_vocabulary": vocab.to_dict()} if vocab is not None else {}),
        "users_with_vectors": len(both),
        "seed": seed,
        "guidance": guidance,
        "encoder": getattr(encoder, "id", "unknown"),
    }
    return {
        "item_id": [str(table["item_id"].iat[r]) for r, _ in pairs],
        "shot": [int(table["index"].iat[r]) for r, _ in pairs],
        "cond": cond,
        "spec": spec,
        "info": info,
        "captions": text,
        "users": users,
    }


def condition_rows(
    pairs: list[tuple[int, str | None]],
    table: Any,
    text: dict[str, np.ndarray],
    users: dict[str, dict[str, np.ndarray]],
    kinds: tuple[str, ...],
    spec: ConditionSpec,
    vocab: AttributeVocabulary | None,
    drops: tuple[float, float],
    seed: int,
) -> np.ndarray:
    """One condition vector per ``(row, user)`` pair: the row's caption embedding, one user signal, its attributes.

    ``table`` has a ``caption`` column and one column per attribute of ``vocab``; ``drops`` is
    ``(p_drop_part, p_drop_attribute)``: each part, and each attribute value, is left out that often.
    """
    p_drop_part, p_drop_attribute = drops
    rng = np.random.default_rng([seed, 3])
    cond = []
    for row, user in pairs:
        # One user signal per row (uniformly among the kinds): at creation time the request carries one of them.
        shown = kinds[int(rng.integers(len(kinds)))] if len(kinds) > 1 else kinds[0]
        values: dict[str, np.ndarray | None] = {
            "instruction": None if rng.random() < p_drop_part else text[str(table["caption"].iat[row])]
        }
        if user is not None and rng.random() >= p_drop_part:
            values[shown] = users[shown][user]
        if vocab is not None and rng.random() >= p_drop_part:
            keep = [a for a in vocab.names if rng.random() >= p_drop_attribute]
            values["attributes"] = vocab.encode({a: str(table[a].iat[row]) for a in keep})
        cond.append(spec.vector(values))
    return np.stack(cond)


def shot_vocabulary(shots: Any) -> AttributeVocabulary:
    """The attribute values the shots show (first subject and shot attributes), in the world vocabulary's order."""
    from generec.data.sim.vocab import VOCAB

    present = {a: set(shots[a].dropna().astype(str)) for a in VOCAB if a in shots}
    return AttributeVocabulary.from_mapping({a: [v for v in VOCAB[a] if v in present[a]] for a in present})


def guidance_kinds(guidance: str) -> tuple[str, ...]:
    """``"user_hist"``, ``"user_emb"`` or both joined by ``+`` (one model that takes either signal)."""
    kinds = tuple(k.strip() for k in guidance.split("+"))
    if not kinds or any(k not in GUIDANCE_KINDS for k in kinds) or len(set(kinds)) != len(kinds):
        raise ConfigError(f"unknown guidance {guidance!r}; use user_hist, user_emb or user_hist+user_emb")
    return kinds


def _dim(vectors: dict[str, np.ndarray], encoder: Any) -> int:
    return len(next(iter(vectors.values()))) if vectors else int(encoder.dim)


def _user_vectors(
    world: Any, encoder: Any, kinds: tuple[str, ...], user_embeddings: Any, items: list[str], progress: bool
) -> tuple[Any, dict[str, dict[str, np.ndarray]]]:
    """Likes on ``items`` and, per guidance kind, every user's vector."""
    users: dict[str, dict[str, np.ndarray]] = {}
    likes = None
    for kind in kinds:
        likes, users[kind] = user_guidance(world, encoder, kind, user_embeddings, items, progress)
    return likes, users


def save_conditions(path: str | Path, conds: dict[str, Any]) -> Path:
    """Write :func:`creation_conditions` to an ``.npz`` (so a GPU machine needs no text encoder)."""
    caps = list(conds["captions"])
    meta = json.dumps({"spec": conds["spec"].to_dict(), "info": conds["info"]})
    users = users_to_npz(conds.get("users", {}))
    np.savez_compressed(
        path,
        item_id=np.array(conds["item_id"]),
        shot=np.array(conds["shot"]),
        cond=conds["cond"],
        caption=np.array(caps),
        caption_emb=np.stack([conds["captions"][c] for c in caps]),
        meta=np.array(meta),
        **users,
    )
    return Path(path)


def load_conditions(path: str | Path) -> dict[str, Any]:
    """Read what :func:`save_conditions` wrote."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            return {
                "item_id": [str(i) for i in z["item_id"]],
                "shot": [int(k) for k in z["shot"]],
                "cond": z["cond"].astype(np.float32),
                "spec": ConditionSpec.from_dict(meta["spec"]),
                "info": meta["info"],
                "captions": dict(zip([str(c) for c in z["caption"]], z["caption_emb"], strict=True)),
                "users": users_in_npz(z),
            }
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"{path} is not a conditions file written by save_conditions: {exc}") from exc


def users_to_npz(users: dict[str, dict[str, np.ndarray]], dtype: Any = np.float32) -> dict[str, np.ndarray]:
    """The ``users_<kind>_ids`` / ``users_<kind>_vecs`` arrays of ``{kind: {user: vector}}`` (the reverse of
    :func:`users_in_npz`); kinds without users are left out."""
    arrays: dict[str, np.ndarray] = {}
    for kind, vectors in users.items():
        if vectors:
            arrays[f"users_{kind}_ids"] = np.array(list(vectors))
            arrays[f"users_{kind}_vecs"] = np.stack(list(vectors.values())).astype(dtype)
    return arrays


def users_in_npz(z: Any) -> dict[str, dict[str, np.ndarray]]:
    """``{kind: {user: vector}}`` from an open ``.npz`` with ``users_<kind>_ids`` / ``users_<kind>_vecs`` arrays."""
    return {
        k: dict(zip([str(u) for u in z[f"users_{k}_ids"]], z[f"users_{k}_vecs"], strict=True))
        for k in GUIDANCE_KINDS
        if f"users_{k}_ids" in z.files
    }


def creation_rows(
    world: Any,
    encoder: Any | None,
    *,
    kind: str = "video",
    guidance: str = "user_hist",
    frames: int = 8,
    size: int = 32,
    user_embeddings: dict[str, np.ndarray] | None = None,
    held_out: float = 0.1,
    attributes: bool = False,
    seed: int = 0,
    cache: str | Path | None = None,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray, ConditionSpec, dict[str, Any]]:
    """Pixels, condition rows, their spec and a description of the data, for a creation model.

    With ``cache``: conditions are read from that file if it exists (no encoder needed), else computed and written.
    ``attributes`` adds the attribute-indicator part (:func:`creation_conditions`).
    """
    if kind not in ("video", "image"):
        raise ConfigError(f"creation kind must be video or image, got {kind!r}")
    world = load_world(world)
    fashion = is_fashion_world(world)
    if cache is not None and Path(cache).is_file():
        conds = load_conditions(cache)
        if attributes != ("attributes" in conds["spec"].names):
            made = "with" if not attributes else "without"
            raise ConfigError(f"the conditions file {cache} was made {made} attribute conditions; use another file")
    else:
        if encoder is None:
            raise ConfigError("creation data needs an encoder (or a conditions file from `--conditions`)")
        make_conditions = fashion_conditions if fashion else creation_conditions
        conds = make_conditions(
            world,
            encoder,
            guidance=guidance,
            user_embeddings=user_embeddings,
            held_out=held_out,
            attributes=attributes,
            seed=seed,
            **({} if fashion else {"progress": progress}),
        )
        if cache is not None:
            save_conditions(cache, conds)
    if fashion:
        if kind != "image":
            raise ConfigError("a fashion world holds photos: train it with --kind image")
        info = dict(conds["info"])  # the photos it learns from, for its memorisation screen (training_photos)
        info["train_photos"] = training_photos(world, float(info["held_out"]), int(info["seed"]))
        return fashion_pixels(world, conds["item_id"], size), conds["cond"], conds["spec"], info
    items = sorted(set(conds["item_id"]))
    clips, table = shot_clips(world, frames, size, items, progress)
    where = {(iid, k): n for n, (iid, k) in enumerate(zip(table["item_id"], table["shot"], strict=True))}
    rows = [where[(i, k)] for i, k in zip(conds["item_id"], conds["shot"], strict=True)]
    pixels = clips[rows] if kind == "video" else clips[rows, frames // 2]
    return pixels, conds["cond"], conds["spec"], dict(conds["info"])


def train_creation(
    world: Any,
    encoder: Any,
    out: str | Path | None,
    *,
    kind: str = "video",
    guidance: str = "user_hist",
    preset: str = "demo",
    settings: TrainSettings | None = None,
    user_embeddings: dict[str, np.ndarray] | None = None,
    conditions: str | Path | None = None,
    attributes: bool = False,
    device: str = "cpu",
    progress: bool = True,
) -> tuple[DiffusionModel, dict[str, Any]]:
    """Train (or resume) a creation model on a world; saved to ``out`` with its config and condition recipe.

    ``attributes`` conditions it on the attribute values of each shot too (what the instructor reads from a
    request), next to the instruction's text embedding; the vocabulary is saved in the model's config.
    """
    settings = (settings or TrainSettings()).validate()
    resolve_device(device)  # fail before minutes of data preparation
    presets = VIDEO_PRESETS if kind == "video" else IMAGE_PRESETS
    if preset not in presets:
        raise ConfigError(f"unknown {kind} model preset {preset!r}; choose one of {', '.join(presets)}")
    shape = presets[preset]
    pixels, cond, spec, info = creation_rows(
        world,
        encoder,
        kind=kind,
        guidance=guidance,
        frames=shape.get("frames", 8),
        size=pixel_size(preset, kind),
        user_embeddings=user_embeddings,
        attributes=attributes,
        seed=settings.seed,
        cache=conditions,
        progress=progress,
    )
    meta = {
        "task": f"creation-{kind}",
        "guidance": info.get("guidance", guidance),
        "condition": spec.to_dict(),
        **({"attribute_vocabulary": info["attribute_vocabulary"]} if "attribute_vocabulary" in info else {}),
        "encoder": info.get("encoder", getattr(encoder, "id", "unknown")),
        "data": info,
    }
    make = video_config if kind == "video" else image_config
    return train_conditional(
        make(preset, spec.dim, meta), pixels, cond, settings, out, device=device, progress=progress
    )
