"""Content features of stored items, made as the service's recommender was trained with them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from generec.errors import GeneRecError
from generec.types import Item


def encoder_settings(settings: Any) -> Any:
    """The deployment's encoder settings; with no path, the encoder ``generec demo`` trains into ``models/encoder``."""
    enc = settings.encoder
    if enc.path is None and (Path(settings.models_dir) / "encoder").is_dir():
        enc = enc.model_copy(update={"path": str(Path(settings.models_dir) / "encoder")})
    return enc


class ItemContent:
    """Content features of stored items, made as the recommender was trained with them.

    ``visual``: the encoder's pooled vector of ``frames`` evenly spaced frames of the item's media;
    ``text``: all-MiniLM-L6-v2 of title + caption. Both are cached on disk by media hash / text.
    """

    def __init__(self, encoder: Any, media: Any, frames: int = 8, cache: Any = None, text: Any = None) -> None:
        from generec.encoders.text import MiniLMText

        self.encoder, self.media, self.frames, self.cache = encoder, media, frames, cache
        self.text = text or MiniLMText(cache=cache)

    @classmethod
    def from_settings(cls, settings: Any, media: Any) -> ItemContent:
        """The deployment's encoder (:class:`GeneRecError` when it has none) and its feature cache."""
        from generec.encoders import FeatureCache, encoder_from_settings

        cache = FeatureCache(Path(settings.home) / "cache" / "features")
        encoder = encoder_from_settings(encoder_settings(settings))
        return cls(encoder, media, settings.recommender.frames, cache)

    def describe(self) -> dict[str, Any]:
        return {"encoder": str(getattr(self.encoder, "id", "")), "text": str(self.text.id), "frames": self.frames}

    def features(self, items: Sequence[Item]) -> dict[str, np.ndarray]:
        """``{"visual": (n, d), "text": (n, 384)}`` in the order of ``items``; :class:`GeneRecError` without media."""
        from generec.recommender.features import file_feature, item_text

        visual = []
        for item in items:
            if not item.media_hash:
                raise GeneRecError(f"item {item.id!r} has no media to take content features from")
            path = self.media.path_for(item.media_hash)
            visual.append(file_feature(self.encoder, path, self.frames, self.cache, media_hash=item.media_hash))
        texts = [item_text(i.title, i.caption) or i.id for i in items]
        text = np.asarray(self.text.embed(texts), dtype=np.float32)
        return {"visual": np.stack(visual).astype(np.float32), "text": text}
