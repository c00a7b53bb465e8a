"""The :class:`Encoder` protocol, input checks shared by every backend, and the backend registry.

An encoder maps images, texts and videos into one space of L2-normalised ``float32``
vectors, so that a dot product is a cosine similarity wherever GeneRec compares
content (a user's taste, an instruction, a frame). Backends register by name;
:func:`load_encoder` builds one from a directory, which is how config picks them.

Example
-------
>>> import numpy as np
>>> from generec.encoders.base import l2_normalize
>>> bool(np.allclose(l2_normalize(np.array([[3.0, 4.0]])), [[0.6, 0.8]]))
True
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from generec.errors import ConfigError, MediaError, ModelError

ImageLike = Any  # an HxWx3 uint8 array or a PIL image
ImagesInput = np.ndarray | Sequence[ImageLike]


@runtime_checkable
class Encoder(Protocol):
    """Anything that embeds images, texts and videos into one normalised space.

    ``id`` is stable across processes for the same weights (feature caches key on it);
    ``dim`` is the vector length. Every method returns L2-normalised ``float32`` rows.
    """

    id: str
    dim: int

    def encode_images(self, images: ImagesInput) -> np.ndarray:
        """``[N, H, W, 3]`` uint8 array (or a list of images of any size) -> ``[N, dim]``."""
        ...

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """A list of strings -> ``[N, dim]``."""
        ...

    def encode_video(self, frames: np.ndarray | Iterable[ImageLike]) -> tuple[np.ndarray, np.ndarray]:
        """Frames -> ``(per_frame [T, dim], pooled [dim])``; pooled is the normalised mean."""
        ...


def l2_normalize(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as ``float32``."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=axis, keepdims=True)
    return (x / np.maximum(norm, 1e-12)).astype(np.float32)


def _as_rgb_array(image: ImageLike, index: int) -> np.ndarray:
    if not isinstance(image, np.ndarray) and hasattr(image, "convert"):  # a PIL image
        image = np.asarray(image.convert("RGB"))
    arr = np.asarray(image)
    if arr.ndim == 2:  # greyscale: repeat into three channels
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise MediaError(f"image {index} has shape {arr.shape}; expected HxWx3 (RGB) pixels")
    if arr.dtype != np.uint8:
        raise MediaError(f"image {index} has dtype {arr.dtype}; expected uint8 pixels in 0..255")
    return arr[:, :, :3]


def as_image_list(images: ImagesInput) -> list[np.ndarray]:
    """Check and convert images to a list of ``HxWx3`` uint8 arrays; raise :class:`MediaError` otherwise."""
    if isinstance(images, np.ndarray):
        if images.ndim == 3 and images.shape[-1] in (3, 4):
            raise MediaError(f"got one image of shape {images.shape}; pass a batch [N, H, W, 3] (e.g. images[None])")
        if images.ndim != 4:
            raise MediaError(f"images have shape {images.shape}; expected a batch [N, H, W, 3] of uint8 pixels")
    elif isinstance(images, str | bytes):
        raise MediaError("images must be pixel arrays, not a path or bytes; decode the file first (generec.media)")
    return [_as_rgb_array(im, i) for i, im in enumerate(images)]


def resize_square(images: list[np.ndarray], size: int) -> np.ndarray:
    """Resize every image to ``size x size`` (bilinear, antialiased) -> ``[N, size, size, 3]`` uint8."""
    from PIL import Image

    out = np.empty((len(images), size, size, 3), dtype=np.uint8)
    for i, im in enumerate(images):
        if im.shape[0] == size and im.shape[1] == size:
            out[i] = im
        else:
            out[i] = np.asarray(Image.fromarray(im).resize((size, size), Image.Resampling.BILINEAR))
    return out


def check_texts(texts: Sequence[str]) -> list[str]:
    """Texts as a list of ``str``; a bare string is refused because it would be read as characters."""
    if isinstance(texts, str):
        raise ModelError("encode_texts takes a list of strings; wrap a single text as [text]")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise ModelError(f"text {i} is a {type(t).__name__}, not a str")
    return out


class BaseEncoder:
    """Shared plumbing: batching, video pooling and empty inputs. Subclasses implement two batch methods.

    A subclass sets ``id``, ``dim`` and ``batch_size`` and implements
    ``_encode_image_batch(list_of_arrays) -> [B, dim]`` and ``_encode_text_batch(list_of_str) -> [B, dim]``
    (not necessarily normalised; this class normalises).
    """

    id: str = ""
    dim: int = 0
    batch_size: int = 64

    def _encode_image_batch(self, images: list[np.ndarray]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _encode_text_batch(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode_images(self, images: ImagesInput) -> np.ndarray:
        items = as_image_list(images)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._encode_image_batch(items[i : i + self.batch_size]) for i in range(0, len(items), self.batch_size)
        ]
        return l2_normalize(np.concatenate(parts, axis=0))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        items = check_texts(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._encode_text_batch(items[i : i + self.batch_size]) for i in range(0, len(items), self.batch_size)]
        return l2_normalize(np.concatenate(parts, axis=0))

    def encode_video(self, frames: np.ndarray | Iterable[ImageLike]) -> tuple[np.ndarray, np.ndarray]:
        """Encode frames in batches as they arrive, so a frame generator never sits whole in memory."""
        if isinstance(frames, np.ndarray):
            per_frame = self.encode_images(frames)
        else:
            parts, batch = [], []
            for frame in frames:
                batch.append(frame)
                if len(batch) == self.batch_size:
                    parts.append(self.encode_images(batch))
                    batch = []
            if batch:
                parts.append(self.encode_images(batch))
            per_frame = np.concatenate(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)
        if len(per_frame) == 0:
            raise MediaError("the video has no frames to encode; check that the file decodes (generec.media)")
        return per_frame, l2_normalize(per_frame.mean(axis=0))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, dim={self.dim})"


def directory_fingerprint(path: str | Path, names: Iterable[str] | None = None) -> str:
    """A short content hash of a model directory, used to build a stable encoder ``id``.

    Small files are hashed whole; large weight files by size plus their first and last MiB,
    which tells checkpoints apart without reading gigabytes at every load.
    """
    root = Path(path)
    files = sorted(p for p in root.rglob("*") if p.is_file()) if names is None else [root / n for n in names]
    h = hashlib.sha256()
    for p in files:
        if not p.is_file():
            continue
        size = p.stat().st_size
        h.update(f"{p.relative_to(root).as_posix()}:{size}".encode())
        with p.open("rb") as fh:
            if size <= 4 * 1024**2:
                h.update(fh.read())
            else:
                h.update(fh.read(1024**2))
                fh.seek(size - 1024**2)
                h.update(fh.read())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------- registry
EncoderFactory = Callable[..., Encoder]

# Built-in backends as "module:attribute" so that importing the registry never imports torch or transformers.
_REGISTRY: dict[str, EncoderFactory | str] = {
    "generec": "generec.encoders.dual:GeneRecEncoder.from_pretrained",
    "transformers_clip": "generec.encoders.transformers_clip:TransformersCLIPEncoder.from_pretrained",
    "efficientnet": "generec.encoders.efficientnet:EfficientNetEncoder.from_pretrained",
}
# Backends whose weights ship inside a package: ``path=None`` means "the packaged weights".
_PACKAGED = {"efficientnet"}


def register_encoder(name: str, factory: EncoderFactory | str | None = None):
    """Register a backend under ``name``; usable as ``register_encoder("x", fn)`` or as a decorator.

    ``factory(path, **kwargs)`` must return an :class:`Encoder`.
    """

    def _add(f: EncoderFactory | str) -> EncoderFactory | str:
        _REGISTRY[name] = f
        return f

    return _add(factory) if factory is not None else _add


def available_encoders() -> list[str]:
    """Names accepted by :func:`load_encoder`."""
    return sorted(_REGISTRY)


def _resolve(name: str) -> EncoderFactory:
    if name not in _REGISTRY:
        hint = " (open_clip needs torchvision, which GeneRec does not install; use transformers_clip)"
        raise ConfigError(
            f"unknown encoder backend {name!r}; choose one of {', '.join(available_encoders())}"
            + (hint if name == "open_clip" else "")
        )
    factory = _REGISTRY[name]
    if isinstance(factory, str):
        module, _, attr = factory.partition(":")
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
        factory = obj
    return factory


def load_encoder(name: str, path: str | Path | None = None, **kwargs: Any) -> Encoder:
    """Build the encoder backend ``name`` from the directory ``path``.

    ``path`` may be ``None`` only for backends whose weights ship in a package (``efficientnet``).

    Raises :class:`ConfigError` for an unknown name and :class:`ModelError` when the
    directory is missing or does not hold that backend's files.
    """
    factory = _resolve(name)
    if path is None and name in _PACKAGED:
        return factory(None, **kwargs)
    if path is None:
        raise ConfigError(
            f"encoder backend {name!r} needs a model directory: set encoder.path in the config "
            "(for the offline default, train one with `generec train encoder --world DIR --out DIR`)"
        )
    if not Path(path).is_dir():
        raise ModelError(f"encoder directory {path} does not exist; check encoder.path")
    return factory(path, **kwargs)


def encoder_from_settings(settings: Any) -> Encoder:
    """Build the encoder named by a :class:`generec.config.EncoderSettings` (``backend`` + ``path``)."""
    return load_encoder(settings.backend, settings.path)


def read_json(path: Path, what: str) -> dict[str, Any]:
    """Read a JSON config file, turning a missing or broken file into a :class:`ModelError`."""
    if not path.is_file():
        raise ModelError(f"{path.parent} has no {path.name}; it is not a saved {what}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path} is not valid JSON ({exc}); re-save the {what}") from exc
