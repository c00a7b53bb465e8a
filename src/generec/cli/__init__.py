"""The ``generec`` command.

Each group of sub-commands lives in its own module of this package and is
registered here. :func:`main` is the console entry point: any
:class:`~generec.errors.GeneRecError` becomes one line on stderr and a non-zero
exit, never a traceback.
"""

from __future__ import annotations

import os
import sys

import typer

from generec.errors import GeneRecError

app = typer.Typer(
    name="generec",
    help=(
        "GeneRec: generative recommendation. Build a world, import real data, "
        "train models, and run the loop that retrieves, edits and creates items for each user."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


# Sub-command modules; each defines its commands on `app` when imported.
_COMMAND_MODULES: tuple[str, ...] = (
    "data",
    "info",
    "world",
    "train",
    "generate",
    "models",
    "demo",
    "reproduce",
    "verify",
    "editor",
    "serve",
    "loop",
    "batch",
)


@app.callback(invoke_without_command=True)
def _root(
    version: bool = typer.Option(False, "--version", help="Print GeneRec's version and exit."),
) -> None:
    if version:
        from generec import __version__

        typer.echo(f"generec {__version__}")
        raise typer.Exit(0)


def _register() -> None:
    # Imported lazily so that `import generec.cli` stays cheap.
    import importlib

    for name in _COMMAND_MODULES:
        importlib.import_module(f"generec.cli.{name}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    _register()
    try:
        # Standalone mode: usage errors print click's one-line message and exit 2.
        app(args=argv, prog_name="generec")
    except GeneRecError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except OSError as exc:  # permissions, disk full, a path that vanished: the user can act on these
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        return 1
    except Exception as exc:
        # A bug of ours: still one line for the user; the traceback on request.
        if os.environ.get("GENEREC_DEBUG"):
            raise
        typer.secho(
            f"internal error: {type(exc).__name__}: {exc} (rerun with GENEREC_DEBUG=1 for the traceback, "
            "and please report it)",
            err=True,
            fg=typer.colors.RED,
        )
        return 70
    return 0


def run() -> None:  # console_scripts entry point
    sys.exit(main())
