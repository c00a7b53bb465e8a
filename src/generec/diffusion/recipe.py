"""From a GeneRec-Sim world to a trained conditional model: the steps every GeneRec generator shares.

:func:`train_conditional` takes pixels and condition rows (made by the editor or creator
from the world and an encoder), builds a model from a preset, and trains it with
checkpoints that resume.

Example
-------
>>> import numpy as np
>>> from generec.diffusion.presets import image_config
>>> model, state = train_conditional(image_config("tiny", 2), np.zeros((4, 16, 16, 3), np.uint8),
...     np.ones((4, 2), np.float32), TrainSettings(steps=2, batch_size=2), progress=False)
>>> state["step"]
2
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generec.diffusion.autoencoder import CONFIG as AE_CONFIG
from generec.diffusion.autoencoder import WEIGHTS as AE_WEIGHTS
from generec.diffusion.autoencoder import AutoencoderTraining, FrameAutoencoder, train_autoencoder
from generec.diffusion.model import AUTOENCODER_WEIGHTS, DiffusionConfig, DiffusionModel
from generec.diffusion.training import TrainingData, TrainSettings, fit
from generec.errors import ConfigError, ModelError

AUTOENCODER_REPORT = "autoencoder.json"


def resolve_device(device: str) -> torch.device:
    """``"cpu"``, ``"cuda"`` or ``"auto"``; asking for CUDA without a GPU is an error you can act on."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for but torch sees no GPU; use --device cpu")
    if not (device == "cpu" or device.startswith("cuda")):
        raise ConfigError(f"unknown device {device!r}; use cpu, cuda or auto")
    return torch.device(device)


def train_conditional(
    config: DiffusionConfig,
    pixels: np.ndarray,
    cond: np.ndarray | None,
    settings: TrainSettings,
    out: str | Path | None = None,
    *,
    device: str = "cpu",
    progress: bool = True,
    resume: bool = True,
    autoencoder: str | Path | None = None,
    autoencoder_settings: AutoencoderTraining | None = None,
) -> tuple[DiffusionModel, dict[str, Any]]:
    """Build a model from ``config`` (seeded by ``settings.seed``), train it on the rows, save it to ``out``.

    A latent model (``config.autoencoder``) first gets its autoencoder: the one saved in ``out`` when
    resuming, else the one in the ``autoencoder`` directory (one autoencoder can serve several models),
    else one trained here on the rows' frames (``autoencoder_settings``; default: the preset's own,
    :func:`~generec.diffusion.presets.autoencoder_training`).
    """
    dev = resolve_device(device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    model = DiffusionModel(config, seed=settings.seed, device=dev)
    if model.autoencoder is not None:
        if autoencoder_settings is None:
            from generec.diffusion.presets import autoencoder_training

            autoencoder_settings = autoencoder_training(str(config.meta.get("preset", "")))
        first_stage(model, pixels, out if resume else None, autoencoder, autoencoder_settings, progress)
    state = fit(model, TrainingData(pixels, cond), settings, out, resume=resume, progress=progress)
    return model, state


def is_first_stage(source: str | Path) -> bool:
    """Whether ``source`` holds an autoencoder :func:`first_stage` can take (a latent model's or its own)."""
    d = Path(source)
    return (d / AUTOENCODER_WEIGHTS).is_file() or ((d / AE_CONFIG).is_file() and (d / AE_WEIGHTS).is_file())


def first_stage(
    model: DiffusionModel,
    pixels: np.ndarray,
    out: str | Path | None,
    source: str | Path | None = None,
    settings: AutoencoderTraining | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Give a latent ``model`` its autoencoder (resumed from ``out``, loaded from ``source`` or trained).

    ``source`` is an autoencoder saved on its own (:meth:`FrameAutoencoder.save`) or another latent model's
    folder (its ``autoencoder.pt``: one first stage can serve the creator and the thumbnail generator).

    What was done is returned and, with ``out``, written to ``out/autoencoder.json``.
    """
    want = model.config.autoencoder
    if model.autoencoder is None or want is None:
        raise ConfigError("only a latent model (one whose config names an autoencoder) has a first stage")
    saved = None if out is None else Path(out) / AUTOENCODER_WEIGHTS
    if saved is not None and saved.is_file():
        try:
            model.load_first_stage(saved.parent)
        except ModelError as exc:
            raise ModelError(f"{exc}; use a new --out") from exc
        report_file = saved.with_name(AUTOENCODER_REPORT)
        return json.loads(report_file.read_text(encoding="utf-8")) if report_file.is_file() else {"resumed": True}
    if source is not None and (Path(source) / AUTOENCODER_WEIGHTS).is_file():  # a latent model's folder
        model.load_first_stage(source)  # ModelError when it was trained for another shape
        ae = model.autoencoder
        report: dict[str, Any] = {"source": str(source)}
    elif source is not None:  # a first stage saved on its own (FrameAutoencoder.save)
        ae = FrameAutoencoder.load(source)
        if ae.config != want:
            raise ConfigError(f"the autoencoder in {source} is {ae.config}, but this model needs {want}")
        report = {"source": str(source)}
    else:
        frames = pixels.reshape(-1, *pixels.shape[-3:])
        ae, report = train_autoencoder(frames, want, settings, progress=progress)
    model.autoencoder.load_state_dict(ae.state_dict())
    if out is not None:
        model.save_first_stage(out)
        (Path(out) / AUTOENCODER_REPORT).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
