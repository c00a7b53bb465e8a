"""Features of media files, read through :mod:`generec.media` and kept in the feature cache.

Frames stream from the decoder straight into the encoder in batches, so a long film never
sits in memory; the result is cached under (encoder id, the file's SHA-256, sampling), so
asking again for the same file costs one small read.

Example
-------
>>> per_frame, pooled = encode_media_file(encoder, "clip.mp4", cache=FeatureCache("cache"))  # doctest: +SKIP
"""

from __future__ import annotations

import os

import numpy as np

from generec.encoders.base import Encoder, l2_normalize
from generec.encoders.cache import FeatureCache


def encode_media_file(
    encoder: Encoder,
    path: str | os.PathLike[str],
    *,
    count: int = 8,
    cache: FeatureCache | None = None,
    media_hash: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(per_frame [count, dim], pooled [dim])`` for ``count`` evenly spaced frames of a video or an image.

    ``media_hash`` (the file's SHA-256, e.g. ``Item.media_hash``) skips hashing the file again.
    Bad files raise :class:`~generec.errors.MediaError` from :mod:`generec.media`.
    """
    from generec.media import content_hash, iter_frames

    def compute() -> np.ndarray:
        frames = (f.image for f in iter_frames(path, count=count))
        return encoder.encode_video(frames)[0]

    if cache is None:
        per_frame = compute()
    else:
        key = media_hash or content_hash(path)
        per_frame = cache.get_or_compute(encoder.id, key, compute, params={"count": count, "kind": "frames"})
    return per_frame, l2_normalize(per_frame.mean(axis=0))
