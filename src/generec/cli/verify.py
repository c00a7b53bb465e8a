"""``generec verify FILE`` and ``generec reproduce fidelity``.

``verify`` tells a person whether a file came from this GeneRec deployment: a valid C2PA
manifest signed by the deployment's key (in ``<home>/keys``) and/or the item-id watermark
of one of the store's AI items. Exit status: 0 verified and unmodified, 2 from this
deployment but modified (or manifest stripped), 3 no sign of this deployment, 1 error.
"""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from generec.cli import app
from generec.cli.reproduce import reproduce_app

_out = Console()


def _known_ai_items(home: Path, store_url: str | None) -> list[str]:
    """Ids of the AI items in the store, if there is one (a fresh deployment may have none)."""
    from generec.config import Settings
    from generec.errors import GeneRecError
    from generec.store import Store

    settings = Settings(home=home)
    url = store_url or settings.store.resolved_url(home)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return []
    try:
        store = Store.open(url)
    except GeneRecError:
        return []
    try:
        return [i.id for i in store.list_items(system=True, origin="ai", limit=None)]
    finally:
        store.close()


@app.command("verify")
def verify(
    file: Path = typer.Argument(..., help="The image (PNG/JPEG) or video (MP4/WebM) to check."),
    home: Path = typer.Option(
        None, "--home", help="GeneRec's home (keys/, store); default $GENEREC_HOME or ~/.generec."
    ),
    item_id: str = typer.Option(
        None, "--item-id", help="Look for this item's watermark (else: every AI item in the store)."
    ),
    store_url: str = typer.Option(
        None, "--store-url", help="SQLAlchemy URL of the store; default generec.db in --home."
    ),
) -> None:
    """Say whether FILE came from this GeneRec deployment, and whether it was modified since."""
    from generec.config import default_home
    from generec.errors import MediaError
    from generec.fidelity.identifiability import verify_file
    from generec.fidelity.keys import DeploymentKeys

    home = (home or default_home()).expanduser().resolve()
    if not file.is_file():
        raise MediaError(f"{file}: file does not exist; pass an image or video file")
    from generec.config import load_settings
    from generec.fidelity.watermark import Watermarker

    keys = DeploymentKeys.load(home)
    strength = load_settings(home=str(home)).fidelity.watermark_strength
    known = [] if item_id else _known_ai_items(home, store_url)
    report = verify_file(file, keys, item_id=item_id, known_item_ids=known, watermarker=Watermarker(strength))
    colour = "green" if report.verified else ("yellow" if report.code == 2 else "red")
    _out.print(f"[bold {colour}]{report.headline}[/]", highlight=False)
    for line in report.details:
        _out.print(f"  {line}", highlight=False)
    if report.manifest.ai_label:
        _out.print(f"  label: {report.manifest.ai_label}", highlight=False)
    raise typer.Exit(report.code)


def _fmt(x: float) -> str:
    return "n/a" if isinstance(x, float) and math.isnan(x) else f"{x:.1%}"


@reproduce_app.command("fidelity")
def reproduce_fidelity(
    frames: int = typer.Option(300, "--frames", min=4, help="Watermarked frames per size."),
    sizes: str = typer.Option(
        "64,128,256,64>256",
        "--sizes",
        help="Frame sizes (square px), comma-separated; 64>256: made at 64, shown at 256.",
    ),
    seed: int = typer.Option(0, "--seed"),
    strength: float = typer.Option(36.0, "--strength", help="Watermark quantisation step."),
    skip_checks: bool = typer.Option(False, "--skip-checks", help="Only the watermark table."),
) -> None:
    """Detection and false-positive rates per check, and the watermark robustness table."""
    from generec.errors import ConfigError
    from generec.fidelity.evalset import ATTACKS
    from generec.fidelity.evaluate import check_rates, watermark_robustness
    from generec.fidelity.watermark import Watermarker

    try:
        size_list = [s.strip() for s in sizes.split(",") if s.strip()]
        shown = [int(s.split(">")[-1]) for s in size_list]
    except ValueError as exc:
        raise ConfigError(f"--sizes must be comma-separated sizes like 64 or 64>256, got {sizes!r}") from exc
    if not size_list or min(shown) < 48:
        raise ConfigError("--sizes needs at least one size, each >= 48 px (a 32-bit watermark needs 48x48)")
    if not skip_checks:
        t = Table(title=f"Fidelity checks on the evaluation set (seed {seed})")
        for col in ("check", "positives", "detection rate", "negatives", "false-positive rate"):
            t.add_column(col, justify="left" if col == "check" else "right")
        for r in check_rates(seed=seed, progress=True):
            t.add_row(
                r["check"], str(r["positives"]), _fmt(r["detection"]), str(r["negatives"]), _fmt(r["false_positive"])
            )
        _out.print(t)
    wm = Watermarker(strength=strength)
    rows = watermark_robustness(size_list, frames, seed=seed, watermarker=wm, progress=True)
    t = Table(title=f"Watermark robustness: payload recovered (>= {wm.threshold:.0%} of {wm.n_bits} bits), "
                    f"{frames} real-photo frames per size, strength {strength:g}")  # fmt: skip
    cols = ["size", "PSNR dB", *[a for a in ATTACKS if a != "mp4"], "mp4 frame", "mp4 clip(8f)", "FP unmarked"]
    for c in cols:
        t.add_column(c, justify="right")
    for r in rows:
        t.add_row(r["size"], f"{r['psnr_db']:.1f}", *[_fmt(r[a]) for a in ATTACKS if a != "mp4"],
                  _fmt(r["mp4"]), _fmt(r["mp4_clip"]), _fmt(r["false_positive"]))  # fmt: skip
    _out.print(t)
    _out.print(
        "attacks: JPEG quality 75/50; resize to 50% and back; Gaussian noise sigma 5; brightness +20%; "
        "mp4 = H.264 CRF 23 yuv420p (our writer's default), per frame and pooled over an 8-frame clip"
    )
