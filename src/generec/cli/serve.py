"""``generec serve`` (the web page and HTTP API) and ``generec worker`` (generation jobs), on one home.

One process runs both by default. For more traffic, run several ``generec serve --api-only`` and
several ``generec worker`` processes against one PostgreSQL store (``--store-url``) and one shared
media directory (``--home`` on a shared volume); docs/deploy.md shows the layout.
"""

from __future__ import annotations

from pathlib import Path

import typer

from generec.cli import app

_HOME = typer.Option(None, "--home", help="GeneRec's home (store, media); default $GENEREC_HOME or ~/.generec.")
_STORE_URL = typer.Option(
    None,
    "--store-url",
    help="SQLAlchemy URL of a shared store, e.g. postgresql://user@db/generec (extra `postgres`); "
    "default: $GENEREC_STORE__URL, else the SQLite file generec.db in --home.",
)


def _settings(home: Path | None, store_url: str | None, **service: object):
    from generec.config import load_settings

    overrides: dict = {"home": str(home)} if home else {}
    settings = load_settings(**overrides)
    if store_url:
        settings = settings.model_copy(update={"store": settings.store.model_copy(update={"url": store_url})})
    update = {k: v for k, v in service.items() if v is not None}
    return settings.model_copy(update={"service": settings.service.model_copy(update=update)})


@app.command("serve")
def serve(
    home: Path = _HOME,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(None, "--workers", help="Background generation threads (default from config)."),
    open_browser: bool = typer.Option(False, "--open", help="Open the page in a browser."),
    store_url: str = _STORE_URL,
    api_only: bool = typer.Option(
        False, "--api-only", help="Serve the API and page only; `generec worker` processes run the generation jobs."
    ),
    burn_captions: bool = typer.Option(
        None,
        "--burn-captions/--no-burn-captions",
        help="Also draw the captions (what was asked, what was made) into generated and edited videos; "
        "the WebVTT track is served either way (default from config: service.burn_captions).",
    ),  # fmt: skip
) -> None:
    """Serve the feed, chat and API; prints a sign-in URL for the demo user. Stop with Ctrl+C.

    Several processes: generec serve --api-only --store-url postgresql://db/generec --home /shared --port 8001
    """
    from generec.service import serve as run

    settings = _settings(home, store_url, host=host, port=port, workers=workers, burn_captions=burn_captions)
    run(settings, open_browser=open_browser, api_only=api_only)


@app.command("worker")
def worker(
    home: Path = _HOME,
    store_url: str = _STORE_URL,
    workers: int = typer.Option(2, "--workers", help="Generation jobs this process runs at once (threads)."),
) -> None:
    """Run generation jobs (edits, creations) from the store's queue, beside `generec serve --api-only` processes.

    Any number of worker processes may share one store: each job goes to exactly one worker, and a job
    whose worker died is taken over when its lease runs out. Stop with Ctrl+C or SIGTERM.

    Example: generec worker --store-url postgresql://db/generec --home /shared --workers 2
    """
    from generec.service.server import run_workers

    run_workers(_settings(home, store_url), workers)
