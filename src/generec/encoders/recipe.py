"""One call from a dataset directory to a trained, saved and evaluated offline encoder.

This is what ``generec train encoder`` runs: hold out a share of the items, train the
dual encoder on the rest, save it, and judge it on the held-out clips. The held-out
item ids and the report are saved next to the weights, so every number can be traced
to the exact clips it was measured on.

Example
-------
>>> encoder, report = train_world_encoder("demo-world", "models/encoder", steps=400)  # doctest: +SKIP
>>> print(report.table())  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from generec.encoders.cache import FeatureCache
from generec.encoders.corpus import clips_to_pairs, is_sim_world, read_items, sim_clips, split_items, thumbnail_clips
from generec.encoders.dual import DualEncoderConfig, GeneRecEncoder
from generec.encoders.evaluate import EncoderReport, evaluate_encoder
from generec.encoders.text import MiniLMText
from generec.encoders.train import DualEncoderTrainer
from generec.errors import DataError


def train_world_encoder(
    world: str | Path,
    out: str | Path,
    *,
    steps: int = 400,
    batch_size: int = 128,
    dim: int = 128,
    lr: float = 3e-3,
    seed: int = 0,
    held_out: float = 0.1,
    frames_per_clip: int = 4,
    eval_frames_per_clip: int | None = 8,
    n_retrieval: int = 100,
    cache_dir: str | Path | None = None,
    threads: int | None = None,
    progress: bool = True,
) -> tuple[GeneRecEncoder, EncoderReport | None]:
    """Train on ``world``'s (frame, caption) pairs, save into ``out``, evaluate on held-out items.

    GeneRec-Sim worlds give one clip per shot (``frames_per_clip`` evenly spaced frames each for
    training, ``eval_frames_per_clip`` for evaluation; ``None`` takes every frame); other datasets
    give (thumbnail, title) pairs and are only evaluated when they hold at least ``n_retrieval``
    held-out clips. Returns the encoder and the report (``None`` when too few clips to evaluate).
    """
    world = Path(world)
    if not world.is_dir():
        raise DataError(f"{world} is not a directory; pass a world built with `generec world build --out DIR`")
    ids = read_items(world)["id"].astype(str).tolist()
    train_ids, test_ids = split_items(ids, held_out, seed)
    started = time.perf_counter()
    if is_sim_world(world):
        train_clips = sim_clips(world, train_ids, frames_per_clip, progress=progress)
        test_clips = sim_clips(world, test_ids, eval_frames_per_clip, progress=progress)
    else:
        train_clips, test_clips = thumbnail_clips(world, train_ids), thumbnail_clips(world, test_ids)
    frames, captions = clips_to_pairs(train_clips, DualEncoderConfig.image_size)
    cache = FeatureCache(cache_dir) if cache_dir is not None else None
    trainer = DualEncoderTrainer(
        dim=dim,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        text_tower=MiniLMText(cache=cache),
        threads=threads,
        progress=progress,
    )
    trainer.fit(frames, captions)
    encoder = trainer.encoder_
    encoder.config.train.update(
        world=str(world), held_out_items=len(test_ids), total_seconds=round(time.perf_counter() - started, 1)
    )
    out = Path(out)
    encoder.save_pretrained(out)
    (out / "held_out_items.json").write_text(json.dumps(test_ids) + "\n", encoding="utf-8")
    report = None
    if len(test_clips) >= n_retrieval:
        report = evaluate_encoder(encoder, test_clips, n_retrieval=n_retrieval, seed=seed)
        (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return encoder, report
