"""Reading created clips back: how often the attribute reader finds what each held-out instruction asked for.

The reader itself (:class:`~generec.data.sim.reader.AttributeReader`) is part of the simulator's data
tools, since the product reads its own candidates with one too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from generec.data.sim.reader import AttributeReader, chance_levels
from generec.errors import DataError


@dataclass
class CreationReport:
    """How often the reader finds the asked-for attributes in created clips, next to real clips and chance."""

    created: dict[str, float]
    real: dict[str, float]
    n: int
    fvd: Any = None
    fvd_unconditional: Any = None

    def table(self) -> str:
        chance = chance_levels()
        lines = [
            f"attribute reader on {self.n} clips for held-out instructions (created vs the real shots they describe)",
            f"{'attribute':<10} {'created':>8} {'real':>6} {'chance':>7}",
        ]
        lines += [f"{a:<10} {self.created[a]:>8.3f} {self.real[a]:>6.3f} {chance[a]:>7.3f}" for a in self.created]
        for result in (self.fvd, self.fvd_unconditional):
            if result is not None:
                lines.append(str(result))
        return "\n".join(lines)


def evaluate_creation(
    creator: Any,
    reader: AttributeReader,
    world: Any,
    *,
    n: int = 64,
    seed: int = 0,
    held_out: float = 0.1,
    caption_embeddings: dict[str, np.ndarray] | None = None,
    features: Any = None,
    batch: int = 16,
) -> CreationReport:
    """Create one clip per held-out shot caption (instruction only) and read its attributes back.

    ``caption_embeddings`` (caption -> text embedding) replaces the encoder's text tower where it
    is unavailable; ``features`` (a Frechet :class:`~generec.evaluation.frechet.FeatureNetwork`)
    adds FVD of the guided and the unconditional samples against the real shots.
    """
    from generec.diffusion.conditions import load_world, shot_clips, split_items
    from generec.evaluation.creation import request_constraints
    from generec.evaluation.frechet import frechet_video_distance
    from generec.types import Guidance

    world = load_world(world)
    config = creator.model.config
    _, held = split_items(world.items["id"], held_out, seed)
    if not held:
        raise DataError("no held-out items to evaluate on; use a larger world or a larger held-out fraction")
    real, table = shot_clips(world, config.shape.frames, config.pixel_size, held, progress=False)
    real, table = real[:n], table.iloc[:n]
    made = []
    for start in range(0, len(table), batch):
        caps = table["caption"].iloc[start : start + batch].astype(str)
        named = request_constraints(list(caps)) if getattr(creator, "vocabulary", None) else {}
        gs: list[Guidance | None] = [
            Guidance(
                instruction_emb=caption_embeddings[c] if caption_embeddings else None,
                instruction_text=None if caption_embeddings else c,
                constraints=named.get(c, {}),
            )
            for c in caps
        ]
        made.append(creator.create(gs, seed=seed + start))
    created = np.concatenate(made)

    def hits(clips: np.ndarray) -> dict[str, float]:
        reads = reader.read(clips)
        attrs = ("category", "colour", "motion", "scene", "style")
        return {a: float(np.mean([r[a] == t for r, t in zip(reads, table[a], strict=True)])) for a in attrs}

    report = CreationReport(hits(created), hits(real), len(table))
    if features is not None:
        report.fvd = frechet_video_distance(real, created, features)
        report.fvd_unconditional = frechet_video_distance(real, creator.create(None, n=len(real), seed=seed), features)
    return report
