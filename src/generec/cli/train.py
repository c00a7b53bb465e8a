"""``generec train ...``: train GeneRec's own models.

``train_app`` is the sub-command group; each model family adds its command to it
(``generec train encoder`` here; recommenders add theirs with ``@train_app.command(...)``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from generec.cli import app

train_app = typer.Typer(
    name="train",
    no_args_is_help=True,
    help="Train GeneRec's own models (the offline encoder, recommenders) from a dataset directory.",
)
app.add_typer(train_app, name="train")


@train_app.command("encoder")
def encoder(
    world: Path = typer.Option(
        ..., "--world", "-w", help="Dataset directory (a GeneRec-Sim world, or any dataset with thumbnails and titles)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Directory to save the encoder into (config.json + weights)."),
    steps: int = typer.Option(400, "--steps", help="Optimiser steps (batches of --batch-size frames)."),
    batch_size: int = typer.Option(128, "--batch-size", help="Frames per step; also the number of negatives."),
    dim: int = typer.Option(128, "--dim", help="Size of the joint image-text space."),
    lr: float = typer.Option(3e-3, "--lr", help="Peak learning rate (AdamW, warm-up then cosine)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split, initialisation and batches."),
    held_out: float = typer.Option(0.1, "--held-out", help="Fraction of items kept out of training for evaluation."),
    frames_per_clip: int = typer.Option(4, "--frames-per-clip", help="Training frames taken from each shot."),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Feature cache for the frozen text embeddings (default: <out>/cache)."
    ),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for torch (default: torch's own)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Train the offline dual encoder (frozen MiniLM text tower + small CNN image tower) and print its scores.

    It ends with caption -> clip retrieval (R@1, R@5 among 100 held-out clips) and attribute probes.
    Load the result with encoder.backend = "generec", encoder.path = --out.

    Example: generec train encoder --world demo-world --out models/encoder --steps 400
    """
    from generec.encoders.recipe import train_world_encoder
    from generec.errors import ConfigError

    for name, value in (
        ("--steps", steps),
        ("--batch-size", batch_size),
        ("--dim", dim),
        ("--frames-per-clip", frames_per_clip),
    ):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1, got {value}")
    if not 0.0 < held_out < 1.0:
        raise ConfigError(f"--held-out must be a fraction between 0 and 1, got {held_out}")
    if lr <= 0:
        raise ConfigError(f"--lr must be positive, got {lr}")
    enc, report = train_world_encoder(
        world,
        out,
        steps=steps,
        batch_size=batch_size,
        dim=dim,
        lr=lr,
        seed=seed,
        held_out=held_out,
        frames_per_clip=frames_per_clip,
        cache_dir=cache_dir if cache_dir is not None else Path(out) / "cache",
        threads=threads,
        progress=not quiet,
    )
    t = enc.config.train
    typer.echo(
        f"saved {enc.id} to {out} ({t['pairs']} pairs, {t['distinct_captions']} captions, "
        f"{t['steps']} steps in {t['train_seconds']} s; {t['total_seconds']} s in all)"
    )
    if report is None:
        typer.echo("too few held-out clips to evaluate retrieval among 100; use a larger world or --held-out")
    else:
        typer.echo(report.table())


@train_app.command("fashion-classifier")
def fashion_classifier(
    out: Path = typer.Option(..., "--out", "-o", help="Directory to save the classifier into (config.json + weights)."),
    epochs: int = typer.Option(3, "--epochs", help="Passes over the 60,000 training photos."),
    width: int = typer.Option(32, "--width", help="Channels of the first convolutions (the last have twice as many)."),
    seed: int = typer.Option(0, "--seed", help="Seed of initialisation and batch order."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Folder with the Fashion-MNIST IDX files (default: Debian's dataset-fashion-mnist)."
    ),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for torch (default: torch's own)."),
) -> None:
    """Train the category classifier that judges created fashion products, on real training photos only.

    It never sees a created image; its accuracy on the 10,000 real test photos is printed and saved
    next to the weights, the yardstick for the rate at which it reads created products' categories.

    Example: generec train fashion-classifier --out models/fashion-classifier --threads 1
    """
    import torch

    from generec.data.fashion.source import load_split
    from generec.errors import ConfigError
    from generec.evaluation.fashion.classifier import FashionClassifier

    if epochs < 1 or width < 1:
        raise ConfigError(f"--epochs and --width must be at least 1, got {epochs} and {width}")
    if threads is not None:
        torch.set_num_threads(max(1, threads))
    images, labels = load_split("train", data_dir)
    clf = FashionClassifier(epochs=epochs, width=width, seed=seed).fit(images, labels)
    accuracy = clf.score(*load_split("test", data_dir))
    clf.save(out, test_accuracy=round(accuracy, 4), trained_on="fashion-mnist train (60,000 real photos)")
    typer.echo(f"saved to {out}: accuracy on the 10,000 real test photos {accuracy:.4f}")
