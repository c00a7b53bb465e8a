"""The on-disk feature cache and the backend registry."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from generec.config import EncoderSettings
from generec.encoders import (
    FeatureCache,
    available_encoders,
    encoder_from_settings,
    hash_array,
    hash_bytes,
    l2_normalize,
    load_encoder,
    register_encoder,
)
from generec.encoders.base import _REGISTRY, BaseEncoder, directory_fingerprint
from generec.errors import ConfigError, ModelError, StoreError


def test_cache_round_trip_and_keys(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path / "cache")
    v = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert cache.get("enc:1", "h") is None
    cache.put("enc:1", "h", v, params={"frames": 8, "fps": 2})
    np.testing.assert_array_equal(cache.get("enc:1", "h", params={"fps": 2, "frames": 8}), v)  # order-free params
    assert cache.get("enc:1", "h", params={"frames": 16, "fps": 2}) is None  # other sampling, other key
    assert cache.get("enc:2", "h", params={"frames": 8, "fps": 2}) is None  # other encoder, other key
    assert ("enc:1", "h") not in cache and ("enc:1", "h", {"frames": 8, "fps": 2}) in cache
    calls = []
    got = cache.get_or_compute("enc:1", "x", lambda: calls.append(1) or np.ones(2, np.float32))
    again = cache.get_or_compute("enc:1", "x", lambda: calls.append(1) or np.zeros(2, np.float32))
    assert calls == [1] and again.tolist() == got.tolist() == [1.0, 1.0]
    assert not list((tmp_path / "cache").rglob(".tmp-*"))  # no temporary files left behind


def test_cache_corrupt_file_is_a_miss_and_bad_keys_fail(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    cache.put("e", "h", np.ones(3, np.float32))
    cache.path("e", "h").write_bytes(b"not an npy file")
    assert cache.get("e", "h") is None
    assert cache.get_or_compute("e", "h", lambda: np.full(3, 2.0, np.float32)).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(StoreError, match="non-empty"):
        cache.put("", "h", np.ones(1))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot write"):
        FeatureCache(blocker).put("e", "h", np.ones(1))


def test_cache_concurrent_writers_and_readers(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    value = np.random.default_rng(0).random((64, 32)).astype(np.float32)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                cache.put("e", "same", value)
                got = cache.get("e", "same")
                assert got is not None and np.array_equal(got, value)  # never a partial file
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_hashes(tmp_path: Path) -> None:
    a = np.zeros((2, 3), np.uint8)
    assert hash_array(a) == hash_array(a.copy()) != hash_array(a.reshape(3, 2))
    f = tmp_path / "x.bin"
    f.write_bytes(b"abc")
    assert hash_bytes(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    fp = directory_fingerprint(tmp_path)
    f.write_bytes(b"abd")
    assert directory_fingerprint(tmp_path) != fp


class _MeanColour(BaseEncoder):
    """A real (if simple) backend: the mean RGB colour of an image; texts by colour name."""

    dim = 3
    id = "mean-colour"
    batch_size = 2
    _names = {"red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1)}

    def _encode_image_batch(self, images):
        return np.stack([im.reshape(-1, 3).mean(axis=0) for im in images])

    def _encode_text_batch(self, texts):
        return np.array([self._names.get(t, (1, 1, 1)) for t in texts], dtype=np.float32)


def test_registry_and_settings(tmp_path: Path) -> None:
    assert {"generec", "transformers_clip"} <= set(available_encoders())
    register_encoder("mean_colour", lambda path, **kw: _MeanColour())
    try:
        _check_mean_colour(tmp_path)
    finally:
        _REGISTRY.pop("mean_colour", None)  # leave the process-wide registry as we found it
    with pytest.raises(ConfigError, match="unknown encoder backend 'nope'"):
        load_encoder("nope", tmp_path)
    with pytest.raises(ConfigError, match="generec train encoder"):
        encoder_from_settings(EncoderSettings())  # default backend, no path yet
    with pytest.raises(ModelError, match="does not exist"):
        load_encoder("generec", tmp_path / "missing")


def _check_mean_colour(tmp_path: Path) -> None:
    enc = load_encoder("mean_colour", tmp_path)
    red = np.zeros((1, 4, 4, 3), np.uint8)
    red[..., 0] = 200
    assert np.argmax(enc.encode_texts(["red", "green", "blue"]) @ enc.encode_images(red)[0]) == 0
    frames = [np.full((5, 5, 3), c, np.uint8) for c in (10, 20, 30)]  # 3 frames, batch size 2: two batches
    per_frame, pooled = enc.encode_video(frames)
    assert per_frame.shape == (3, 3) and np.isclose(np.linalg.norm(pooled), 1.0)
    assert encoder_from_settings(EncoderSettings(backend="mean_colour", path=str(tmp_path))).id == "mean-colour"


def test_l2_normalize_zero_rows() -> None:
    out = l2_normalize(np.array([[0.0, 0.0], [0.0, 2.0]]))
    assert out.dtype == np.float32 and out.tolist() == [[0.0, 0.0], [0.0, 1.0]]


def test_encode_media_file_streams_and_caches(tmp_path: Path) -> None:
    from generec.encoders.features import encode_media_file
    from generec.errors import MediaError
    from generec.media import content_hash, write_video

    frames = [np.zeros((64, 64, 3), np.uint8) for _ in range(16)]  # 2 s at 8 fps: red, then blue
    for i, f in enumerate(frames):
        f[..., 0 if i < 8 else 2] = 220
    video = write_video(frames, tmp_path / "clip.mp4", fps=8)
    enc = _MeanColour()
    cache = FeatureCache(tmp_path / "cache")
    per_frame, pooled = encode_media_file(enc, video, count=4, cache=cache)
    assert per_frame.shape == (4, 3)
    assert np.argmax(per_frame[0]) == 0 and np.argmax(per_frame[-1]) == 2  # first frames red, last blue
    assert cache.path(enc.id, content_hash(video), {"count": 4, "kind": "frames"}).is_file()
    again, pooled_again = encode_media_file(enc, video, count=4, cache=cache, media_hash=content_hash(video))
    np.testing.assert_array_equal(again, per_frame)
    np.testing.assert_allclose(pooled_again, pooled)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video")
    with pytest.raises(MediaError):
        encode_media_file(enc, bad, cache=cache)
