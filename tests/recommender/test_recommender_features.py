"""Item features from an encoder: a real (untrained, seeded) GeneRec dual encoder on a tiny GeneRec-Sim world."""

from __future__ import annotations

import numpy as np
import pytest

from generec.errors import DataError, MediaError
from generec.recommender.features import (
    frame_indices,
    item_features_from_encoder,
    item_text,
    meta_text,
    video_feature,
)


@pytest.fixture(scope="module")
def encoder():
    from generec.encoders.dual import DualEncoderConfig, GeneRecEncoder

    # Random but seeded weights: a real encoder whose vectors are deterministic; training is not under test here.
    return GeneRecEncoder(DualEncoderConfig(dim=16, widths=(8, 8, 16, 16)), seed=0)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from generec.data.sim import World

    out = tmp_path_factory.mktemp("feat") / "world"
    return World.build(out, users=12, items=6, seed=1, media=True, progress=False, instructions=0, workers=1)


def test_frame_indices_are_slice_centres():
    assert frame_indices(8, 4).tolist() == [1, 3, 5, 7]
    assert frame_indices(3, 8).tolist() == [0, 0, 0, 1, 1, 2, 2, 2]  # fewer frames than asked: repeats
    with pytest.raises(DataError, match="at least 1"):
        frame_indices(0, 4)


def test_item_text_joins_what_exists():
    assert item_text("A red car", "a red car on a road") == "A red car. a red car on a road"
    assert item_text(None, " sunset ") == "sunset"
    assert item_text(float("nan"), "") == ""
    meta = {"title": "T", "main_shot": 1, "shots": [{"caption": "first"}, {"caption": "second"}]}
    assert meta_text(meta) == "T. second"


def test_features_of_a_world_in_the_order_asked(world, encoder, tmp_path):
    from generec.encoders import FeatureCache

    ids = list(world.items["id"].astype(str))
    cache = FeatureCache(tmp_path / "cache")
    feats = item_features_from_encoder(world, encoder, frames=4, cache=cache, progress=False)
    assert set(feats) == {"visual", "text"}
    assert feats["visual"].shape == (len(ids), 16) and feats["text"].shape == (len(ids), 16)
    assert feats["visual"].dtype == np.float32 and np.isfinite(feats["visual"]).all()
    np.testing.assert_allclose(np.linalg.norm(feats["visual"], axis=1), 1.0, atol=1e-5)
    assert len(list((tmp_path / "cache").rglob("*.npy"))) == len(ids)  # one cached vector per video
    # Reversed order, read back from the cache, gives the same rows reversed.
    again = item_features_from_encoder(world, encoder, frames=4, cache=cache, item_ids=ids[::-1], progress=False)
    np.testing.assert_allclose(again["visual"], feats["visual"][::-1], atol=1e-6)
    np.testing.assert_allclose(again["text"], feats["text"][::-1], atol=1e-6)
    # A Dataset view of the same world gives the same vectors.
    from_ds = item_features_from_encoder(world.dataset(), encoder, frames=4, progress=False)
    np.testing.assert_allclose(from_ds["visual"], feats["visual"], atol=1e-5)
    # Another text embedder can replace the encoder's text tower; it gets title + caption per item.
    seen: list[str] = []

    def lengths(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return np.array([[len(t), 1.0] for t in texts], np.float32)

    own_text = item_features_from_encoder(world, encoder, frames=4, cache=cache, text_fn=lengths, progress=False)
    assert own_text["text"].shape == (len(ids), 2)
    assert seen[0] == item_text(world.items["title"].iat[0], world.items["caption"].iat[0])


def test_rendered_frames_match_the_file(world, encoder):
    from generec.data.sim import render_item

    iid = str(world.items["id"].iat[0])
    from_file = item_features_from_encoder(world, encoder, frames=8, item_ids=[iid], progress=False)["visual"][0]
    from_frames = video_feature(encoder, render_item(world.item_meta(iid)), count=8)
    # The same frames, once through MP4 compression: nearly the same vector.
    assert float(from_file @ from_frames) > 0.95


def test_bad_input(world, encoder, tmp_path):
    with pytest.raises(DataError, match="unknown item id"):
        item_features_from_encoder(world, encoder, item_ids=["nope"], progress=False)
    with pytest.raises(DataError, match="frames must be at least 1"):
        item_features_from_encoder(world, encoder, frames=0, progress=False)
    with pytest.raises(DataError, match="Dataset or a GeneRec-Sim World"):
        item_features_from_encoder(object(), encoder, progress=False)
    with pytest.raises(DataError, match=r"\[T, H, W, 3\]"):
        video_feature(encoder, np.zeros((4, 8, 8), np.uint8))
    from generec.data.dataset import Dataset

    no_media = Dataset.from_records(
        items=[{"id": "v1", "title": "a red car"}], users=[{"id": "u1"}],
        events=[{"user_id": "u1", "item_id": "v1", "kind": "click", "ts": 1.0}],
    )  # fmt: skip
    with pytest.raises(MediaError, match="no media file"):
        item_features_from_encoder(no_media, encoder, progress=False)
