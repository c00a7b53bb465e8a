"""The work behind ``generec reproduce revision`` (kept out of :mod:`generec.cli.reproduce`, which others share).

It resolves the artefacts (packaged demo model, MMGCN, attribute reader: loaded when given,
fitted and saved when missing), runs :func:`generec.evaluation.revision_experiment.revision_experiment`
and writes the table, the movement checks, the FVD protocol and a grid of before/after frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from generec.errors import ConfigError


def _reader(path: Path | None, quiet: bool) -> Any:
    from generec.data.sim.reader import AttributeReader, ReaderConfig, accuracy_table

    if path is not None and (path / "config.json").is_file():
        return AttributeReader.load(path)
    typer.echo("training an attribute reader on fresh renders (a few minutes; pass --reader DIR to keep it)")
    reader = AttributeReader(ReaderConfig(), seed=0).fit(6000, 1500, progress=not quiet)
    typer.echo(accuracy_table(reader.evaluate(500)))
    if path is not None:
        reader.save(path)
    return reader


def _mmgcn(path: Path | None, packaged: Path | None, world: Any, encoder: Any, seed: int) -> tuple[Any, dict]:
    from generec.evaluation.ps_model import fit_mmgcn, user_embeddings
    from generec.recommender import load_model

    where = path if path is not None else packaged
    if where is not None and (where / "config.json").is_file():
        model = load_model(str(where))
        return model, user_embeddings(model, world.dataset().split().user_ids)
    typer.echo("fitting MMGCN on the world's split (thumbnail features)")
    return fit_mmgcn(world, encoder, path, seed=seed)


def run_revision_table(
    world_dir: Path,
    encoder_dir: str | None,
    model_dir: Path | None,
    mmgcn_dir: Path | None,
    reader_dir: Path | None,
    *,
    users: int,
    runs: int,
    strength: float,
    steps: int,
    guidance_scale: float,
    seed: int,
    out: Path,
    threads: int | None,
    quiet: bool,
    history_prompt: bool = False,
    sheet: Path | None = None,
) -> None:
    """Resolve artefacts, run the experiment, print the table and write its files to ``out`` (and ``sheet``)."""
    import torch

    from generec.cli.generate import load_cli_encoder
    from generec.diffusion.conditions import load_world
    from generec.editor.revision import Reviser, demo_checkpoint
    from generec.evaluation.creation import JUDGE_DIR
    from generec.evaluation.revision_experiment import prepare_revision, revision_experiment

    if threads is not None:
        if threads < 1:
            raise ConfigError(f"--threads must be at least 1, got {threads}")
        torch.set_num_threads(threads)
    if users < 1 or runs < 1 or steps < 1 or not 0.0 < strength <= 1.0:
        raise ConfigError("--users, --runs and --steps must be at least 1 and --strength in (0, 1]")
    world = load_world(world_dir)
    packaged = model_dir is None
    model_path = demo_checkpoint() if packaged else model_dir
    shipped = model_path / "encoder"
    encoder = load_cli_encoder(encoder_dir or (str(shipped) if shipped.is_dir() else None), "generec")
    reviser = Reviser.load(model_path, encoder, history_prompt=history_prompt)
    missing = {"user_hist", "user_emb"} - set(reviser.spec.names)
    if missing:
        raise ConfigError(
            f"this revision model is not steered by {', '.join(sorted(missing))}; Table 3 needs a model trained "
            "with `generec train revision --guidance both`"
        )
    mmgcn, emb = _mmgcn(mmgcn_dir, model_path / "mmgcn" if packaged else None, world, encoder, seed)
    judge = model_path / JUDGE_DIR
    reader = _reader(reader_dir or (judge if (judge / "config.json").is_file() else None), quiet)
    setup = prepare_revision(world, encoder, reviser, mmgcn, emb, reader, n_users=users, seed=seed, progress=not quiet)
    result = revision_experiment(
        setup, runs=runs, strength=strength, steps=steps, guidance_scale=guidance_scale, seed=seed,
        n_examples=16 if sheet else 6, progress=not quiet,
    )  # fmt: skip
    typer.echo(result.format())
    for name, path in result.save(out).items():
        typer.echo(f"{name}: {path}")
    if sheet is not None:
        typer.echo(f"sheet: {result.sheet(sheet)}")
