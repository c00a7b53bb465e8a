"""Training data for creating fashion products (the paper's §5.2 on real product photos).

A fashion world's items are Fashion-MNIST photos (:mod:`generec.data.fashion`). Each
training row is one photo, padded from 28 to the model's side (or resized, below 28)
and repeated on three channels, conditioned as GeneRec-Sim shots are
(:func:`~generec.creator.training.condition_rows`): the encoder's embedding of the
item's caption ("a light plain sneaker") stands in for the instruction, a user who
liked the item gives User_Hist (the mean encoder feature of the photos they liked)
or User_Emb, and the item's category, brightness and texture are attribute indicators.

Example
-------
>>> conds = fashion_conditions(world, encoder, attributes=True)   # doctest: +SKIP
>>> fashion_pixels(world, conds["item_id"], 32).shape              # doctest: +SKIP
(2960, 32, 32, 3)
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from generec.diffusion.attributes import AttributeVocabulary
from generec.diffusion.conditions import ConditionSpec, liked_pairs, pair_with_likers, split_items, user_vectors
from generec.errors import DataError

SOURCE_SIDE = 28


def is_fashion_world(world: Any) -> bool:
    """Whether ``world`` (a loaded :class:`~generec.data.sim.World`) was made by ``generec import fashion-mnist``."""
    from generec.data.fashion.build import FORMAT

    return world.info.get("format") == FORMAT


def fit_photo(photo: np.ndarray, size: int) -> np.ndarray:
    """A grayscale or RGB photo ``[28, 28(, 3)]`` uint8 as ``[size, size, 3]``: padded with background, or resized."""
    photo = np.asarray(photo, dtype=np.uint8)
    rgb = np.repeat(photo[..., None], 3, axis=-1) if photo.ndim == 2 else photo
    h = rgb.shape[0]
    if size >= h:
        lo = (size - h) // 2
        return np.pad(rgb, ((lo, size - h - lo), (lo, size - h - lo), (0, 0)))
    return np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.BILINEAR))


def unfit_photo(image: np.ndarray) -> np.ndarray:
    """The grayscale ``[28, 28]`` product in a created image ``[size, size, 3]`` (the inverse of :func:`fit_photo`).

    A grayscale ``[28, 28]`` photo is returned as it is.
    """
    image = np.asarray(image)
    gray = image.astype(np.float32).mean(axis=-1) if image.ndim == 3 else image.astype(np.float32)
    size = gray.shape[0]
    if size >= SOURCE_SIDE:
        lo = (size - SOURCE_SIDE) // 2
        gray = gray[lo : lo + SOURCE_SIDE, lo : lo + SOURCE_SIDE]
    else:
        gray = np.asarray(Image.fromarray(gray.astype(np.uint8)).resize((SOURCE_SIDE, SOURCE_SIDE)), np.float32)
    return np.clip(gray.round(), 0, 255).astype(np.uint8)


READER_DIR = "reader"
"""A fashion model's own category reader (``generec train fashion-classifier --photos-of MODEL``), in its folder."""
CATEGORY_IMPORTANCE = 3.0
"""How much more a candidate read as the asked category counts than one read in an asked shade or texture: a
product of another category fails the request, a wrong shade is a near miss."""
NOVELTY_WITHIN = 0.1
"""Candidates nearer to a training photo than the 10% of new real photos nearest to one are ranked by how near."""


def measured_attributes(images: np.ndarray) -> list[dict[str, str]]:
    """The brightness and texture of made images ``[n, size, size, 3]``, measured as the catalogue measures its
    photos (:mod:`generec.data.fashion.measure`): what a creator's candidates are checked against."""
    from generec.data.fashion import measure

    b, t = measure.levels(np.stack([unfit_photo(im) for im in np.asarray(images)]))
    return [{"brightness": measure.BRIGHTNESS[i], "texture": measure.TEXTURE[j]} for i, j in zip(b, t, strict=True)]


class ProductReading:
    """Reads made products as the catalogue reads its photos: brightness and texture measured from the pixels
    (:func:`measured_attributes`) and, with the model's own ``classifier``, the category it sees."""

    def __init__(self, classifier: Any | None = None) -> None:
        self.classifier = classifier

    def __call__(self, images: np.ndarray) -> list[dict[str, str]]:
        from generec.data.fashion.source import CATEGORIES

        read = measured_attributes(images)
        if self.classifier is not None and len(read):
            seen = self.classifier.predict(np.stack([unfit_photo(im) for im in np.asarray(images)]))
            for values, c in zip(read, seen, strict=True):
                values["category"] = CATEGORIES[int(c)]
        return read


def match_brightness(images: np.ndarray, wanted: list[dict[str, str]]) -> np.ndarray:
    """Made products ``[n, size, size, 3]`` uint8 with each one's shade moved into its ``wanted`` brightness
    (the paper's §3.3: colour accuracy), where it was measured in another.

    A gamma on the garment's pixels (the background stays; no pixel leaves the garment) brings the mean
    brightness to the middle of the wanted third (:data:`generec.data.fashion.measure.BRIGHTNESS_CUTS`):
    a darker or lighter take of the same product, shape and print untouched.
    """
    from generec.data.fashion import measure

    images = np.asarray(images)
    if len(wanted) != len(images):
        raise DataError(f"{len(images)} images but {len(wanted)} sets of wanted values")
    lo, hi = measure.BRIGHTNESS_CUTS
    half = (hi - lo) / 2
    centre = {"dark": lo - half, "medium": lo + half, "light": hi + half}
    floor = int(np.floor(measure.GARMENT_LEVEL * 255)) + 1  # the darkest pixel still counted as garment
    out = images.copy()
    for i, (want, got) in enumerate(zip(wanted, measured_attributes(images) if len(images) else [], strict=True)):
        target = centre.get(want.get("brightness", ""))
        if target is None or got["brightness"] == want["brightness"]:
            continue
        gray = images[i].astype(np.float64).mean(axis=-1) / 255.0
        garment = gray > measure.GARMENT_LEVEL
        if not garment.any():
            continue
        x = gray[garment]
        low, high = -4.0, 4.0  # log2 of the gamma: brightness falls as it grows
        for _ in range(40):
            mid = (low + high) / 2
            low, high = (mid, high) if (x ** (2.0**mid)).mean() > target else (low, mid)
        shaded = gray.copy()
        shaded[garment] = x ** (2.0 ** ((low + high) / 2))
        pixels = np.clip(np.round(shaded * 255.0), 0, 255)
        pixels[garment] = np.maximum(pixels[garment], floor)
        out[i] = pixels.astype(np.uint8)[..., None]
    return out


def training_photos(world: Any, held_out: float, seed: int) -> list[int]:
    """Indices in Fashion-MNIST's training file of the photos a creation model trained on ``world`` learns from
    (the world's items less its held-out split), saved in the model's config for :func:`memorisation_screen`."""
    train_items, _ = split_items(world.items["id"], held_out, seed)
    index = {str(i): int(json.loads(a)["train_index"]) for i, a in zip(world.items["id"], world.items["attributes"],
                                                                      strict=True)}  # fmt: skip
    return sorted(index[i] for i in train_items)


def memorisation_screen(
    data: dict[str, Any], size: int, data_dir: Any = None, held_out: int = 2000, embed: Any = None
) -> Any:
    """A calibrated :class:`~generec.fidelity.memorisation.MemorisationIndex` of the photos a fashion creator
    learnt from (its config's ``meta.data.train_photos``), read from the Fashion-MNIST files: in pixels and,
    with ``embed`` (the model's reader's features), in that feature space. The thresholds are set on the first
    ``held_out`` real test photos (new by construction). A query is a made image at any size (the model's own
    ``size``, or shown larger): it is brought back to ``size`` and to the 28 px product. ``None`` when the
    config lists no photos. :class:`DataError` when the files are missing (naming the Debian package)."""
    from generec.data.fashion.source import load_split
    from generec.fidelity.memorisation import MemorisationIndex

    photos = data.get("train_photos")
    if not photos:
        return None
    train, _ = load_split("train", data_dir)
    if max(photos) >= len(train):
        raise DataError(f"the model lists training photo {max(photos)}, but the training file has {len(train)}")
    test, _ = load_split("test", data_dir)

    def product(image: np.ndarray) -> np.ndarray:
        image = np.asarray(image, dtype=np.uint8)
        if image.ndim == 3 and image.shape[0] != size:  # shown at the display size: back to the model's own
            image = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BOX))
        return unfit_photo(image)

    return MemorisationIndex(train[np.asarray(photos)], embed=embed, prepare=product).calibrate(test[:held_out])


def product_rules(path: Any, data: dict[str, Any], size: int) -> tuple[Any, Any]:
    """The :class:`~generec.diffusion.candidates.CandidateRules` of a fashion model saved at ``path`` (its
    config's ``meta.data``; made images ``size`` px), and the memorisation index they screen with (``None``
    when the Fashion-MNIST files are not installed: then nothing is screened, and a warning says why).

    With the model's own reader (``path/reader``) the category is read too and counts most, and the screen
    also compares the reader's features; without one, the look alone is read and pixels alone compared.
    """
    import logging
    from pathlib import Path

    from generec.data.fashion.classifier import FashionClassifier
    from generec.diffusion.candidates import CandidateRules

    log = logging.getLogger(__name__)
    folder = Path(path) / READER_DIR
    classifier = FashionClassifier.load(folder) if (folder / "config.json").exists() else None
    if classifier is None:
        log.warning("%s: no category reader (%s); candidates are read for their look only", path, folder)
    index = None
    try:
        index = memorisation_screen(data, size, embed=classifier.features if classifier is not None else None)
    except DataError as exc:  # the photos are not installed here: nothing to compare with
        log.warning("%s: no memorisation screen (%s)", path, exc)
    rules = CandidateRules(
        read=ProductReading(classifier),
        importance={"category": CATEGORY_IMPORTANCE} if classifier is not None else {},
        screen=(lambda images: index.screen(images, NOVELTY_WITHIN)) if index is not None else None,
        touch=match_brightness,
    )
    return rules, index


def item_photos(world: Any, item_ids: list[str]) -> np.ndarray:
    """The items' photos ``[n, 28, 28]`` uint8, read from the world's ``images/``."""
    media = dict(zip(world.items["id"].astype(str), world.items["media"], strict=True))
    out = np.zeros((len(item_ids), SOURCE_SIDE, SOURCE_SIDE), dtype=np.uint8)
    for n, iid in enumerate(item_ids):
        try:
            with Image.open(world.root / media[iid]) as img:
                out[n] = np.asarray(img.convert("L"))
        except (KeyError, OSError, ValueError) as exc:
            raise DataError(f"item {iid}: its photo in {world.root} is missing or unreadable ({exc})") from None
    return out


def fashion_pixels(world: Any, item_ids: list[str], size: int) -> np.ndarray:
    """Training pixels ``[n, size, size, 3]`` uint8 of the listed items (ids may repeat)."""
    unique = sorted(set(item_ids))
    photos = dict(zip(unique, item_photos(world, unique), strict=True))
    return np.stack([fit_photo(photos[i], size) for i in item_ids])


def fashion_conditions(
    world: Any,
    encoder: Any,
    *,
    guidance: str = "user_hist",
    user_embeddings: dict[str, np.ndarray] | None = None,
    held_out: float = 0.1,
    p_drop_part: float = 0.15,
    attributes: bool = True,
    p_drop_attribute: float = 0.25,
    seed: int = 0,
) -> dict[str, Any]:
    """Condition rows for a fashion world, in the form of :func:`~generec.creator.training.creation_conditions`."""
    from generec.creator.training import condition_rows, guidance_kinds
    from generec.data.fashion import measure

    train_items, _ = split_items(world.items["id"], held_out, seed)
    table = _attribute_table(world, train_items)
    kinds = guidance_kinds(guidance)
    likes = liked_pairs(world)
    likes = likes[likes["item_id"].isin(set(train_items))]
    feats = None
    if "user_hist" in kinds:
        photos = item_photos(world, train_items)
        vectors = encoder.encode_images(np.stack([fit_photo(p, SOURCE_SIDE) for p in photos]))
        feats = dict(zip(train_items, vectors, strict=True))
    users = {k: user_vectors(k, likes, feats, user_embeddings) for k in kinds}
    captions = sorted(set(world.items["caption"].astype(str)))
    text = dict(zip(captions, encoder.encode_texts(captions), strict=True))
    vocab = AttributeVocabulary.from_mapping(measure.VOCAB) if attributes else None
    dim = {k: len(next(iter(users[k].values()))) if users[k] else int(encoder.dim) for k in kinds}
    spec = ConditionSpec(
        (("instruction", int(encoder.dim)), *((k, dim[k]) for k in kinds),
         *((("attributes", vocab.dim),) if vocab is not None else ()))
    )  # fmt: skip
    both = {u: None for u in users[kinds[0]] if all(u in users[k] for k in kinds)}
    pairs = pair_with_likers(table["item_id"].tolist(), likes, both, seed)
    cond = condition_rows(pairs, table, text, users, kinds, spec, vocab, (p_drop_part, p_drop_attribute), seed)
    info = {
        "world": str(world.root),
        "domain": "fashion",
        "rows": len(pairs),
        "train_items": len(train_items),
        "held_out": held_out,
        **({"attribute_vocabulary": vocab.to_dict()} if vocab is not None else {}),
        "users_with_vectors": len(both),
        "seed": seed,
        "guidance": guidance,
        "encoder": getattr(encoder, "id", "unknown"),
    }
    return {
        "item_id": [str(table["item_id"].iat[r]) for r, _ in pairs],
        "shot": [0] * len(pairs),
        "cond": cond,
        "spec": spec,
        "info": info,
        "captions": text,
        "users": users,
    }


def _attribute_table(world: Any, item_ids: list[str]) -> pd.DataFrame:
    """``item_id``, ``caption`` and the attribute values of each listed item, in that order."""
    items = world.items.set_index(world.items["id"].astype(str))
    rows = []
    for iid in item_ids:
        attrs = json.loads(items.at[iid, "attributes"])
        rows.append({"item_id": iid, "caption": str(items.at[iid, "caption"]), **attrs})
    return pd.DataFrame(rows)
