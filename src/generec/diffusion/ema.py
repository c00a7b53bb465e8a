"""Exponential moving average of a model's weights, the copy that samples best.

Example
-------
>>> from torch import nn
>>> net = nn.Linear(2, 2); ema = EMA(net, decay=0.9)
>>> ema.update(net); ema.model is not net
True
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from generec.errors import ConfigError


class EMA:
    """A frozen copy of ``model`` whose weights follow it as ``w <- decay * w + (1 - decay) * w_model``.

    The effective decay ramps up as ``min(decay, (1 + n) / (10 + n))`` over the first
    updates so that a young model's average is not dominated by its random start.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999) -> None:
        if not 0.0 <= decay < 1.0:
            raise ConfigError(f"EMA decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for avg, cur in zip(self.model.parameters(), model.parameters(), strict=True):
            avg.lerp_(cur.detach(), 1.0 - d)
        for avg, cur in zip(self.model.buffers(), model.buffers(), strict=True):
            avg.copy_(cur)

    def state_dict(self) -> dict[str, object]:
        return {"decay": self.decay, "updates": self.updates, "weights": self.model.state_dict()}

    def load_state_dict(self, state: dict[str, object]) -> None:
        self.decay = float(state["decay"])  # type: ignore[arg-type]
        self.updates = int(state["updates"])  # type: ignore[arg-type]
        self.model.load_state_dict(state["weights"])  # type: ignore[arg-type]
