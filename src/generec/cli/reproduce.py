"""``generec reproduce ...``: commands that re-run a measurement and print its table.

This module only defines the ``reproduce`` group; each area adds its own command to
:data:`reproduce_app` (``generec reproduce fidelity`` lives in :mod:`generec.cli.verify`).
"""

from __future__ import annotations

import typer

from generec.cli import app

reproduce_app = typer.Typer(
    name="reproduce",
    help="Re-run a measurement and print its table (fidelity rates, watermark robustness, ...).",
    no_args_is_help=True,
)
app.add_typer(reproduce_app, name="reproduce")
