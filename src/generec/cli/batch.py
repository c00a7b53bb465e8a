"""``generec batch ...``: personalize and rank for every user at once, in this process or on Ray (``--engine``)."""

from __future__ import annotations

from pathlib import Path

import typer

from generec.cli import app

batch_app = typer.Typer(
    name="batch",
    no_args_is_help=True,
    help="Batch work for every user x item: thumbnails and clips (paper Eq. 1 / Eq. 2), full-ranking top-K. "
    "--engine ray runs the shards on a Ray cluster (extra `ray`) with the same results as --engine local.",
)
app.add_typer(batch_app, name="batch")

_ENGINE = typer.Option("local", "--engine", help="local (this process) or ray (a local Ray cluster, or --address).")
_ADDRESS = typer.Option(None, "--address", help="An existing Ray cluster: 'auto', 'host:6379' or 'ray://host:10001'.")
_WORKERS = typer.Option(None, "--workers", help="CPUs of the local Ray cluster (default: all); one shard per CPU.")
_USER_SHARD = typer.Option(4096, "--user-shard", help="Users per shard (a worker's memory grows with it).")


def _engine(name: str, address: str | None, workers: int | None):
    from generec.distributed import get_engine

    return get_engine(name, address, workers)  # before any heavy work: a missing extra is said at once


@batch_app.command("personalize")
def personalize(
    world: Path = typer.Option(..., "--world", "-w", help="GeneRec-Sim world directory (`generec world build`)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the picks (.npz)."),
    backend: str = typer.Option("efficientnet", "--backend", help="Encoder backend (efficientnet needs no --encoder)."),
    encoder: Path | None = typer.Option(None, "--encoder", "-e", help="Encoder directory, for backends that need one."),
    clip_len: int = typer.Option(8, "--clip-len", "-L", help="Frames per clip (Eq. 2)."),
    engine: str = _ENGINE,
    address: str | None = _ADDRESS,
    workers: int | None = _WORKERS,
    user_shard: int = _USER_SHARD,
    item_shard: int = typer.Option(1024, "--item-shard", help="Items per shard of the selection grid."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Feature cache (default: <world>/.feature-cache)."),
) -> None:
    """Each user's best frame (thumbnail, Eq. 1) and best clip (Eq. 2) in every item of a world.

    Encodes every frame of every item (shards of items), takes each user's guidance t* as the mean
    of their liked items' frame features, then scores every user x item (a grid of shards).
    Writes user_ids, item_ids, thumbnail_frame [U, I] and clip_start [U, I].

    Example: generec batch personalize --world demo-world --engine ray --workers 2 -o picks.npz
    """
    import numpy as np

    from generec.data.sim import World
    from generec.distributed import clip_all, encode_all, select_all
    from generec.editor import PackedFrames
    from generec.editor.clipping import check_clip_params
    from generec.encoders import l2_normalize

    check_clip_params(clip_len, 1)
    runner = _engine(engine, address, workers)
    try:
        w = World.load(world)
        split = w.dataset().split()
        videos = [(w.media_path(i), int(w.item_meta(i)["frame_size"])) for i in split.item_ids]
        cache = cache_dir if cache_dir is not None else Path(world) / ".feature-cache"
        frames = encode_all(videos, backend, runner, encoder_path=encoder, cache=cache)
        packed = PackedFrames.pack(frames)
        liked = np.zeros((split.n_users, split.n_items), np.float32)
        liked[split.train[:, 0], split.train[:, 1]] = 1
        users = np.flatnonzero(liked.any(axis=1))
        item_vec = l2_normalize(np.stack([f.mean(axis=0) for f in frames]))
        t_star = (liked[users] / liked[users].sum(axis=1, keepdims=True)) @ item_vec
        shards = {"user_shard": user_shard, "item_shard": item_shard}
        thumbs = select_all(t_star, packed, runner, **shards)
        clips = clip_all(t_star, packed, runner, clip_len=clip_len, **shards)
    finally:
        runner.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, user_ids=split.user_ids[users], item_ids=np.asarray(split.item_ids),
                        thumbnail_frame=thumbs, clip_start=clips)  # fmt: skip
    typer.echo(f"{len(users)} users x {len(frames)} items on {engine}: thumbnails and clips -> {out}")


@batch_app.command("rank")
def rank(
    model: Path = typer.Option(..., "--model", "-m", help="A saved recommender (`generec train model`)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the top-K item indices [users, K] (.npy)."),
    k: int = typer.Option(20, "--k", "-k", help="Items per user."),
    engine: str = _ENGINE,
    address: str | None = _ADDRESS,
    workers: int | None = _WORKERS,
    user_shard: int = _USER_SHARD,
) -> None:
    """Full-ranking top-K for every user of a trained model (training items excluded), as `recommend` gives.

    Example: generec batch rank --model models/mmgcn --k 20 --engine ray -o top20.npy
    """
    import numpy as np

    from generec.distributed import rank_all
    from generec.recommender import load_model

    runner = _engine(engine, address, workers)
    try:
        top = rank_all(load_model(str(model)), runner, k, user_shard=user_shard)
    finally:
        runner.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, top)
    typer.echo(f"top-{top.shape[1]} for {top.shape[0]} users on {engine} -> {out}")
