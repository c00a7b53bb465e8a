"""Encoders: images, texts and videos into one space of L2-normalised vectors.

Backends (pick one by name in config, ``[encoder] backend = "..."``, ``path = "..."``):

``generec``
    The offline default: a contrastive dual encoder GeneRec trains itself
    (`generec train encoder`); frozen all-MiniLM-L6-v2 text tower + learned projection,
    a small CNN image tower. Works with no downloads.
``transformers_clip``
    Any CLIP saved with ``transformers``' ``save_pretrained`` (extra ``clip``).
``efficientnet``
    Image-only ImageNet features from the packaged EfficientNet-Lite0 (extra ``efficientnet``;
    ``path`` may be omitted).

``open_clip`` is not offered: ``import open_clip`` needs torchvision, which GeneRec never installs.
Convert such weights to the ``transformers`` format instead.

Example
-------
>>> from generec.encoders import available_encoders
>>> "generec" in available_encoders()
True
"""

from generec.encoders.base import (
    BaseEncoder,
    Encoder,
    available_encoders,
    encoder_from_settings,
    l2_normalize,
    load_encoder,
    register_encoder,
)
from generec.encoders.cache import FeatureCache, hash_array, hash_bytes, hash_text

__all__ = [
    "BaseEncoder",
    "Encoder",
    "FeatureCache",
    "available_encoders",
    "encoder_from_settings",
    "hash_array",
    "hash_bytes",
    "hash_text",
    "l2_normalize",
    "load_encoder",
    "register_encoder",
    # loaded on first use (they import torch): see __getattr__
    "DualEncoderTrainer",
    "EncoderReport",
    "GeneRecEncoder",
    "MiniLMText",
    "TransformersCLIPEncoder",
    "encode_media_file",
    "evaluate_encoder",
    "train_world_encoder",
]

_LAZY = {
    "DualEncoderTrainer": "generec.encoders.train",
    "EncoderReport": "generec.encoders.evaluate",
    "GeneRecEncoder": "generec.encoders.dual",
    "MiniLMText": "generec.encoders.text",
    "TransformersCLIPEncoder": "generec.encoders.transformers_clip",
    "encode_media_file": "generec.encoders.features",
    "evaluate_encoder": "generec.encoders.evaluate",
    "train_world_encoder": "generec.encoders.recipe",
}


def __getattr__(name: str):
    # Heavy classes load on first access so `import generec.encoders` stays cheap (no torch).
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'generec.encoders' has no attribute {name!r}")
