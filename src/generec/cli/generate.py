"""``generec train revision|creation|thumbnails|reader``: train GeneRec's own generators on a world.

Commands attach to ``train_app`` (``generec train ...``). Every generator command
resumes from the checkpoint in ``--out`` if one is there, runs on ``--device cpu``
or ``cuda``, and stops after ``--steps`` or ``--minutes``, whichever comes first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import typer

from generec.cli.train import train_app
from generec.errors import ConfigError, DataError

WORLD = typer.Option(..., "--world", "-w", help="A GeneRec-Sim world directory (`generec world build`).")
OUT = typer.Option(..., "--out", "-o", help="Model directory (config.json + weights); an existing one is resumed.")
ENCODER = typer.Option(
    None,
    "--encoder",
    "-e",
    help="Encoder directory (`generec train encoder`), or 'untrained' for a random image tower.",
)
BACKEND = typer.Option("generec", "--encoder-backend", help="Encoder backend name of --encoder.")
PRESET = typer.Option(
    "demo",
    "--preset",
    help="Model size: tiny (tests); demo, demo-small, demo-16 (pixels, 2 CPU cores); demo-latent (32x32 px "
    "through a frame autoencoder trained first); demo-64 (the world's 64x64 px, 16-frame window, 4 x 16x16 "
    "latents); large (64x64 px in pixels, GPU).",
)
STEPS = typer.Option(6000, "--steps", help="Optimiser steps.")
BATCH = typer.Option(32, "--batch-size", help="Clips per step.")
LR = typer.Option(2e-4, "--lr", help="Peak learning rate (AdamW, warm-up then cosine).")
MINUTES = typer.Option(None, "--minutes", help="Stop (and save) after this many minutes of training.")
SEED = typer.Option(0, "--seed", help="Seed of the data split, weights, batches and noise.")
DEVICE = typer.Option("cpu", "--device", help="cpu, cuda or auto.")
THREADS = typer.Option(None, "--threads", help="CPU threads for torch (default: torch's own).")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bars.")
GUIDANCE = typer.Option("user_hist", "--guidance", help="user_hist (mean liked-item features) or user_emb.")
USER_EMB = typer.Option(
    None, "--user-emb", help="For --guidance user_emb: an .npz with 'user_ids' and 'vectors' (e.g. MMGCN's)."
)


def load_cli_encoder(path: str | None, backend: str) -> Any:
    """The encoder named by --encoder: a saved one, or GeneRec's untrained one (MiniLM text + random image tower)."""
    if path is None:
        raise ConfigError("give --encoder DIR (made by `generec train encoder`) or --encoder untrained")
    if path == "untrained":
        from generec.encoders.dual import GeneRecEncoder

        return GeneRecEncoder(seed=0)
    from generec.encoders import load_encoder

    return load_encoder(backend, path)


def load_user_embeddings(path: Path | None) -> dict[str, np.ndarray] | None:
    """Read ``user_ids`` and ``vectors`` from an .npz written by the recommender (or by hand)."""
    if path is None:
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            ids, vectors = [str(u) for u in z["user_ids"]], np.asarray(z["vectors"], dtype=np.float32)
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"{path} is not an .npz with 'user_ids' and 'vectors': {exc}") from exc
    if vectors.ndim != 2 or len(ids) != len(vectors):
        raise DataError(f"{path}: {len(ids)} user ids for vectors of shape {vectors.shape}")
    return dict(zip(ids, vectors, strict=True))


def _settings(steps: int, batch_size: int, lr: float, minutes: float | None, seed: int, threads: int | None):
    import torch

    from generec.diffusion.training import TrainSettings

    if threads is not None:
        if threads < 1:
            raise ConfigError(f"--threads must be at least 1, got {threads}")
        torch.set_num_threads(threads)
    if minutes is not None and minutes <= 0:
        raise ConfigError(f"--minutes must be positive, got {minutes}")
    return TrainSettings(steps=steps, batch_size=batch_size, lr=lr, seed=seed, max_minutes=minutes).validate()


def _report(out: Path, state: dict[str, Any]) -> None:
    losses = state.get("losses") or [[0, float("nan")]]
    typer.echo(
        f"saved to {out}: step {state['step']}, last loss {losses[-1][1]:.4f}, {state['seconds']} s, "
        f"{state['clips_per_s']} clips/s"
    )


@train_app.command("revision")
def revision(
    world: Path = WORLD,
    out: Path = OUT,
    encoder: str | None = ENCODER,
    encoder_backend: str = BACKEND,
    guidance: str = GUIDANCE,
    user_emb: Path | None = USER_EMB,
    preset: str = PRESET,
    steps: int = STEPS,
    batch_size: int = BATCH,
    lr: float = LR,
    minutes: float | None = MINUTES,
    seed: int = SEED,
    device: str = DEVICE,
    threads: int | None = THREADS,
    checkpoint_every: int = typer.Option(500, "--checkpoint-every", help="Save (resumable) every this many steps."),
    quiet: bool = QUIET,
) -> None:
    """Train the content-revision model (paper §5.1.3): liked clips conditioned on the liker's User_Hist/User_Emb.

    --guidance both trains one model for both (each training row fills one part), which
    `generec reproduce revision` needs for Table 3.

    Example: generec train revision --world demo-world --encoder models/encoder --out models/revision
    """
    import dataclasses

    from generec.editor.revision import train_revision

    if checkpoint_every < 1:
        raise ConfigError(f"--checkpoint-every must be at least 1, got {checkpoint_every}")
    s = dataclasses.replace(_settings(steps, batch_size, lr, minutes, seed, threads), checkpoint_every=checkpoint_every)
    _, state = train_revision(
        world,
        load_cli_encoder(encoder, encoder_backend),
        out,
        guidance=guidance,
        preset=preset,
        settings=s,
        user_embeddings=load_user_embeddings(user_emb),
        device=device,
        progress=not quiet,
    )
    _report(out, state)


@train_app.command("creation")
def creation(
    world: Path = WORLD,
    out: Path = OUT,
    encoder: str | None = ENCODER,
    encoder_backend: str = BACKEND,
    kind: str = typer.Option("video", "--kind", help="video or image."),
    guidance: str = GUIDANCE,
    user_emb: Path | None = USER_EMB,
    conditions: Path | None = typer.Option(
        None, "--conditions", help="Conditions .npz: read if it exists (no encoder needed), else written."
    ),
    preset: str = PRESET,
    steps: int = STEPS,
    batch_size: int = BATCH,
    lr: float = LR,
    minutes: float | None = MINUTES,
    checkpoint_every: int = typer.Option(200, "--checkpoint-every", help="Save (resumable) every N steps."),
    stop_at: int | None = typer.Option(
        None, "--stop-at", help="Stop (and save) at this step; the learning-rate schedule still runs to --steps."
    ),
    attributes: bool = typer.Option(
        False,
        "--attributes/--no-attributes",
        help="Also condition on the attribute values of each shot (what the instructor reads from a request: "
        "category, colour, size, motion, scene, style), one indicator per value next to the text embedding.",
    ),
    window: int | None = typer.Option(
        None,
        "--window",
        help="Train a factorised video model on this many frames of each clip per step (1: the subject's look "
        "at image cost; a few: motion; omitted: the whole clip). Resume with another window to go on.",
    ),
    seed: int = SEED,
    device: str = DEVICE,
    threads: int | None = THREADS,
    quiet: bool = QUIET,
) -> None:
    """Train the creation model (paper §5.2): shots from noise given instruction + User_Hist/User_Emb.

    --guidance user_hist+user_emb trains one model that takes either user signal (or none).
    --attributes gives the subject its own condition input (what the packaged 64 px model uses).
    Example: generec train creation --world demo-world --encoder models/encoder --out models/creation --minutes 30
    """
    from dataclasses import replace

    from generec.creator.training import train_creation

    if checkpoint_every < 1:
        raise ConfigError(f"--checkpoint-every must be at least 1, got {checkpoint_every}")
    s = replace(_settings(steps, batch_size, lr, minutes, seed, threads), checkpoint_every=checkpoint_every)
    s = replace(s, stop_at=stop_at, window=window).validate()
    cached = conditions is not None and conditions.is_file()  # then no encoder is needed (e.g. on a GPU machine)
    _, state = train_creation(
        world,
        None if cached else load_cli_encoder(encoder, encoder_backend),
        out,
        kind=kind,
        guidance=guidance,
        preset=preset,
        settings=s,
        user_embeddings=load_user_embeddings(user_emb),
        conditions=conditions,
        attributes=attributes,
        device=device,
        progress=not quiet,
    )
    _report(out, state)


@train_app.command("thumbnails")
def thumbnails(
    world: Path = WORLD,
    out: Path = OUT,
    encoder: str | None = ENCODER,
    encoder_backend: str = BACKEND,
    preset: str = PRESET,
    steps: int = STEPS,
    batch_size: int = BATCH,
    lr: float = LR,
    minutes: float | None = MINUTES,
    seed: int = SEED,
    device: str = DEVICE,
    threads: int | None = THREADS,
    checkpoint_every: int = typer.Option(500, "--checkpoint-every", help="Save (resumable) every N steps."),
    autoencoder: Path | None = typer.Option(
        None,
        "--autoencoder",
        help="A latent preset's first stage: a model directory holding one (e.g. the demo-64 creation model's), "
        "shared instead of training a new one on the covers.",
    ),
    quiet: bool = QUIET,
) -> None:
    """Train the retrieval-augmented thumbnail model (paper §5.1.1): covers from video frames + liked covers.

    Example: generec train thumbnails --world demo-world --encoder models/encoder --out models/thumbnail_generation

    Written to ``<home>/models/thumbnail_generation`` (and trained with the service's encoder), the
    service offers "make a new cover for it" as a background job. --preset demo-64 draws 64 px covers through
    a frame autoencoder; --autoencoder shares the creation model's instead of training another.
    """
    from dataclasses import replace

    from generec.diffusion.recipe import is_first_stage
    from generec.editor.thumbnail_generation import train_thumbnails

    if checkpoint_every < 1:
        raise ConfigError(f"--checkpoint-every must be at least 1, got {checkpoint_every}")
    if autoencoder is not None and not is_first_stage(autoencoder):
        raise ConfigError(f"{autoencoder} holds no autoencoder: give a latent model's folder or a saved autoencoder")
    s = replace(_settings(steps, batch_size, lr, minutes, seed, threads), checkpoint_every=checkpoint_every)
    _, state = train_thumbnails(
        world,
        load_cli_encoder(encoder, encoder_backend),
        out,
        preset=preset,
        settings=s,
        device=device,
        progress=not quiet,
        autoencoder=autoencoder,
    )
    _report(out, state)


@train_app.command("reader")
def reader(
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Directory to save the reader into (default with --clips-of: MODEL/reader)."
    ),
    clips_of: Path | None = typer.Option(
        None,
        "--clips-of",
        help="A video creation model: train on the clips it learnt from (needs --world), as its own reader; "
        "frames and size are the model's.",
    ),
    world: Path | None = typer.Option(None, "--world", "-w", help="The world the --clips-of model was trained on."),
    clips: int = typer.Option(6000, "--clips", help="Rendered training clips (without --clips-of)."),
    steps: int = typer.Option(1500, "--steps", help="Optimiser steps (batches of 64)."),
    frames: int = typer.Option(8, "--frames", help="Clip length the reader sees."),
    size: int = typer.Option(32, "--size", help="Frame size the reader sees."),
    arch: str = typer.Option(
        "hybrid", "--arch", help="hybrid, folded, or detail (64 px: the subject read from full-resolution frames)."
    ),
    width: int = typer.Option(32, "--width", help="Channels of the reader's first layer."),
    noise: float = typer.Option(
        0.4, "--noise", help="Largest pixel noise (in [-1, 1] units) added in training, so soft generated pixels read."
    ),
    checkpoint_every: int = typer.Option(
        100, "--checkpoint-every", help="Steps between checkpoints in OUT; run the command again to go on from one."
    ),
    seed: int = SEED,
    device: str = DEVICE,
    threads: int | None = THREADS,
    quiet: bool = QUIET,
) -> None:
    """Train an attribute reader and print its accuracy on held-out renders next to chance.

    Without --clips-of it learns from fresh GeneRec-Sim renders: the judge that evaluations read made
    clips with. With --clips-of MODEL --world W it learns only from the labelled clips the creation
    model learnt from and is saved in the model's folder as its own reader: the creator reads its
    candidates with it and keeps the one that shows what was asked (the judge never ranks anything).

    Example: generec train reader --out models/reader --clips 6000 --steps 1500
    (the 64 px judge: --frames 16 --size 64 --arch detail).

    Example: generec train reader --clips-of models/creation --world demo-world --arch detail --width 16

    A run that is stopped goes on from its last checkpoint when the same command is run again.
    """
    from generec.data.sim.reader import AttributeReader, ReaderConfig, accuracy_table
    from generec.diffusion.recipe import resolve_device

    _settings(1, 1, 1.0, None, seed, threads)
    if clips < 1 or steps < 1 or checkpoint_every < 1:
        raise ConfigError("--clips, --steps and --checkpoint-every must be at least 1")
    if not 0.0 <= noise <= 1.0:
        raise ConfigError(f"--noise must be between 0 and 1, got {noise}")
    data, name = None, ""
    if clips_of is not None:
        from generec.creator.video import READER_DIR, training_clips
        from generec.diffusion.model import DiffusionModel

        if world is None:
            raise ConfigError("--clips-of needs --world: the world the model was trained on")
        model = DiffusionModel.load(clips_of)
        if model.config.denoiser != "video":
            raise ConfigError(
                f"{clips_of} is an {model.config.denoiser} model; --clips-of takes a video creation model"
            )
        frames, size = model.config.shape.frames, model.config.pixel_size
        data = training_clips(world, model.config.meta.get("data") or {}, frames, size)
        name = f"the {len(data[0]):,} single-subject clips {clips_of.name} learnt from"
        out = out or clips_of / READER_DIR
    if out is None:
        raise ConfigError("say where to save the reader: --out DIR, or --clips-of MODEL (saved in MODEL/reader)")
    config = ReaderConfig(frames=frames, size=size, width=width, arch=arch, noise=noise)
    dev = str(resolve_device(device))
    r = AttributeReader(config, seed=seed).fit(
        clips, steps, progress=not quiet, device=dev, out=out, checkpoint_every=checkpoint_every,
        data=data, data_name=name,
    )  # fmt: skip
    typer.echo(accuracy_table(r.evaluate_by_style(1000)))  # colour is only readable where the style keeps it
    typer.echo(f"saved to {out}")
