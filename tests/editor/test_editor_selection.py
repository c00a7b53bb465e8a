"""Thumbnail selection (Eq. 1): the planted frame wins; guidance variants; bad input."""

from __future__ import annotations

import numpy as np
import pytest
from editor_media import PLANT_FIRST, PLANT_LEN, background, planted

from generec.editor import ThumbnailSelector, UserEmbMap, guidance_vector, select_frame, user_hist
from generec.encoders import FeatureCache
from generec.errors import ConfigError, MediaError, ModelError
from generec.types import Guidance


def test_selects_the_planted_frame_from_an_array(encoder):
    frames = background(20)
    frames[13] = planted(1)[0]
    t = encoder.encode_images(planted(1))[0]
    thumb = ThumbnailSelector(encoder, n_frames=None).select(frames, Guidance(user_hist=t))
    assert thumb.index == 13
    assert np.array_equal(thumb.image, frames[13])
    assert thumb.score == pytest.approx(float(thumb.scores.max()))


def test_selects_the_planted_frame_from_a_file_and_writes_it(encoder, planted_video, tmp_path):
    t = encoder.encode_images(planted(1))[0]
    cache = FeatureCache(tmp_path / "cache")
    sel = ThumbnailSelector(encoder, n_frames=12, cache=cache)
    thumb = sel.select(planted_video, Guidance(user_hist=t), out=tmp_path / "cover.png")
    assert PLANT_FIRST / 8 <= thumb.time < (PLANT_FIRST + PLANT_LEN) / 8
    assert thumb.path.is_file()
    assert thumb.image[..., 0].mean() > 150  # the red-and-white board, not the blue background
    again = sel.select(planted_video, Guidance(user_hist=t))  # second call reads the cache
    assert again.index == thumb.index and any((tmp_path / "cache").rglob("*.npy"))


def test_user_hist_guidance_follows_the_liked_thumbnails(encoder):
    frames = background(10)
    frames[7] = planted(1)[0]
    liked = encoder.encode_images(np.concatenate([planted(2), planted(1)[:, ::-1]]))
    g = Guidance(user_hist=user_hist(liked))
    assert ThumbnailSelector(encoder, n_frames=None).select(frames, g).index == 7


def test_user_emb_guidance_goes_through_the_fitted_map(encoder):
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(40, 6))
    target = encoder.encode_images(planted(1))[0]
    hist = np.outer(emb[:, 0], target) + 0.01 * rng.normal(size=(40, target.size))
    umap = UserEmbMap(alpha=1e-3).fit(emb, hist)
    v = guidance_vector(Guidance(user_emb=emb[np.argmax(emb[:, 0])]), user_map=umap, source="user_emb")
    assert float(v @ target) > 0.95
    with pytest.raises(ModelError, match="UserEmbMap"):
        guidance_vector(Guidance(user_emb=emb[0]), source="user_emb")


def test_instruction_text_is_embedded_by_the_encoder(encoder):
    v = guidance_vector(Guidance(instruction_text="a red checkerboard"), encoder)
    assert v.shape == (encoder.dim,) and np.isclose(np.linalg.norm(v), 1.0, atol=1e-5)
    with pytest.raises(ModelError, match="encoder"):
        guidance_vector(Guidance(instruction_text="a dog"))


def test_bad_guidance_and_inputs_raise(encoder):
    with pytest.raises(ModelError, match="no usable signal"):
        guidance_vector(Guidance())
    with pytest.raises(ModelError, match="non-zero"):
        guidance_vector(np.zeros(4))
    with pytest.raises(ModelError, match="history is empty"):
        user_hist(np.zeros((0, 4)))
    with pytest.raises(ModelError, match="width"):
        select_frame(np.eye(3, dtype=np.float32), np.ones(5, np.float32))
    with pytest.raises(ConfigError):
        ThumbnailSelector(encoder, n_frames=0)
    with pytest.raises(MediaError):
        ThumbnailSelector(encoder).select(np.zeros((0, 8, 8, 3), np.uint8), np.ones(encoder.dim))
    with pytest.raises(MediaError):
        ThumbnailSelector(encoder).select("/nonexistent/video.mp4", np.ones(encoder.dim))
