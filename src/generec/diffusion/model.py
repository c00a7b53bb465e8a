"""A diffusion model as one object: denoiser + schedule + EMA weights, trained, sampled and saved together.

Example
-------
>>> cfg = DiffusionConfig(denoiser="image", shape=ImageDenoiserConfig(size=8, width=8, mults=(1,), cond_dim=2))
>>> m = DiffusionModel(cfg, seed=0)
>>> m.sample(torch.zeros(2, 2), steps=2, seed=0).shape
torch.Size([2, 3, 8, 8])
"""

from __future__ import annotations

import json
import logging
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generec.diffusion import onnx_runtime
from generec.diffusion.autoencoder import AutoencoderConfig, FrameAutoencoder
from generec.diffusion.ema import EMA
from generec.diffusion.image_denoiser import ImageDenoiser, ImageDenoiserConfig
from generec.diffusion.sampling import ddim_sample, ddpm_sample, guided, sdedit
from generec.diffusion.schedule import NoiseSchedule, check_prediction
from generec.diffusion.video_denoiser import VideoDenoiser, VideoDenoiserConfig
from generec.errors import ConfigError, ModelError

FORMAT = "generec-diffusion/1"
CONFIG = "config.json"
WEIGHTS = "weights.pt"
EMA_WEIGHTS = "ema.pt"
AUTOENCODER_WEIGHTS = "autoencoder.pt"
Known = tuple[torch.Tensor, torch.Tensor]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiffusionConfig:
    """Everything needed to rebuild a model: denoiser shape, schedule, prediction target, training choices.

    ``p_uncond`` is the share of training samples whose condition is dropped (what
    classifier-free guidance needs); ``p_known`` the share of video samples that see
    some known frames (MCVD prediction/interpolation). ``meta`` holds free-form notes
    (what the condition vector is made of, the data, the command that trained it).

    With an ``autoencoder`` the denoiser works in that autoencoder's latent space (latent
    diffusion): ``shape`` is then the latent's shape, and the model still takes and returns
    pixels (see :class:`DiffusionModel`).
    """

    denoiser: str = "video"
    shape: VideoDenoiserConfig | ImageDenoiserConfig = field(default_factory=VideoDenoiserConfig)
    schedule: str = "cosine"
    timesteps: int = 1000
    prediction: str = "v"
    p_uncond: float = 0.1
    p_known: float = 0.25
    ema_decay: float = 0.999
    meta: dict[str, Any] = field(default_factory=dict)
    autoencoder: AutoencoderConfig | None = None

    def validate(self) -> DiffusionConfig:
        if self.denoiser not in ("video", "image"):
            raise ConfigError(f"denoiser must be 'video' or 'image', got {self.denoiser!r}")
        expected = VideoDenoiserConfig if self.denoiser == "video" else ImageDenoiserConfig
        if not isinstance(self.shape, expected):
            raise ConfigError(f"a {self.denoiser} denoiser needs a {expected.__name__}")
        check_prediction(self.prediction)
        for name in ("p_uncond", "p_known"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be a probability, got {getattr(self, name)}")
        self.shape.validate()
        if self.autoencoder is not None:
            ae = self.autoencoder.validate()
            if (self.shape.channels, self.shape.size) != (ae.latent_channels, ae.latent_size):
                raise ConfigError(
                    f"a latent denoiser must match its autoencoder's latents ({ae.latent_channels} channels of "
                    f"{ae.latent_size}x{ae.latent_size}), got {self.shape.channels} of {self.shape.size}^2"
                )
        elif self.shape.channels != 3:
            raise ConfigError(
                f"a pixel denoiser has 3 channels, got {self.shape.channels}; latents need an autoencoder"
            )
        return self

    @property
    def pixel_size(self) -> int:
        """Side of the frames the model takes and makes (its autoencoder's frames for a latent model)."""
        return self.shape.size if self.autoencoder is None else self.autoencoder.size

    @property
    def cond_dim(self) -> int:
        return self.shape.cond_dim

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "denoiser": self.denoiser,
            "shape": self.shape.to_dict(),
            "schedule": self.schedule,
            "timesteps": self.timesteps,
            "prediction": self.prediction,
            "p_uncond": self.p_uncond,
            "p_known": self.p_known,
            "ema_decay": self.ema_decay,
            "meta": self.meta,
            **({"autoencoder": self.autoencoder.to_dict()} if self.autoencoder is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DiffusionConfig:
        if data.get("format") != FORMAT:
            raise ModelError(f"not a GeneRec diffusion config (format {data.get('format')!r}, expected {FORMAT})")
        shape_cls = VideoDenoiserConfig if data["denoiser"] == "video" else ImageDenoiserConfig
        fields = {k: v for k, v in data.items() if k not in ("format", "shape", "extra", "autoencoder")}
        ae = AutoencoderConfig.from_dict(data["autoencoder"]) if data.get("autoencoder") else None
        return cls(shape=shape_cls.from_dict(data["shape"]), autoencoder=ae, **fields)


def to_model_space(pixels: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 ``[..., H, W, 3]`` -> float ``[..., 3, H, W]`` in [-1, 1]."""
    x = torch.as_tensor(np.asarray(pixels) if not isinstance(pixels, torch.Tensor) else pixels)
    return x.movedim(-1, -3).float() / 127.5 - 1.0


def to_pixels(x: torch.Tensor) -> np.ndarray:
    """float ``[..., 3, H, W]`` in [-1, 1] -> uint8 ``[..., H, W, 3]``."""
    return ((x.detach().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).movedim(-3, -1).numpy()


class DiffusionModel:
    """A denoiser with its schedule and EMA copy.

    Parameters
    ----------
    config
        A :class:`DiffusionConfig`.
    seed
        Seed of the weight initialisation.
    device
        ``"cpu"`` or ``"cuda"``.

    Example
    -------
    >>> m = DiffusionModel(DiffusionConfig(shape=VideoDenoiserConfig(frames=2, size=8, width=8, mults=(1,))))
    >>> m.sample(None, n=1, steps=2).shape
    torch.Size([1, 2, 3, 8, 8])
    """

    def __init__(self, config: DiffusionConfig, seed: int = 0, device: str | torch.device = "cpu") -> None:
        self.config = config.validate()
        self.schedule = NoiseSchedule(config.schedule, config.timesteps)
        self.device = torch.device(device)
        torch.manual_seed(seed)
        net = VideoDenoiser(config.shape) if config.denoiser == "video" else ImageDenoiser(config.shape)
        self.net = net.to(self.device)
        self.ema = EMA(self.net, config.ema_decay)
        self.autoencoder: FrameAutoencoder | None = None
        if config.autoencoder is not None:
            self.autoencoder = FrameAutoencoder(config.autoencoder).to(self.device).eval().requires_grad_(False)
        self.extra: dict[str, Any] = {}

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one sample in model space: ``[T, 3, H, W]`` or ``[3, H, W]``, pixels even for a latent model."""
        latent = self.config.shape.sample_shape
        if self.autoencoder is None:
            return latent
        size = self.config.pixel_size
        return (*latent[:-3], 3, size, size)

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Model-space pixels ``[n, *sample_shape]`` -> what the denoiser works on (latents, or the pixels)."""
        return x if self.autoencoder is None else self.autoencoder.encode(x.to(self.device))

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The way back from :meth:`encode`: pixels in [-1, 1]."""
        return z if self.autoencoder is None else self.autoencoder.decode(z).clamp(-1.0, 1.0)

    def parameters_count(self) -> int:
        return sum(p.numel() for p in self.net.parameters())

    # ------------------------------------------------------------------ sampling
    def _cond(self, cond: torch.Tensor | np.ndarray | None, n: int | None) -> tuple[torch.Tensor | None, int]:
        if cond is None:
            if n is None:
                raise ConfigError("give a condition or the number of samples n")
            return None, n
        c = torch.as_tensor(np.asarray(cond, dtype=np.float32) if not isinstance(cond, torch.Tensor) else cond)
        c = c.float().reshape(-1, c.shape[-1]).to(self.device)
        if c.shape[1] != self.config.cond_dim:
            raise ConfigError(f"condition has {c.shape[1]} values; this model was trained on {self.config.cond_dim}")
        if n is not None and n != c.shape[0]:
            if c.shape[0] != 1:
                raise ConfigError(f"{c.shape[0]} conditions for {n} samples")
            c = c.expand(n, -1)
        return c, c.shape[0]

    def predictor(self, cond: torch.Tensor | None, guidance: float = 1.0, known: Known | None = None, ema: bool = True):
        net = self.ema.model if ema else self.net
        if ema and self.device.type == "cpu" and onnx_runtime.wanted():
            try:
                net = onnx_runtime.onnx_denoiser(net, self.config.shape)
            except ModelError as exc:
                log.warning("sampling with PyTorch: %s", exc)
        if cond is None and self.config.cond_dim:
            guidance = 0.0  # an unconditional request on a conditional model uses its null condition
            cond = torch.zeros(1, self.config.cond_dim, device=self.device)
        return guided(net, cond, guidance, known)

    def sample(
        self,
        cond: torch.Tensor | np.ndarray | None,
        n: int | None = None,
        *,
        steps: int = 25,
        guidance: float = 1.0,
        seed: int = 0,
        sampler: str = "ddim",
        known: Known | None = None,
        progress: bool = False,
    ) -> torch.Tensor:
        """Samples ``[n, *sample_shape]`` in [-1, 1] for conditions ``[n, cond_dim]`` (or ``None``).

        ``sampler="ddpm"`` runs every schedule step (``steps`` is ignored): the slow baseline.
        """
        if sampler not in ("ddim", "ddpm"):
            raise ConfigError(f"unknown sampler {sampler!r}; choose 'ddim' or 'ddpm'")
        c, n = self._cond(cond, n)
        if known is not None:
            known = (self.encode(known[0]), known[1])
        predict = self.predictor(c, guidance, known)
        shape = (n, *self.config.shape.sample_shape)
        p, clip = self.config.prediction, self.autoencoder is None  # latents are not bounded to [-1, 1]
        kw = {"seed": seed, "known": known, "progress": progress, "device": self.device, "clip": clip}
        if sampler == "ddpm":
            z = ddpm_sample(self.schedule, p, predict, shape, **kw)
        else:
            z = ddim_sample(self.schedule, p, predict, shape, steps=steps, **kw)
        return self.decode(z)

    def edit(
        self,
        x: torch.Tensor,
        cond: torch.Tensor | np.ndarray | None,
        strength: float,
        *,
        steps: int = 25,
        guidance: float = 1.0,
        seed: int = 0,
    ) -> torch.Tensor:
        """SDEdit ``x`` (``[n, *sample_shape]`` in [-1, 1]) toward ``cond`` at ``strength`` in [0, 1]."""
        if tuple(x.shape[1:]) != tuple(self.sample_shape):
            raise ConfigError(f"input shape {tuple(x.shape[1:])} does not match the model's {self.sample_shape}")
        c, _ = self._cond(cond, x.shape[0])
        predict = self.predictor(c, guidance)
        z = sdedit(
            self.schedule, self.config.prediction, predict, self.encode(x.to(self.device)), strength,
            steps=steps, seed=seed, clip=self.autoencoder is None,
        )  # fmt: skip
        return self.decode(z) if strength > 0 else x.to(self.device).clone()

    # ------------------------------------------------------------------ files
    def save_first_stage(self, directory: str | Path) -> Path:
        """Write the autoencoder's weights (``autoencoder.pt``) into ``directory``; :meth:`save` does too."""
        if self.autoencoder is None:
            raise ConfigError("only a latent model (one whose config names an autoencoder) has a first stage")
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        torch.save({k: v.cpu() for k, v in self.autoencoder.state_dict().items()}, d / AUTOENCODER_WEIGHTS)
        return d / AUTOENCODER_WEIGHTS

    def load_first_stage(self, directory: str | Path) -> None:
        """Read the autoencoder's weights from ``directory``; :class:`ModelError` if they do not fit this model."""
        if self.autoencoder is None:
            raise ConfigError("only a latent model (one whose config names an autoencoder) has a first stage")
        path = Path(directory) / AUTOENCODER_WEIGHTS
        try:
            self.autoencoder.load_state_dict(torch.load(path, map_location=self.device, weights_only=True))
        except (RuntimeError, OSError, EOFError, pickle.UnpicklingError) as exc:
            raise ModelError(f"the autoencoder in {path} does not fit this model ({exc})") from exc

    def save(
        self, directory: str | Path, extra: dict[str, Any] | None = None, *, ema_only: bool = False, half: bool = False
    ) -> Path:
        """Write ``config.json``, ``weights.pt`` (training weights) and ``ema.pt`` (sampling weights).

        ``ema_only`` leaves out the training weights: half the size, enough to sample (a release copy).
        ``half`` stores the EMA weights in float16 (half again; they load back into float32).
        """
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        info = {**self.config.to_dict(), **({"extra": extra} if extra else {})}
        if not ema_only:
            torch.save({k: v.cpu() for k, v in self.net.state_dict().items()}, d / WEIGHTS)
        dtype = torch.float16 if half else None
        ema = {k: v.cpu() if dtype is None else v.cpu().to(dtype) for k, v in self.ema.model.state_dict().items()}
        torch.save({"updates": self.ema.updates, "weights": ema}, d / EMA_WEIGHTS)
        if self.autoencoder is not None:
            self.save_first_stage(d)
        # config last: a directory with a config always has its weights.
        (d / CONFIG).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        return d

    @classmethod
    def load(cls, directory: str | Path, device: str | torch.device = "cpu") -> DiffusionModel:
        """Rebuild a model saved by :meth:`save`; raises :class:`ModelError` if it is missing or broken."""
        d = Path(directory)
        if not (d / CONFIG).is_file():
            raise ModelError(f"{d} holds no diffusion model ({CONFIG} missing); train one with `generec train ...`")
        try:
            info = json.loads((d / CONFIG).read_text(encoding="utf-8"))
            model = cls(DiffusionConfig.from_dict(info), device=device)
            ema = torch.load(d / EMA_WEIGHTS, map_location=device, weights_only=True)
            # A release copy (save(ema_only=True)) has no training weights: start them from the EMA ones.
            has_weights = (d / WEIGHTS).is_file()
            weights = torch.load(d / WEIGHTS, map_location=device, weights_only=True) if has_weights else ema["weights"]
            model.net.load_state_dict(weights)
            model.ema.model.load_state_dict(ema["weights"])
            model.ema.updates = int(ema["updates"])
            if model.autoencoder is not None:
                model.load_first_stage(d)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError, pickle.UnpicklingError) as exc:
            raise ModelError(f"cannot load the diffusion model in {d}: {exc}; retrain it or restore the files") from exc
        model.extra = info.get("extra", {})
        return model
