"""A CLIP encoder from a local Hugging Face ``transformers`` directory (extra ``clip``).

Real deployments have real CLIP weights (``save_pretrained`` output or a downloaded
snapshot). This backend loads the model, tokenizer and image processor from that
directory only (never from the network) and uses the library's own preprocessing
and ``get_image_features`` / ``get_text_features``, so vectors match what
``transformers`` itself computes.

Example
-------
>>> enc = TransformersCLIPEncoder.from_pretrained("path/to/clip-vit-base-patch32")  # doctest: +SKIP
>>> enc.encode_texts(["a red car in the snow"]).shape  # doctest: +SKIP
(1, 512)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from generec.encoders.base import BaseEncoder, directory_fingerprint
from generec.errors import ModelError, require

_PURPOSE = "The transformers_clip encoder"


def _features(out: Any) -> Any:
    # transformers 5 returns an output object whose pooler_output is the projected feature; 4.x a tensor.
    return out.pooler_output if hasattr(out, "pooler_output") else out


def _load_image_processor(transformers: Any, path: Path) -> Any:
    # The default CLIP processor in transformers 5 wants torchvision; the PIL one computes the same pixels.
    cls = getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
    return cls.from_pretrained(str(path), local_files_only=True)


def _missing_files(path: Path) -> str | None:
    # transformers 5 silently builds an empty tokenizer when its files are absent; refuse instead.
    has_tokenizer = (path / "tokenizer.json").is_file() or (
        (path / "vocab.json").is_file() and (path / "merges.txt").is_file()
    )
    if not has_tokenizer:
        return "the tokenizer (tokenizer.json, or vocab.json + merges.txt)"
    if not (path / "preprocessor_config.json").is_file():
        return "the image processor (preprocessor_config.json)"
    return None


class TransformersCLIPEncoder(BaseEncoder):
    """CLIP through ``transformers.CLIPModel``; see the module docstring.

    Parameters
    ----------
    model, tokenizer, image_processor
        The loaded ``transformers`` objects.
    model_id
        Stable id used as the feature-cache key.
    batch_size
        Images or texts per forward pass.
    """

    def __init__(self, model: Any, tokenizer: Any, image_processor: Any, model_id: str, batch_size: int = 32):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.image_processor = image_processor
        self.id = model_id
        self.dim = int(model.config.projection_dim)
        self.batch_size = batch_size
        self.max_length = int(model.config.text_config.max_position_embeddings)

    @classmethod
    def from_pretrained(cls, path: str | Path, batch_size: int = 32) -> TransformersCLIPEncoder:
        """Load from a local directory holding ``config.json``, weights, tokenizer and preprocessor files."""
        transformers = require("transformers", "clip", _PURPOSE)
        require("torch", "clip", _PURPOSE)
        path = Path(path)
        if not (path / "config.json").is_file():
            raise ModelError(f"{path} has no config.json; point encoder.path at a CLIP save_pretrained directory")
        missing = _missing_files(path)
        if missing:
            raise ModelError(
                f"cannot load a transformers CLIP from {path}: missing {missing}. Save the tokenizer and the "
                "image processor next to the model (tokenizer.save_pretrained / processor.save_pretrained)"
            )
        # Never reach for the hub: a missing file must fail here, not hang on the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            model = transformers.CLIPModel.from_pretrained(str(path), local_files_only=True)
            tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            processor = _load_image_processor(transformers, path)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(
                f"cannot load a transformers CLIP from {path}: {exc}. The directory needs the model "
                "(config.json + weights), the tokenizer files and preprocessor_config.json"
            ) from exc
        return cls(model, tokenizer, processor, f"transformers_clip:{directory_fingerprint(path)}", batch_size)

    def _encode_image_batch(self, images: list[np.ndarray]) -> np.ndarray:
        import torch

        pixels = self.image_processor(images=images, return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            feats = _features(self.model.get_image_features(pixel_values=pixels))
        return feats.float().numpy()

    def _encode_text_batch(self, texts: list[str]) -> np.ndarray:
        import torch

        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        with torch.inference_mode():
            feats = _features(
                self.model.get_text_features(input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"])
            )
        return feats.float().numpy()
