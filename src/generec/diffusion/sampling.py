"""Samplers: DDIM (few deterministic steps), DDPM (ancestral, every step), SDEdit, and guidance.

Every sampler takes a ``predict(x_t, t) -> output`` function (the denoiser with its
condition and guidance already bound, see :func:`guided`) and the schedule and
prediction type it was trained with, so a perfect denoiser can be plugged in to
check the sampler alone.

Example
-------
>>> import torch
>>> from generec.diffusion.schedule import NoiseSchedule
>>> s = NoiseSchedule("cosine", 1000)
>>> point = torch.full((1, 2), 0.5)
>>> oracle = lambda x, t: s.target("v", point.expand_as(x), (x - s.q_sample(point.expand_as(x), t, 0 * x)) /
...     (1 - s.alpha_bar[t]).sqrt()[:, None], t)
>>> torch.allclose(ddim_sample(s, "v", oracle, (3, 2), steps=10, seed=0), point.expand(3, 2), atol=1e-4)
True
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from tqdm.auto import tqdm

from generec.diffusion.schedule import NoiseSchedule
from generec.errors import ConfigError

Predict = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def ddim_timesteps(schedule: NoiseSchedule, steps: int, start: int | None = None) -> list[int]:
    """Descending steps for DDIM, from ``start`` down to 0.

    With the cosine schedule the top step keeps almost no signal (``alpha_bar ~ 1e-9``),
    and an epsilon model's ``x0`` estimate there divides by ~0; starting one step below
    the top avoids that and costs nothing, since both steps are pure noise.
    """
    if steps < 1:
        raise ConfigError(f"DDIM needs at least 1 step, got {steps}")
    top = schedule.steps - 1 - (1 if schedule.kind == "cosine" else 0)
    start = top if start is None else min(int(start), top)
    ts = torch.linspace(start, 0, min(steps, start + 1)).round().long().tolist()
    return sorted(set(ts), reverse=True)


def _x0_eps(
    schedule: NoiseSchedule,
    prediction: str,
    predict: Predict,
    x: torch.Tensor,
    t: int,
    clip: bool,
    known: tuple[torch.Tensor, torch.Tensor] | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    tt = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
    x0, eps = schedule.split(prediction, x, tt, predict(x, tt))
    if clip or known is not None:
        if clip:
            x0 = x0.clamp(-1.0, 1.0)
        if known is not None:  # MCVD: known frames are facts, not guesses
            values, mask = known
            m = mask.to(x.dtype).view(*mask.shape, *([1] * (x.ndim - mask.ndim)))
            x0 = m * values + (1 - m) * x0
        ab = schedule.alpha_bar[t]
        eps = (x - ab.sqrt() * x0) / (1 - ab).sqrt()
    return x0, eps


@torch.no_grad()
def ddim_sample(
    schedule: NoiseSchedule,
    prediction: str,
    predict: Predict,
    shape: tuple[int, ...] | None = None,
    *,
    steps: int = 25,
    seed: int = 0,
    x_start: torch.Tensor | None = None,
    start: int | None = None,
    eta: float = 0.0,
    clip: bool = True,
    known: tuple[torch.Tensor, torch.Tensor] | None = None,
    progress: bool = False,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Run DDIM from pure noise of ``shape`` (or from ``x_start`` at step ``start``) to a clean sample."""
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    if x_start is None:
        if shape is None:
            raise ConfigError("ddim_sample needs a shape or an x_start")
        x = torch.randn(shape, generator=gen).to(device)
    else:
        x = x_start
    ts = ddim_timesteps(schedule, steps, start)
    for i, t in enumerate(tqdm(ts, desc="DDIM", disable=not progress, leave=False)):
        x0, eps = _x0_eps(schedule, prediction, predict, x, t, clip, known)
        ab_prev = schedule.alpha_bar[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
        ab = schedule.alpha_bar[t]
        sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)).clamp(min=0).sqrt()
        x = ab_prev.sqrt() * x0 + (1 - ab_prev - sigma**2).clamp(min=0).sqrt() * eps
        if eta > 0 and i + 1 < len(ts):
            x = x + sigma * torch.randn(x.shape, generator=gen).to(x.device)
    return x


@torch.no_grad()
def ddpm_sample(
    schedule: NoiseSchedule,
    prediction: str,
    predict: Predict,
    shape: tuple[int, ...],
    *,
    seed: int = 0,
    clip: bool = True,
    known: tuple[torch.Tensor, torch.Tensor] | None = None,
    progress: bool = False,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Ancestral DDPM sampling through every one of the schedule's steps (the slow baseline)."""
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    x = torch.randn(shape, generator=gen).to(device)
    ab_all = schedule.alpha_bar
    for t in tqdm(range(schedule.steps - 1, -1, -1), desc="DDPM", disable=not progress, leave=False):
        x0, _ = _x0_eps(schedule, prediction, predict, x, t, clip, known)
        ab, ab_prev = ab_all[t], (ab_all[t - 1] if t > 0 else torch.tensor(1.0))
        beta = 1 - ab / ab_prev
        mean = (ab_prev.sqrt() * beta * x0 + (1 - beta).sqrt() * (1 - ab_prev) * x) / (1 - ab)
        x = mean
        if t > 0:
            var = beta * (1 - ab_prev) / (1 - ab)
            x = x + var.sqrt() * torch.randn(x.shape, generator=gen).to(x.device)
    return x


def guided(
    denoiser: Callable[..., torch.Tensor],
    cond: torch.Tensor | None,
    scale: float = 1.0,
    known: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> Predict:
    """Bind a denoiser to a condition with classifier-free guidance ``u + scale * (c - u)``.

    ``scale = 1`` is plain conditional sampling, ``0`` unconditional, ``> 1`` pushes
    samples toward the condition. Both branches run in one batched forward pass.
    """
    kw = {} if known is None else {"known": known[0], "mask": known[1]}
    if cond is None:
        return lambda x, t: denoiser(x, t, None, None, **kw)
    if scale == 1.0 or scale == 0.0:
        keep_value = scale == 1.0
        return lambda x, t: denoiser(x, t, cond, torch.full((x.shape[0],), keep_value, device=x.device), **kw)

    def predict(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        keep = torch.cat([torch.ones(n, dtype=torch.bool), torch.zeros(n, dtype=torch.bool)]).to(x.device)
        both = {k: torch.cat([v, v]) for k, v in kw.items()}
        out = denoiser(torch.cat([x, x]), torch.cat([t, t]), torch.cat([cond, cond]), keep, **both)
        c, u = out.chunk(2)
        return u + scale * (c - u)

    return predict


@torch.no_grad()
def sdedit(
    schedule: NoiseSchedule,
    prediction: str,
    predict: Predict,
    x: torch.Tensor,
    strength: float,
    *,
    steps: int = 25,
    seed: int = 0,
    clip: bool = True,
    known: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """SDEdit: noise ``x`` to ``strength`` of the schedule, then denoise it with DDIM.

    ``strength = 0`` returns ``x`` unchanged; ``1`` ignores it (sampling from noise).
    ``steps`` is the DDIM budget for the full range; a partial edit uses its share.
    """
    if not 0.0 <= strength <= 1.0:
        raise ConfigError(f"edit strength must be between 0 and 1, got {strength}")
    if strength == 0.0:
        return x.clone()
    top = schedule.steps - 1 - (1 if schedule.kind == "cosine" else 0)
    t_start = max(int(round(strength * top)), 1)
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    noise = torch.randn(x.shape, generator=gen).to(x.device)
    x_t = schedule.q_sample(x, torch.full((x.shape[0],), t_start, device=x.device), noise)
    n = max(1, int(round(steps * strength)))
    return ddim_sample(
        schedule, prediction, predict, x_start=x_t, start=t_start, steps=n, seed=seed + 1, clip=clip, known=known
    )
