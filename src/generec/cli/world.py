"""``generec world ...``: build and inspect GeneRec-Sim, the built-in world with ground truth."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from generec.cli import app

world_app = typer.Typer(
    name="world",
    no_args_is_help=True,
    help=(
        "GeneRec-Sim, the built-in world: rendered micro-videos made of shots with known attributes, "
        "users with hidden tastes, interactions from a click model and instructions with known intents. "
        "Same seed, same bytes."
    ),
)
app.add_typer(world_app, name="world")
_out = Console()


def _show(summary: dict[str, object], title: str) -> None:
    table = Table(title=title, show_header=False)
    for key, value in summary.items():
        table.add_row(str(key), str(value))
    _out.print(table)


@world_app.command("build")
def build(
    out: Path = typer.Option(..., "--out", "-o", help="Directory to write the world into (new or empty)."),
    users: int = typer.Option(2000, "--users", help="Number of users (some of them upload the items)."),
    items: int = typer.Option(1500, "--items", help="Number of items (videos of 2-4 shots, 2-6 s each)."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed builds byte-identical files."),
    media: bool = typer.Option(
        True,
        "--media/--no-media",
        help="Render videos and thumbnails now; --no-media writes metadata only "
        "(media then render on demand, e.g. World.media_path).",
    ),  # fmt: skip
    size: int = typer.Option(64, "--size", help="Frame side in pixels (square frames)."),
    fps: int = typer.Option(8, "--fps", help="Frames per second of the rendered videos."),
    impressions: float = typer.Option(60.0, "--impressions", help="Mean impressions per user (activity varies)."),
    instructions: int = typer.Option(2400, "--instructions", help="Number of natural-language instructions."),
    workers: int = typer.Option(2, "--workers", help="Processes rendering media (never changes the output)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a world already in --out."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Build a GeneRec-Sim world into --out (items, users, events, shots, preferences, instructions, media).

    Example: generec world build --users 2000 --items 1500 --seed 0 --out demo-world
    """
    from generec.data.sim import World, WorldConfig
    from generec.errors import DataError

    if workers < 1:
        raise DataError(f"--workers must be at least 1, got {workers}")
    config = WorldConfig(
        users=users, items=items, seed=seed, media=media, frame_size=size, fps=fps,
        impressions_per_user=impressions, instructions=instructions,
    ).validate()  # fmt: skip
    world = World.build(out, progress=not quiet, overwrite=overwrite, workers=workers, **config.__dict__)
    _show(world.summary(), "GeneRec-Sim world built")


@world_app.command("info")
def info(directory: Path = typer.Argument(..., help="A world directory made by `generec world build`.")) -> None:
    """Show what a world holds: counts, seed, frame format, and a few items with their captions."""
    from generec.data.sim import World

    world = World.load(directory)
    _show(world.summary(), f"{world.info['format']} world {directory}")
    table = Table("item", "title", "shots", "main caption")
    for row in world.items.head(5).itertuples():
        meta = world.item_meta(row.id)
        shots = str(len(meta["shots"])) if "shots" in meta else "a photo"  # fashion worlds hold photos
        table.add_row(row.id, row.title, shots, row.caption)
    _out.print(table)
