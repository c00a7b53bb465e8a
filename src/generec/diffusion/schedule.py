"""Noise schedules and the algebra between x0, epsilon and v.

A schedule is the table ``alpha_bar[t]`` for ``t = 0 .. T-1``: the share of the
signal's variance left at step ``t`` (``x_t = sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) eps``).
Two shapes are offered: ``"linear"`` (DDPM's betas from 1e-4 to 0.02) and
``"cosine"`` (Nichol & Dhariwal), which keeps more signal in the middle steps and
works better for small images.

Example
-------
>>> s = NoiseSchedule("cosine", 1000)
>>> float(s.alpha_bar[0]) > 0.999, float(s.alpha_bar[-1]) < 1e-4
(True, True)
"""

from __future__ import annotations

import math

import torch

from generec.errors import ConfigError

SCHEDULES = ("cosine", "linear")
PREDICTIONS = ("eps", "v")


def _cosine_alpha_bar(steps: int, offset: float = 0.008) -> torch.Tensor:
    f = lambda t: math.cos((t / steps + offset) / (1 + offset) * math.pi / 2) ** 2  # noqa: E731
    betas = [min(1 - f(i + 1) / f(i), 0.999) for i in range(steps)]
    return torch.cumprod(1 - torch.tensor(betas, dtype=torch.float64), 0)


def _linear_alpha_bar(steps: int) -> torch.Tensor:
    # Scaled so that any number of steps spans the same noise range as DDPM's 1000.
    scale = 1000 / steps
    betas = torch.linspace(scale * 1e-4, scale * 0.02, steps, dtype=torch.float64)
    return torch.cumprod(1 - betas, 0)


class NoiseSchedule:
    """The forward (noising) process of a diffusion model.

    Parameters
    ----------
    kind
        ``"cosine"`` or ``"linear"``.
    steps
        Number of discrete steps ``T`` (1000 is the usual choice).

    Example
    -------
    >>> s = NoiseSchedule("linear", 1000)
    >>> x0 = torch.zeros(2, 3); eps = torch.ones(2, 3)
    >>> s.q_sample(x0, torch.tensor([0, 999]), eps).shape
    torch.Size([2, 3])
    """

    def __init__(self, kind: str = "cosine", steps: int = 1000) -> None:
        if kind not in SCHEDULES:
            raise ConfigError(f"unknown noise schedule {kind!r}; choose one of {', '.join(SCHEDULES)}")
        if steps < 2:
            raise ConfigError(f"a noise schedule needs at least 2 steps, got {steps}")
        self.kind = kind
        self.steps = int(steps)
        ab = _cosine_alpha_bar(steps) if kind == "cosine" else _linear_alpha_bar(steps)
        self.alpha_bar = ab.to(torch.float32)

    def _gather(self, t: torch.Tensor, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ab = self.alpha_bar.to(like.device)[t.long()]
        shape = (-1,) + (1,) * (like.ndim - 1)
        return ab.sqrt().view(shape), (1 - ab).sqrt().view(shape)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Noise ``x0`` to step ``t`` (one step per batch row)."""
        a, s = self._gather(t, x0)
        return a * x0 + s * noise

    def target(self, prediction: str, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """What the denoiser learns to output: ``eps`` itself, or ``v = sqrt(ab) eps - sqrt(1-ab) x0``."""
        if prediction == "eps":
            return noise
        a, s = self._gather(t, x0)
        return a * noise - s * x0

    def split(
        self, prediction: str, x_t: torch.Tensor, t: torch.Tensor, output: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """From a denoiser ``output`` at ``x_t``, recover ``(x0, eps)``."""
        a, s = self._gather(t, x_t)
        if prediction == "eps":
            return (x_t - s * output) / a, output
        # v-prediction stays well defined even where alpha_bar -> 0 (no division by sqrt(ab)).
        return a * x_t - s * output, s * x_t + a * output

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "steps": self.steps}


def check_prediction(prediction: str) -> str:
    if prediction not in PREDICTIONS:
        raise ConfigError(f"unknown prediction target {prediction!r}; choose 'eps' or 'v'")
    return prediction
