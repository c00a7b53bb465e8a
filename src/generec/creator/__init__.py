"""The AI creator (paper §5.2): new videos and images from noise, steered by instructions and user feedback.

Example
-------
>>> from generec.creator import VideoCreator, train_creation                    # doctest: +SKIP
>>> train_creation("demo-world", encoder, "models/creation", guidance="user_hist")  # doctest: +SKIP
>>> VideoCreator.load("models/creation", encoder).create(guidance, frames=16)  # doctest: +SKIP
"""

from generec.creator.checkpoint import DEMO_CHECKPOINT, demo_checkpoint
from generec.creator.image import ImageCreator
from generec.creator.training import creation_rows, train_creation
from generec.creator.video import VideoCreator
from generec.diffusion.generator import ConditionalGenerator

__all__ = [
    "DEMO_CHECKPOINT",
    "ConditionalGenerator",
    "ImageCreator",
    "demo_checkpoint",
    "VideoCreator",
    "creation_rows",
    "train_creation",
]
