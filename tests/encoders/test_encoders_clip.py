"""The transformers CLIP backend loads a locally saved tiny CLIP and matches the library's own forward pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from generec.encoders import Encoder, load_encoder
from generec.errors import ConfigError, MediaError, ModelError

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")


def _reference_features(d: Path, images: list[np.ndarray], texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """What transformers computes by itself, normalised: the ground truth our backend must reproduce."""
    model = transformers.CLIPModel.from_pretrained(d).eval()
    tok = transformers.AutoTokenizer.from_pretrained(d)
    proc_cls = getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
    proc = proc_cls.from_pretrained(d)
    with torch.no_grad():
        img = model.get_image_features(**proc(images=images, return_tensors="pt"))
        txt = model.get_text_features(**tok(texts, padding=True, return_tensors="pt"))
    img = getattr(img, "pooler_output", img)
    txt = getattr(txt, "pooler_output", txt)
    img = torch.nn.functional.normalize(img, dim=-1).numpy()
    txt = torch.nn.functional.normalize(txt, dim=-1).numpy()
    return img, txt


def test_transformers_clip_matches_library_forward(tiny_clip_dir: Path) -> None:
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8) for h, w in [(30, 30), (48, 64), (64, 40)]]
    texts = ["a red car in the snow", "cat", "a dog running on a beach at night"]
    enc = load_encoder("transformers_clip", tiny_clip_dir, batch_size=2)  # batch 2: exercises batching + padding
    assert isinstance(enc, Encoder)
    assert enc.dim == 16 and enc.id.startswith("transformers_clip:")
    ours_img, ours_txt = enc.encode_images(images), enc.encode_texts(texts)
    ref_img, ref_txt = _reference_features(tiny_clip_dir, images, texts)
    assert ours_img.dtype == np.float32 and ours_img.shape == (3, 16)
    np.testing.assert_allclose(ours_img, ref_img, atol=1e-5)
    np.testing.assert_allclose(ours_txt, ref_txt, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(ours_txt, axis=1), 1.0, atol=1e-5)


def test_transformers_clip_video_and_stable_id(tiny_clip_dir: Path) -> None:
    enc = load_encoder("transformers_clip", tiny_clip_dir)
    frames = np.random.default_rng(1).integers(0, 256, size=(5, 32, 32, 3), dtype=np.uint8)
    per_frame, pooled = enc.encode_video(frames)
    assert per_frame.shape == (5, 16) and pooled.shape == (16,)
    mean = per_frame.mean(axis=0)
    np.testing.assert_allclose(pooled, mean / np.linalg.norm(mean), atol=1e-6)
    # A generator of frames gives the same result as the array.
    np.testing.assert_allclose(enc.encode_video(iter(frames))[1], pooled, atol=1e-6)
    assert load_encoder("transformers_clip", tiny_clip_dir).id == enc.id


def test_transformers_clip_bad_inputs(tiny_clip_dir: Path, tmp_path: Path) -> None:
    enc = load_encoder("transformers_clip", tiny_clip_dir)
    with pytest.raises(MediaError, match="batch"):
        enc.encode_images(np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(MediaError, match="uint8"):
        enc.encode_images(np.zeros((1, 32, 32, 3), np.float32))
    with pytest.raises(ModelError, match="list of strings"):
        enc.encode_texts("a red car")
    assert enc.encode_texts([]).shape == (0, 16)
    with pytest.raises(MediaError, match="no frames"):
        enc.encode_video(iter([]))
    with pytest.raises(ModelError, match="config.json"):
        load_encoder("transformers_clip", tmp_path)
    broken = tmp_path / "broken"
    shutil.copytree(tiny_clip_dir, broken)
    (broken / "tokenizer.json").unlink()
    (broken / "tokenizer_config.json").unlink()
    with pytest.raises(ModelError, match="cannot load"):
        load_encoder("transformers_clip", broken)
    with pytest.raises(ConfigError, match="torchvision"):
        load_encoder("open_clip", tiny_clip_dir)
    with pytest.raises(ModelError, match="does not exist"):
        load_encoder("transformers_clip", tmp_path / "nope")


def test_transformers_clip_missing_processor(tiny_clip_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "no_processor"
    shutil.copytree(tiny_clip_dir, broken)
    (broken / "preprocessor_config.json").unlink()
    with pytest.raises(ModelError, match="preprocessor_config.json"):
        load_encoder("transformers_clip", broken)
