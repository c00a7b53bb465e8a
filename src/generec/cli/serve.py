"""``generec serve``: the web page and HTTP API on a home that ``generec demo`` (or an import) filled."""

from __future__ import annotations

from pathlib import Path

import typer

from generec.cli import app


@app.command("serve")
def serve(
    home: Path = typer.Option(
        None, "--home", help="GeneRec's home (store, media); default $GENEREC_HOME or ~/.generec."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(None, "--workers", help="Background generation threads (default from config)."),
    open_browser: bool = typer.Option(False, "--open", help="Open the page in a browser."),
    burn_captions: bool = typer.Option(
        None,
        "--burn-captions/--no-burn-captions",
        help="Also draw the captions (what was asked, what was made) into generated and edited videos; "
        "the WebVTT track is served either way (default from config: service.burn_captions).",
    ),  # fmt: skip
) -> None:
    """Serve the feed, chat and API; prints a sign-in URL for the demo user. Stop with Ctrl+C."""
    from generec.config import load_settings
    from generec.service import serve as run

    overrides: dict = {"home": str(home)} if home else {}
    settings = load_settings(**overrides)
    update = {"host": host, "port": port, "workers": workers, "burn_captions": burn_captions}
    service = settings.service.model_copy(update={k: v for k, v in update.items() if v is not None})
    run(settings.model_copy(update={"service": service}), open_browser=open_browser)
