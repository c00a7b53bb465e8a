"""GeneRec's offline encoder: a LiT-style contrastive dual encoder trained by GeneRec itself.

* text tower: the packaged all-MiniLM-L6-v2, **frozen**, followed by a learned linear
  projection into the joint space — so any free-form instruction can be encoded;
* image tower: a small CNN trained from scratch on 64x64 frames (other sizes are resized);
* trained with a symmetric InfoNCE loss and a learned temperature
  (see :mod:`generec.encoders.train`).

A trained encoder is a directory: ``config.json`` (``"backend": "generec"``, sizes,
training summary) plus ``model.safetensors``; :func:`generec.encoders.load_encoder`
(``"generec", path``) loads it like any other backend.

Example
-------
>>> import numpy as np
>>> enc = GeneRecEncoder(DualEncoderConfig(dim=32), seed=0)  # untrained, for shapes only
>>> enc.encode_images(np.zeros((2, 64, 64, 3), np.uint8)).shape
(2, 32)
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from generec.encoders.base import BaseEncoder, read_json, resize_square
from generec.encoders.text import MINILM_DIM, MINILM_NAME, MiniLMText
from generec.errors import ModelError

BACKEND = "generec"
WEIGHTS = "model.safetensors"


@dataclass
class DualEncoderConfig:
    """Sizes of the dual encoder; saved as ``config.json`` next to the weights."""

    dim: int = 128
    image_size: int = 64
    widths: tuple[int, ...] = (32, 64, 128, 256)
    text_model: str = MINILM_NAME
    text_dim: int = MINILM_DIM
    train: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"backend": BACKEND, **asdict(self), "widths": list(self.widths)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DualEncoderConfig:
        if data.get("backend") != BACKEND:
            raise ModelError(f"config.json says backend {data.get('backend')!r}, not {BACKEND!r}")
        known = {k: data[k] for k in ("dim", "image_size", "text_model", "text_dim", "train") if k in data}
        return cls(widths=tuple(int(w) for w in data.get("widths", cls.widths)), **known)


def _conv(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class ImageTower(nn.Module):
    """Strided 3x3 conv stack -> global average and max pooling -> linear map to the joint space.

    The first three convolutions halve the resolution (64 -> 8) so a 2-core CPU trains it in
    minutes; max pooling keeps small subjects visible next to the average over the background.
    """

    def __init__(self, widths: tuple[int, ...], dim: int) -> None:
        super().__init__()
        layers, c_in = [], 3
        for k, w in enumerate(widths):
            layers.append(_conv(c_in, w, 2 if k < 3 else 1))
            c_in = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(2 * c_in, dim)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """``pixels``: ``[B, H, W, 3]`` uint8 -> ``[B, dim]`` (unnormalised)."""
        x = pixels.permute(0, 3, 1, 2).float().div(127.5).sub(1.0).contiguous(memory_format=torch.channels_last)
        h = self.features(x)
        return self.head(torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1))


class DualEncoderModel(nn.Module):
    """Image tower + projection of frozen text embeddings + learned temperature (CLIP's ``logit_scale``)."""

    def __init__(self, config: DualEncoderConfig) -> None:
        super().__init__()
        self.image = ImageTower(config.widths, config.dim)
        self.text_proj = nn.Linear(config.text_dim, config.dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(10.0)))

    def image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.image(pixels), dim=-1)

    def text_features(self, text_emb: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.text_proj(text_emb), dim=-1)


class GeneRecEncoder(BaseEncoder):
    """The offline default :class:`~generec.encoders.base.Encoder` (backend name ``"generec"``).

    Parameters
    ----------
    config
        Sizes; ``config.train`` records how it was trained.
    model
        A trained :class:`DualEncoderModel`; a fresh random one if omitted.
    text_tower
        The frozen sentence model; default: the packaged all-MiniLM-L6-v2, loaded on first use.
    seed
        Seed of the random initialisation when ``model`` is omitted.

    Example
    -------
    >>> enc = load_encoder("generec", "models/encoder")  # doctest: +SKIP
    >>> enc.encode_texts(["a red car in the snow"]) @ enc.encode_images(frames).T  # doctest: +SKIP
    """

    def __init__(
        self,
        config: DualEncoderConfig | None = None,
        model: DualEncoderModel | None = None,
        text_tower: MiniLMText | None = None,
        seed: int = 0,
        batch_size: int = 256,
        model_id: str | None = None,
    ) -> None:
        self.config = config or DualEncoderConfig()
        if model is None:
            torch.manual_seed(seed)
            model = DualEncoderModel(self.config)
        self.model = model.eval()
        self.text_tower = text_tower or MiniLMText()
        self.dim = self.config.dim
        self.batch_size = batch_size
        self.id = model_id or f"{BACKEND}:untrained-seed{seed}"

    # ------------------------------------------------------------------ encoding
    def _encode_image_batch(self, images: list[np.ndarray]) -> np.ndarray:
        pixels = torch.from_numpy(resize_square(images, self.config.image_size))
        with torch.inference_mode():
            return self.model.image_features(pixels).numpy()

    def _encode_text_batch(self, texts: list[str]) -> np.ndarray:
        emb = torch.from_numpy(self.text_tower.embed(texts))
        with torch.inference_mode():
            return self.model.text_features(emb).numpy()

    # ------------------------------------------------------------------ files
    def save_pretrained(self, path: str | Path) -> Path:
        """Write ``config.json`` + ``model.safetensors`` into ``path`` (created if needed)."""
        from safetensors.torch import save_file

        d = Path(path)
        d.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous() for k, v in self.model.state_dict().items()}
        save_file(state, str(d / WEIGHTS), metadata={"backend": BACKEND})
        (d / "config.json").write_text(json.dumps(self.config.to_json(), indent=2) + "\n", encoding="utf-8")
        self.id = _model_id(d)
        return d

    @classmethod
    def from_pretrained(cls, path: str | Path, batch_size: int = 256, text_tower: MiniLMText | None = None):
        """Load a directory written by :meth:`save_pretrained` (or by ``generec train encoder``)."""
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        d = Path(path)
        config = DualEncoderConfig.from_json(read_json(d / "config.json", "GeneRec encoder"))
        if not (d / WEIGHTS).is_file():
            raise ModelError(f"{d} has no {WEIGHTS}; train the encoder with `generec train encoder`")
        model = DualEncoderModel(config)
        try:
            model.load_state_dict(load_file(str(d / WEIGHTS)))
        except (SafetensorError, RuntimeError, OSError) as exc:
            raise ModelError(f"{d / WEIGHTS} does not match config.json or is corrupt: {exc}") from exc
        return cls(config, model, text_tower=text_tower, batch_size=batch_size, model_id=_model_id(d))


def _model_id(d: Path) -> str:
    # The weights' content hash: a retrained encoder never reads features cached by an older one.
    from generec.media import content_hash

    return f"{BACKEND}:{content_hash(d / WEIGHTS)[:16]}"
