"""``generec info``: what a store or a dataset folder holds (users, items by origin and modality, events, media)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from generec.cli import app
from generec.cli.data import HomeOption, UrlOption, _store_url
from generec.errors import StoreError

_out = Console()


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def _info_table(title: str, info: dict) -> None:
    """Render nested counts: ``{"users": 3, "items": {"total": 5, "video": 5}}`` as an indented two-column table."""
    _out.print(f"[bold]{title}[/bold]")
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for what, value in info.items():
        if isinstance(value, dict):
            table.add_row(what, _cell(what, value.get("total", "")))
            for sub, n in value.items():
                if sub != "total":
                    table.add_row(f"  {sub}", _cell(sub, n))
        else:
            table.add_row(what, _cell(what, value))
    _out.print(table)


def _cell(what: str, value: object) -> str:
    if isinstance(value, int) and what.endswith("bytes"):
        return _human_bytes(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _dataset_info(directory: Path) -> tuple[str, dict]:
    from generec.data.dataset import Dataset

    ds = Dataset.load(directory)
    files = {p for col in ("media", "thumbnail") for p in ds.items[col].dropna()}
    present = [p for p in (Path(ds.root or directory) / str(f) for f in files) if p.is_file()]
    info = {
        "users": len(ds.users),
        "items": {"total": len(ds.items), **{str(m): n for m, n in sorted(Counter(ds.items["modality"]).items())}},
        "events": {"total": len(ds.events), **{str(k): n for k, n in sorted(Counter(ds.events["kind"]).items())}},
        "media files": {"total": len(files), "present": len(present)},
        "media bytes": sum(p.stat().st_size for p in present),
    }
    source = ds.meta.get("source") if isinstance(ds.meta, dict) else None
    return f"dataset {ds.name}" + (f" ({source})" if source else "") + f" at {directory}", info


def _store_info(home: Path | None, store_url: str | None) -> tuple[str, dict]:
    from generec.store import MediaStore, Store
    from generec.types import Modality

    settings, url = _store_url(home, store_url)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise StoreError(
            f"no store at {url.removeprefix('sqlite:///')}; create one with `generec import ...` or "
            "`generec world build`, or point --home / --store-url at an existing one"
        )
    with Store.open(url) as store:
        counts = store.counts()
        # Store.counts() has no per-modality breakdown; list_items by modality gives it through the public API.
        modalities = {m.value: len(store.list_items(system=True, modality=m, limit=None)) for m in Modality}
        where, revision = store.url, store.revision
    by = {
        p: {k.removeprefix(p + "_"): v for k, v in counts.items() if k.startswith(p + "_")} for p in ("items", "events")
    }
    files, size = MediaStore(settings.media_dir, settings.media).usage() if settings.media_dir.is_dir() else (0, 0)
    info = {
        "users": counts.get("users", 0),
        "items": {"total": counts.get("items", 0), **by["items"], **{m: n for m, n in modalities.items() if n}},
        "events": {"total": counts.get("events", 0), **by["events"]},
        "media records": counts.get("media", 0),
        "media files": files,
        "media bytes": size,
    }
    info.update({k: counts[k] for k in ("turns", "jobs", "verdicts", "provenance") if counts.get(k)})
    return f"store {where} (schema {revision})", info


@app.command(
    "info",
    help=(
        "Show what a store holds (users; items by origin and modality; events; media files and bytes), "
        "or, given DATASET_DIR, what a dataset folder written by `generec world build` holds.\n\n"
        "Examples: generec info    |    generec info --home ./gr    |    generec info ./world"
    ),
)
def info_cmd(
    dataset_dir: Path = typer.Argument(None, help="A dataset folder (with dataset.json); default: the store."),
    home: Path = HomeOption,
    store_url: str = UrlOption,
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON instead of a table."),
) -> None:
    title, info = _dataset_info(dataset_dir) if dataset_dir is not None else _store_info(home, store_url)
    if as_json:
        typer.echo(json.dumps({"source": title, **info}, indent=2))
    else:
        _info_table(title, info)
