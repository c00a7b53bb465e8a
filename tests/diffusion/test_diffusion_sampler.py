"""The samplers checked with perfect (oracle) denoisers: any error here is the sampler's, not a model's."""

from __future__ import annotations

import pytest
import torch

from generec.diffusion import NoiseSchedule, ddim_sample, ddim_timesteps, ddpm_sample, sdedit
from generec.errors import ConfigError


def point_oracle(schedule: NoiseSchedule, prediction: str, point: torch.Tensor):
    """The exact denoiser for data that is always ``point``."""

    def predict(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        x0 = point.expand_as(x)
        ab = schedule.alpha_bar[t].view(-1, *([1] * (x.ndim - 1)))
        eps = (x - ab.sqrt() * x0) / (1 - ab).sqrt()
        return schedule.target(prediction, x0, eps, t)

    return predict


def gaussian_oracle(schedule: NoiseSchedule, prediction: str, mu: float, sd: float):
    """The exact denoiser (posterior mean of x0) for data drawn from N(mu, sd^2) per coordinate."""

    def predict(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        ab = schedule.alpha_bar[t].view(-1, *([1] * (x.ndim - 1))).double()
        xd = x.double()
        x0 = mu + ab.sqrt() * sd**2 / (ab * sd**2 + 1 - ab) * (xd - ab.sqrt() * mu)
        eps = (xd - ab.sqrt() * x0) / (1 - ab).sqrt()
        return schedule.target(prediction, x0, eps, t).float()

    return predict


@pytest.mark.parametrize("kind", ["cosine", "linear"])
@pytest.mark.parametrize("prediction", ["eps", "v"])
@pytest.mark.parametrize("steps", [1, 5, 25])
def test_ddim_recovers_a_single_point_exactly(kind: str, prediction: str, steps: int) -> None:
    s = NoiseSchedule(kind, 1000)
    point = torch.tensor([0.7, -0.3, 0.0, 0.95]).view(1, 4)
    out = ddim_sample(s, prediction, point_oracle(s, prediction, point), (8, 4), steps=steps, seed=3)
    assert torch.allclose(out, point.expand(8, 4), atol=1e-4)


@pytest.mark.parametrize("prediction", ["eps", "v"])
def test_ddim_maps_noise_onto_a_known_gaussian(prediction: str) -> None:
    s = NoiseSchedule("cosine", 1000)
    out = ddim_sample(s, prediction, gaussian_oracle(s, prediction, 0.3, 0.5), (2000, 8), steps=50, seed=0, clip=False)
    assert abs(out.mean().item() - 0.3) < 0.02
    assert abs(out.std().item() - 0.5) < 0.03


def test_ddpm_with_a_perfect_denoiser_lands_on_the_point() -> None:
    s = NoiseSchedule("cosine", 200)
    point = torch.tensor([[0.5, -0.5]])
    out = ddpm_sample(s, "v", point_oracle(s, "v", point), (4, 2), seed=0)
    assert torch.allclose(out, point.expand(4, 2), atol=1e-3)


def test_cosine_ddim_starts_one_step_below_the_top() -> None:
    cos, lin = NoiseSchedule("cosine", 1000), NoiseSchedule("linear", 1000)
    assert ddim_timesteps(cos, 10)[0] == 998 and ddim_timesteps(cos, 10)[-1] == 0
    assert ddim_timesteps(lin, 10)[0] == 999
    assert len(ddim_timesteps(cos, 10)) == 10
    with pytest.raises(ConfigError):
        ddim_timesteps(cos, 0)


def test_sdedit_strength_zero_returns_the_input_and_full_strength_forgets_it() -> None:
    s = NoiseSchedule("cosine", 1000)
    x = torch.rand(3, 4) * 2 - 1
    point = torch.zeros(1, 4)
    oracle = point_oracle(s, "v", point)
    assert torch.equal(sdedit(s, "v", oracle, x, 0.0), x)
    assert torch.allclose(sdedit(s, "v", oracle, x, 1.0, steps=10), point.expand(3, 4), atol=1e-4)
    with pytest.raises(ConfigError):
        sdedit(s, "v", oracle, x, 1.5)


def test_sdedit_keeps_more_of_the_input_at_low_strength() -> None:
    s = NoiseSchedule("cosine", 1000)
    x = torch.full((64, 4), 0.8)
    oracle = gaussian_oracle(s, "v", 0.0, 0.5)
    low = sdedit(s, "v", oracle, x, 0.2, steps=20, seed=1, clip=False)
    high = sdedit(s, "v", oracle, x, 0.9, steps=20, seed=1, clip=False)
    assert (low - x).abs().mean() < (high - x).abs().mean()


def test_schedules_reject_bad_settings() -> None:
    with pytest.raises(ConfigError, match="unknown noise schedule"):
        NoiseSchedule("sigmoid")
    with pytest.raises(ConfigError):
        NoiseSchedule("cosine", 1)
