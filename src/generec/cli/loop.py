"""``generec reproduce loop``: the closed-loop simulation of retrieval vs editing vs full GeneRec."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from generec.cli.reproduce import reproduce_app
from generec.errors import DataError, GeneRecError

_out = Console()


@reproduce_app.command("loop")
def reproduce_loop(
    world: Path = typer.Option(..., "--world", help="A GeneRec-Sim world directory (generec world build)."),
    users: int = typer.Option(20, "--users", help="Simulated users per seed."),
    rounds: int = typer.Option(5, "--rounds", help="Rounds (steps) per user."),
    seeds: int = typer.Option(3, "--seeds", help="Number of seeds (0, 1, ...); the table shows mean ± std."),
    k: int = typer.Option(6, "--k", help="Items shown per round."),
    threshold: float = typer.Option(0.75, "--threshold", help="Running-time share that meets a request."),
    unmet_share: float = typer.Option(0.5, "--unmet-share", help="Share of each seed's users drawn from the unmet."),
    out: Path = typer.Option(Path("runs/loop"), "--out", help="Where the CSVs and the plot are written."),
    creation: Path | None = typer.Option(
        None, "--creation", help="Creation checkpoint for 'full' (default: the packaged creation-demo, if present)."
    ),
    encoder: Path | None = typer.Option(
        None, "--encoder", help="The checkpoint's encoder (default <creation>/encoder)."
    ),
    reader: Path | None = typer.Option(
        None, "--reader", help="Attribute reader that judges (default <creation>/judge)."
    ),
    cache: Path = typer.Option(Path("runs/loop/cache"), "--cache", help="Instructor sentence-embedding cache."),
    candidates: int | None = typer.Option(
        None, "--candidates", min=1, help="Clips made per creation request, best kept (default: the service's)."
    ),
) -> None:
    """Simulated users talk to (a) retrieval only, (b) + editing, (c) full GeneRec; CTR, likes, satisfaction."""
    from generec.config import Settings
    from generec.data.sim import World
    from generec.evaluation.loop import LoopConfig, LoopParts, run_loop
    from generec.evaluation.loop_report import gain_lines, headers, table_rows, write_outputs
    from generec.pipeline_runners import creation_checkpoint

    if seeds < 1:
        raise DataError(f"--seeds must be at least 1, got {seeds}")
    config = LoopConfig(users=users, rounds=rounds, seeds=tuple(range(seeds)), k=k, threshold=threshold,
                        unmet_share=unmet_share).validate()  # fmt: skip
    the_world = World.load(world)
    packaged = creation_checkpoint(Settings(home=cache)) if creation is None else None
    try:
        parts = LoopParts.build(
            cache, creation=creation or packaged, encoder=encoder, reader=reader, candidates=candidates
        )
    except GeneRecError as exc:
        if packaged is None:
            raise
        _out.print(f"[yellow]not using the packaged creation checkpoint: {exc}[/yellow]")
        parts = LoopParts.build(cache)
    result = run_loop(the_world, config, parts=parts, workdir=None, progress=True)
    table = Table(title=f"Closed loop: {users} users x {rounds} rounds, {seeds} seed(s), mean ± std over seeds")
    for h in headers():
        table.add_column(h, justify="left" if h in ("group", "system") else "right")
    for row in table_rows(result):
        table.add_row(*row)
    _out.print(table)
    for line in gain_lines(result):
        _out.print(line)
    for note in result.notes:
        _out.print(f"[dim]- {note}[/dim]")
    for path in write_outputs(result, out):
        _out.print(f"wrote {path}")
