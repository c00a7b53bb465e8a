"""Does the creator make the product that was asked for, and is it new? (the paper's §3.3 and §5.2 on fashion)

- *Category read rate*: for each request (a category, its instruction "a {category}", the
  category indicator and a shopper's User_Hist) one image is created, and
  :class:`~generec.data.fashion.classifier.FashionClassifier`, trained only on real
  photos, reads its category. The rate is compared with that classifier's accuracy on the
  real test photos (the goal: at least 0.9 of it).
- *Near-copies*: the share of created images that
  :class:`~generec.fidelity.memorisation.MemorisationIndex` flags as near-copies of a
  training photo, next to the check's own recall on real training photos presented as new
  (lightly altered: noise, a one-pixel shift, a mirror image).

Example
-------
>>> report, _ = fashion_creation_report(creator, classifier, world, index, load_split("test"))  # doctest: +SKIP
>>> report["read_rate_ratio"]                                                                # doctest: +SKIP
0.93
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from generec.creator.fashion import SOURCE_SIDE, fit_photo, item_photos, unfit_photo
from generec.data.fashion.source import CATEGORIES
from generec.fidelity.memorisation import MemorisationIndex
from generec.types import Guidance


def fashion_requests(world: Any, n: int, seed: int, encoder: Any) -> tuple[list[int], list[Guidance]]:
    """``n`` requests: a uniformly drawn category and a random shopper's User_Hist (from the photos they liked)."""
    from generec.diffusion.conditions import liked_pairs, user_hist_vectors

    likes = liked_pairs(world)
    ids = sorted(set(likes["item_id"]))
    feats = encoder.encode_images(np.stack([fit_photo(p, SOURCE_SIDE) for p in item_photos(world, ids)]))
    hist = user_hist_vectors(likes, dict(zip(ids, feats, strict=True)))
    users = sorted(hist)
    rng = np.random.default_rng([seed, 23])
    cats = rng.integers(0, len(CATEGORIES), n).tolist()
    who = rng.integers(0, len(users), n)
    guidance = [
        Guidance(
            instruction_text=f"a {CATEGORIES[c]}",
            user_hist=hist[users[u]],
            constraints={"attributes": {"category": [CATEGORIES[c]]}},
        )
        for c, u in zip(cats, who, strict=True)
    ]
    return cats, guidance


def create(creator: Any, guidance: list[Guidance], seed: int, batch: int = 100) -> np.ndarray:
    """Created images ``[n, size, size, 3]`` uint8, ``batch`` requests at a time."""
    parts = [creator.create(guidance[s : s + batch], seed=seed + s) for s in range(0, len(guidance), batch)]
    return np.concatenate(parts)


def altered_copies(images: np.ndarray, seed: int) -> np.ndarray:
    """Real photos ``[n, 28, 28]`` presented as new: Gaussian noise (sd 6/255), a one-pixel shift, or a mirror."""
    rng = np.random.default_rng([seed, 29])
    out = images.astype(np.float32)
    how = rng.integers(0, 3, len(images))
    out[how == 0] += rng.normal(0.0, 6.0, out[how == 0].shape)
    out[how == 1] = np.roll(out[how == 1], 1, axis=2)
    out[how == 2] = out[how == 2][:, :, ::-1]
    return np.clip(out.round(), 0, 255).astype(np.uint8)


def memorisation_index(classifier: Any, train: np.ndarray, held_out: np.ndarray) -> MemorisationIndex:
    """An index of the training photos in pixels and in the classifier's features, calibrated on ``held_out``."""
    return MemorisationIndex(train, embed=classifier.features, prepare=unfit_photo).calibrate(held_out)


def fashion_creation_report(
    creator: Any,
    classifier: Any,
    world: Any,
    index: MemorisationIndex,
    real_test: tuple[np.ndarray, np.ndarray],
    *,
    requests: int = 1000,
    seeds: Sequence[int] = (0, 1, 2),
    recall_images: np.ndarray | None = None,
) -> tuple[dict[str, Any], tuple[list[int], np.ndarray]]:
    """Category read rate per seed vs real test accuracy, near-copy share, and the check's recall.

    Returns the report and the first seed's requested categories and created images (for a sheet).
    """
    real_acc = classifier.score(*real_test)
    rates, copies, made = [], [], None
    for seed in seeds:
        cats, guidance = fashion_requests(world, requests, seed, creator.encoder)
        images = create(creator, guidance, seed)
        photos = np.stack([unfit_photo(im) for im in images])
        rates.append(float((classifier.predict(photos) == np.asarray(cats)).mean()))
        copies.append(float(index.flags(photos).mean()))
        made = made if made is not None else (cats, images)
    report: dict[str, Any] = {
        "requests": requests,
        "seeds": list(seeds),
        "candidates": int(getattr(creator, "candidates", 1)),
        "real_test_accuracy": round(real_acc, 4),
        "read_rate": [round(r, 4) for r in rates],
        "read_rate_ratio": round(float(np.mean(rates)) / real_acc, 4),
        "near_copy_share": [round(c, 4) for c in copies],
        "thresholds": index.thresholds,
    }
    if recall_images is not None:
        report["check_recall"] = round(float(index.flags(altered_copies(recall_images, 0)).mean()), 4)
    assert made is not None  # seeds is not empty
    return report, made


def fashion_sheet(
    path: str | Path, cats: list[int], images: np.ndarray, real: tuple[np.ndarray, np.ndarray], per_row: int = 6
) -> Path:
    """A contact sheet: per category, ``per_row`` created images beside ``per_row`` real test photos of it."""
    from generec.evaluation.sheets import save_sheet

    cats_a = np.asarray(cats)
    rows, made, shown = [], [], []
    for c, name in enumerate(CATEGORIES):
        mine = np.flatnonzero(cats_a == c)[:per_row]
        theirs = np.flatnonzero(real[1] == c)[:per_row]
        if len(mine) < per_row:
            continue
        rows.append(f"asked: {name}")
        made.append(images[mine])
        side = images.shape[1]
        shown.append(np.stack([fit_photo(real[0][k], side) for k in theirs]))
    return save_sheet(path, rows, {"created": np.stack(made), "real": np.stack(shown)}, frames=per_row, rows=10)
