"""The MMGCN behind the paper's PS@K (Tables 1-4): trained on a world's split with thumbnail features.

One recipe for every table, so PS@K means the same thing in each: MMGCN (Wei et al., 2019) with
the encoder features of the items' thumbnails as its one ("visual") modality, early stopping on
validation (patience 10). Its user embeddings are also the paper's User_Emb guidance.

Example
-------
>>> model, emb = fit_mmgcn(world, encoder, out="models/mmgcn", seed=0)   # doctest: +SKIP
>>> next(iter(emb.values())).shape                                        # doctest: +SKIP
(64,)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from generec.errors import DataError


def fit_ps_mmgcn(split: Any, thumbs: np.ndarray, epochs: int = 60, seed: int = 0) -> Any:
    """MMGCN on ``split`` with ``thumbs`` (one row per item of the split) as its visual modality."""
    from generec.recommender import MMGCN

    return MMGCN(epochs=epochs, patience=10, seed=seed, verbose=False).fit(split, features={"visual": thumbs})


def fit_mmgcn(
    world: Any, encoder: Any, out: Any | None = None, seed: int = 0, epochs: int = 60
) -> tuple[Any, dict[str, np.ndarray]]:
    """MMGCN on the world's split with thumbnail features (as Tables 1-3), and its user embeddings by user id.

    With ``out``, saves the model there and the embeddings as ``out/user_emb.npz`` (``user_ids``,
    ``vectors``: what ``generec train revision --user-emb`` reads).
    """
    from pathlib import Path

    from generec.diffusion.conditions import load_world
    from generec.media import read_image

    world = load_world(world)
    split = world.dataset().split()
    thumbs = encoder.encode_images(np.stack([read_image(world.thumbnail_path(i)) for i in split.item_ids]))
    model = fit_ps_mmgcn(split, thumbs, epochs, seed)
    emb = user_embeddings(model, split.user_ids)
    if out is not None:
        model.save(out)
        ids = np.asarray(list(emb), dtype=str)
        np.savez(Path(out) / "user_emb.npz", user_ids=ids, vectors=np.stack(list(emb.values())))
    return model, emb


def user_embeddings(model: Any, user_ids: Sequence[str]) -> dict[str, np.ndarray]:
    """A recommender's user vectors keyed by user id (``user_ids`` in the order of its training split)."""
    vectors = model.user_emb_.detach().cpu().numpy().astype(np.float32)
    if len(vectors) != len(user_ids):
        raise DataError(f"the model has {len(vectors)} users, the split {len(user_ids)}: not trained on this split")
    return {str(u): v for u, v in zip(user_ids, vectors, strict=True)}
