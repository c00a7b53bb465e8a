"""The offline dual encoder: training, saving/loading as a backend, determinism and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from generec.encoders import Encoder, load_encoder
from generec.encoders.dual import DualEncoderConfig, GeneRecEncoder
from generec.encoders.text import MiniLMText
from generec.encoders.train import DualEncoderTrainer
from generec.errors import MediaError, ModelError

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 60), "blue": (40, 60, 230), "yellow": (230, 220, 40)}
SHAPES = ("square", "disc", "bar")


def render_synthetic(n_per: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """Coloured shapes on dark or light grounds, jittered: a minimal (frame, caption) corpus."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:64, 0:64]
    frames, captions = [], []
    for colour, rgb in COLOURS.items():
        for shape in SHAPES:
            for ground, level in (("dark", 30), ("light", 210)):
                for _ in range(n_per):
                    img = np.full((64, 64, 3), level, np.float32) + rng.normal(0, 8, (64, 64, 3))
                    cy, cx, r = *rng.integers(18, 46, 2), int(rng.integers(9, 15))
                    if shape == "square":
                        mask = (abs(yy - cy) < r) & (abs(xx - cx) < r)
                    elif shape == "disc":
                        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r**2
                    else:
                        mask = (abs(yy - cy) < r // 3) & (abs(xx - cx) < 2 * r)
                    img[mask] = rgb
                    frames.append(np.clip(img, 0, 255).astype(np.uint8))
                    captions.append(f"a {colour} {shape} on a {ground} background")
    return np.stack(frames), captions


@pytest.fixture(scope="module")
def text_tower() -> MiniLMText:
    return MiniLMText()


@pytest.fixture(scope="module")
def trained(text_tower: MiniLMText) -> DualEncoderTrainer:
    frames, captions = render_synthetic(3, seed=0)
    return DualEncoderTrainer(dim=32, steps=60, batch_size=48, seed=0, text_tower=text_tower, progress=False).fit(
        frames, captions
    )


def test_training_learns_and_beats_chance(trained: DualEncoderTrainer) -> None:
    hist = trained.history_
    assert len(hist) == 60 and np.mean(hist[-10:]) < 0.8 * np.mean(hist[:5])
    frames, captions = render_synthetic(1, seed=1)  # unseen renders of the same 24 descriptions
    enc = trained.encoder_
    sims = enc.encode_texts(captions) @ enc.encode_images(frames).T
    top5 = np.argsort(-sims, axis=1)[:, :5]
    recall5 = np.mean([i in row for i, row in enumerate(top5)])
    assert recall5 > 2 * 5 / 24, recall5  # chance is 5/24


def test_save_load_round_trip(trained: DualEncoderTrainer, text_tower: MiniLMText, tmp_path: Path) -> None:
    enc = trained.encoder_
    enc.save_pretrained(tmp_path / "enc")
    cfg = json.loads((tmp_path / "enc" / "config.json").read_text())
    assert cfg["backend"] == "generec" and cfg["dim"] == 32 and cfg["train"]["steps"] == 60
    loaded = load_encoder("generec", tmp_path / "enc", text_tower=text_tower)
    assert isinstance(loaded, Encoder) and loaded.id == enc.id and loaded.id.startswith("generec:")
    frames, captions = render_synthetic(1, seed=2)
    np.testing.assert_allclose(loaded.encode_images(frames), enc.encode_images(frames), atol=1e-6)
    np.testing.assert_allclose(loaded.encode_texts(captions[:3]), enc.encode_texts(captions[:3]), atol=1e-6)
    # Any size is accepted (resized to 64x64); a video gives per-frame and pooled vectors.
    per_frame, pooled = loaded.encode_video([frames[0][:40, :50], frames[1]])
    assert per_frame.shape == (2, 32) and pooled.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(per_frame, axis=1), 1.0, atol=1e-5)
    # Free-form text works: the text tower is a full sentence model.
    assert loaded.encode_texts(["show me something blue, please"]).shape == (1, 32)


def test_same_seed_same_weights(text_tower: MiniLMText) -> None:
    frames, captions = render_synthetic(1, seed=3)
    runs = [
        DualEncoderTrainer(dim=16, steps=5, batch_size=16, seed=s, text_tower=text_tower, progress=False)
        .fit(frames, captions)
        .encoder_.encode_images(frames[:4])
        for s in (7, 7, 8)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


def test_bad_training_input(text_tower: MiniLMText) -> None:
    frames, captions = render_synthetic(1, seed=4)
    trainer = DualEncoderTrainer(dim=8, steps=2, text_tower=text_tower, progress=False)
    with pytest.raises(ModelError, match="one caption per frame"):
        trainer.fit(frames, captions[:-1])
    with pytest.raises(ModelError, match="distinct captions"):
        trainer.fit(frames[:3], ["same"] * 3)
    with pytest.raises(ModelError, match="at least 2"):
        trainer.fit(frames[:1], captions[:1])
    with pytest.raises(MediaError, match="uint8"):
        trainer.fit(frames.astype(np.float32), captions)


def test_broken_directories(tmp_path: Path, text_tower: MiniLMText) -> None:
    with pytest.raises(ModelError, match="config.json"):
        load_encoder("generec", tmp_path)
    enc = GeneRecEncoder(DualEncoderConfig(dim=8), text_tower=text_tower)
    d = enc.save_pretrained(tmp_path / "e")
    (d / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(ModelError, match="corrupt"):
        load_encoder("generec", d)
    (d / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="generec train encoder"):
        load_encoder("generec", d)
    (d / "config.json").write_text('{"backend": "transformers_clip"}')
    with pytest.raises(ModelError, match="not 'generec'"):
        load_encoder("generec", d)
    (d / "config.json").write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        load_encoder("generec", d)


def test_text_tower_cache(text_tower: MiniLMText, tmp_path: Path) -> None:
    from generec.encoders.cache import FeatureCache

    cache = FeatureCache(tmp_path)
    first = MiniLMText(cache=cache)
    first._model = text_tower._load()  # share the loaded model: loading it twice only costs time
    texts = ["a red car in the snow", "a blue fish underwater", "a red car in the snow"]
    vecs = first.embed(texts)
    assert vecs.shape == (3, 384) and np.allclose(vecs[0], vecs[2])
    fresh = MiniLMText(cache=cache)
    np.testing.assert_allclose(fresh.embed(texts[:2]), vecs[:2], atol=1e-6)
    assert fresh._model is None  # served from the on-disk cache without loading the model
    with pytest.raises(ModelError, match="list of strings"):
        fresh.embed("one string")
