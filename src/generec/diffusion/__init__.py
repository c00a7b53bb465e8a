"""Diffusion machinery shared by the editor and the creator.

Noise schedules (:mod:`.schedule`), the UNet backbone (:mod:`.unet`), a video
denoiser with frames folded into channels and MCVD masked conditioning
(:mod:`.video_denoiser`), an image denoiser (:mod:`.image_denoiser`), DDIM/DDPM
sampling, classifier-free guidance and SDEdit (:mod:`.sampling`), EMA
(:mod:`.ema`), a first-stage frame autoencoder for latent diffusion (:mod:`.autoencoder`),
a model object that saves and loads with its config (:mod:`.model`),
training data from GeneRec-Sim worlds (:mod:`.clips`) and the training loop (:mod:`.training`).

Example
-------
>>> from generec.diffusion import DiffusionConfig, DiffusionModel, VideoDenoiserConfig
>>> m = DiffusionModel(DiffusionConfig(shape=VideoDenoiserConfig(frames=2, size=8, width=8, mults=(1,))))
>>> m.sample(None, n=1, steps=2, seed=0).shape
torch.Size([1, 2, 3, 8, 8])
"""

from generec.diffusion.autoencoder import AutoencoderConfig, AutoencoderTraining, FrameAutoencoder, train_autoencoder
from generec.diffusion.ema import EMA
from generec.diffusion.image_denoiser import ImageDenoiser, ImageDenoiserConfig
from generec.diffusion.model import DiffusionConfig, DiffusionModel, to_model_space, to_pixels
from generec.diffusion.sampling import ddim_sample, ddim_timesteps, ddpm_sample, guided, sdedit
from generec.diffusion.schedule import NoiseSchedule
from generec.diffusion.training import LatentData, TrainingData, TrainSettings, diffusion_loss, fit, known_frame_mask
from generec.diffusion.unet import UNet, UNetConfig
from generec.diffusion.video_denoiser import VideoDenoiser, VideoDenoiserConfig

__all__ = [
    "EMA",
    "AutoencoderConfig",
    "AutoencoderTraining",
    "FrameAutoencoder",
    "LatentData",
    "DiffusionConfig",
    "DiffusionModel",
    "ImageDenoiser",
    "ImageDenoiserConfig",
    "NoiseSchedule",
    "TrainSettings",
    "TrainingData",
    "UNet",
    "UNetConfig",
    "VideoDenoiser",
    "VideoDenoiserConfig",
    "ddim_sample",
    "ddim_timesteps",
    "ddpm_sample",
    "diffusion_loss",
    "fit",
    "guided",
    "known_frame_mask",
    "sdedit",
    "train_autoencoder",
    "to_model_space",
    "to_pixels",
]
