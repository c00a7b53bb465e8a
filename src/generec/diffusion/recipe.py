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

from pathlib import Path
from typing import Any

import numpy as np
import torch

from generec.diffusion.model import DiffusionConfig, DiffusionModel
from generec.diffusion.training import TrainingData, TrainSettings, fit
from generec.errors import ConfigError


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
) -> tuple[DiffusionModel, dict[str, Any]]:
    """Build a model from ``config`` (seeded by ``settings.seed``), train it on the rows, save it to ``out``."""
    dev = resolve_device(device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    model = DiffusionModel(config, seed=settings.seed, device=dev)
    state = fit(model, TrainingData(pixels, cond), settings, out, resume=resume, progress=progress)
    return model, state
