"""GeneRec-Sim: the built-in world, with ground truth the paper's data never had.

A deterministic generator of a micro-video platform: rendered videos made of
shots with known attributes and captions, users with hidden tastes, interactions
from a click model, instructions with known intents and slots, and a user
simulator that answers for any user and any item.

>>> from generec.data.sim import World, render_item, VOCAB    # doctest: +SKIP
"""

from generec.data.sim.build import WorldConfig, build_world
from generec.data.sim.clickmodel import ClickModel, featurize
from generec.data.sim.instructions import INTENTS, generate_instructions
from generec.data.sim.render import render_frame, render_item, render_shot
from generec.data.sim.samples import frame_caption_pairs, sample_shot
from generec.data.sim.simulator import UserSimulator
from generec.data.sim.vocab import ATTRIBUTES, FEATURES, VOCAB, caption_shot
from generec.data.sim.world import World

__all__ = [
    "ATTRIBUTES",
    "FEATURES",
    "INTENTS",
    "VOCAB",
    "ClickModel",
    "UserSimulator",
    "World",
    "WorldConfig",
    "build_world",
    "caption_shot",
    "featurize",
    "frame_caption_pairs",
    "generate_instructions",
    "render_frame",
    "render_item",
    "render_shot",
    "sample_shot",
]
