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
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Directory to save the classifier into (default with --photos-of: MODEL/reader)."
    ),
    photos_of: Path | None = typer.Option(
        None,
        "--photos-of",
        help="A fashion creation model: train only on the photos it learnt from, as its own category reader.",
    ),
    epochs: int = typer.Option(3, "--epochs", help="Passes over the training photos."),
    width: int = typer.Option(32, "--width", help="Channels of the first convolutions (the last have twice as many)."),
    seed: int = typer.Option(0, "--seed", help="Seed of initialisation and batch order."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Folder with the Fashion-MNIST IDX files (default: Debian's dataset-fashion-mnist)."
    ),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for torch (default: torch's own)."),
) -> None:
    """Train a category classifier of Fashion-MNIST photos, on real training photos only.

    Without --photos-of it is the evaluation's judge of created products: trained on all 60,000
    training photos, it never sees a created image. With --photos-of MODEL it is that creation model's
    own reader, trained only on the photos the model learnt from and saved in its folder: the creator
    reads its candidates' categories with it and screens near-copies in its feature space. Either way
    its accuracy on the 10,000 real test photos is printed and saved next to the weights.

    Example: generec train fashion-classifier --out models/fashion-classifier --threads 1

    Example: generec train fashion-classifier --photos-of models/fashion --width 16 --epochs 10
    """
    import json

    import numpy as np
    import torch

    from generec.creator.fashion import READER_DIR
    from generec.data.fashion.classifier import FashionClassifier
    from generec.data.fashion.source import load_split
    from generec.errors import ConfigError

    if epochs < 1 or width < 1:
        raise ConfigError(f"--epochs and --width must be at least 1, got {epochs} and {width}")
    if out is None and photos_of is None:
        raise ConfigError("say where to save the classifier: --out DIR, or --photos-of MODEL (saved in MODEL/reader)")
    if threads is not None:
        torch.set_num_threads(max(1, threads))
    images, labels = load_split("train", data_dir)
    trained_on = f"fashion-mnist train ({len(images):,} real photos)"
    if photos_of is not None:
        try:
            data = json.loads((photos_of / "config.json").read_text(encoding="utf-8"))["meta"]["data"]
            photos = [int(i) for i in data["train_photos"]]
        except (OSError, ValueError, KeyError, TypeError):
            raise ConfigError(
                f"{photos_of} is not a fashion creation model that lists the photos it learnt from "
                "(train one with `generec train creation` on a fashion world)"
            ) from None
        if not photos or max(photos) >= len(images) or min(photos) < 0:
            raise ConfigError(f"{photos_of} lists photos outside the {len(images):,} training photos")
        images, labels = images[np.asarray(photos)], labels[np.asarray(photos)]
        trained_on = f"the {len(photos):,} fashion-mnist training photos {photos_of.name} learnt from"
        out = out or photos_of / READER_DIR
    assert out is not None
    clf = FashionClassifier(epochs=epochs, width=width, seed=seed).fit(images, labels)
    accuracy = clf.score(*load_split("test", data_dir))
    clf.save(out, test_accuracy=round(accuracy, 4), trained_on=trained_on)
    typer.echo(f"saved to {out}: accuracy on the 10,000 real test photos {accuracy:.4f}")
