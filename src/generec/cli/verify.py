"""``generec verify FILE`` and ``generec reproduce fidelity``.

``verify`` tells a person whether a file came from this GeneRec deployment: a valid C2PA
manifest signed by the deployment's key (in ``<home>/keys``) and/or the item-id watermark
of one of the store's AI items (see :mod:`generec.fidelity.verify`). Exit status: 0 verified
and unmodified, 2 from this deployment but modified (or manifest stripped, or WebM), 3 no sign
of this deployment (or not the item asked about), 1 error (e.g. the file does not exist).
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
        None, "--item-id", help="Check that FILE is this item (its manifest and its watermark must both say so)."
    ),
    store_url: str = typer.Option(
        None, "--store-url", help="SQLAlchemy URL of the store; default generec.db in --home."
    ),
) -> None:
    """Say whether FILE came from this GeneRec deployment, and whether it was modified since.

    Without a deployment home (no keys) a manifest cannot be trusted, but the watermark is still
    read: a file with neither is reported as "no GeneRec provenance found" (exit 3).

    Exit status: 0 made here and unmodified; 2 made here but modified, stripped of its manifest, or
    WebM (no manifest possible); 3 not from this deployment, or not the --item-id asked about; 1 error.
    """
    from generec.config import default_home, load_settings
    from generec.errors import GeneRecError, MediaError
    from generec.fidelity.keys import DeploymentKeys
    from generec.fidelity.verify import verify_file
    from generec.fidelity.watermark import DEFAULT_STRENGTH, Watermarker

    home = (home or default_home()).expanduser().resolve()
    if not file.is_file():
        raise MediaError(f"{file}: file does not exist; pass an image or video file")
    try:
        keys = DeploymentKeys.load(home)
    except GeneRecError:
        keys = None  # a person checking a file from elsewhere: no deployment here to trust
    strength = load_settings(home=str(home)).fidelity.watermark_strength if keys is not None else DEFAULT_STRENGTH
    known = _known_ai_items(home, store_url) if keys is not None else []
    report = verify_file(file, keys, item_id=item_id, known_item_ids=known, watermarker=Watermarker(strength))
    colour = "green" if report.verified else ("yellow" if report.code == 2 else "red")
    # one line whatever the terminal: scripts grep the headline
    _out.print(f"[bold {colour}]{report.headline}[/]", highlight=False, soft_wrap=True)
    for line in report.details:
        _out.print(f"  {line}", highlight=False, soft_wrap=True)
    if report.manifest.ai_label:
        _out.print(f"  label: {report.manifest.ai_label}", highlight=False, soft_wrap=True)
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
    strength: float = typer.Option(10.0, "--strength", help="Watermark quantisation step (chroma grey levels)."),
    skip_checks: bool = typer.Option(
        False, "--skip-checks", help="Skip the check rates table (the held-out media and watermark tables still print)."
    ),
    heldout: Path = typer.Option(
        None, "--heldout", help="Held-out media cases (JSON); default tests/fidelity/heldout/media.json of a checkout."
    ),
    clips: int = typer.Option(None, "--clips", min=1, help="Use only the first N held-out clips."),
    unmarked: int = typer.Option(None, "--unmarked", min=1, help="Unmarked frames for false positives (spec: 1,000)."),
) -> None:
    """Detection and false-positive rates per check, the held-out media tables and the watermark robustness table."""
    from generec.errors import ConfigError
    from generec.fidelity.evalset import ATTACKS
    from generec.fidelity.evaluate import check_rates, watermark_robustness
    from generec.fidelity.watermark import Watermarker

    try:
        size_list = [s.strip() for s in sizes.split(",") if s.strip()]
        shown = [int(s.split(">")[-1]) for s in size_list]
    except ValueError as exc:
        raise ConfigError(f"--sizes must be comma-separated sizes like 64 or 64>256, got {sizes!r}") from exc
    if not size_list or min(shown) < 64:
        raise ConfigError("--sizes needs at least one size, each >= 64 px (the watermark's tile is 64x64 at least)")
    if not skip_checks:
        t = Table(title=f"Fidelity checks on the evaluation set (seed {seed})")
        for col in ("check", "positives", "detection rate", "negatives", "false-positive rate"):
            t.add_column(col, justify="left" if col == "check" else "right")
        for r in check_rates(seed=seed, progress=True):
            t.add_row(
                r["check"], str(r["positives"]), _fmt(r["detection"]), str(r["negatives"]), _fmt(r["false_positive"])
            )
        _out.print(t)
    spec_path = heldout or _checkout_heldout()
    if spec_path is not None:
        _print_heldout_media(spec_path, Watermarker(strength=strength), clips, unmarked)
    wm = Watermarker(strength=strength, search=False)
    rows = watermark_robustness(size_list, frames, seed=seed, watermarker=wm, progress=True)
    t = Table(title=f"Watermark robustness: payload recovered (>= {wm.threshold:.0%} of {wm.n_bits} bits), "
                    f"{frames} real-photo frames per size, strength {strength:g}, geometry known")  # fmt: skip
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


def _checkout_heldout() -> Path | None:
    """``tests/fidelity/heldout/media.json`` of the source checkout this package runs from, if any."""
    import generec

    path = Path(generec.__file__).resolve().parents[2] / "tests" / "fidelity" / "heldout" / "media.json"
    return path if path.is_file() else None


def _print_heldout_media(spec_path: Path, wm, clips: int | None, unmarked: int | None) -> None:
    """The near-copy and the synchronised-watermark tables on the held-out media cases."""
    from generec.fidelity.distortions import load_spec
    from generec.fidelity.evaluate_media import near_copy_heldout, watermark_heldout
    from generec.fidelity.watermark_grid import BLOCK, PHASE_STEP, ROTATIONS, SCALES, TILE

    spec = load_spec(spec_path)
    nc = near_copy_heldout(spec, progress=True)
    t = Table(title=f"Near-copies, held-out ({spec_path.name}): {nc['caught']}/{nc['copies']} copies caught, "
                    f"{nc['flagged']}/{nc['unrelated']} unrelated images flagged")  # fmt: skip
    for col in ("edit", "caught"):
        t.add_column(col, justify="left" if col == "edit" else "right")
    for edit, (hit, n) in nc["per_edit"].items():
        t.add_row(edit, f"{hit}/{n}")
    t.add_row("unrelated flagged", f"{nc['flagged']}/{nc['unrelated']} {', '.join(nc['flagged_ids'])}".strip())
    _out.print(t)
    rows = watermark_heldout(spec, wm, clips=clips, unmarked=unmarked, progress=True)
    fp = rows[-1]
    searched = len(ROTATIONS) * len(SCALES) * (BLOCK // PHASE_STEP) ** 2 * TILE**2
    t = Table(title=f"Watermark, held-out clips marked by mark_media (8 frames, 64 px shown at 256 px), search on "
                    f"({searched:,} hypotheses), strength {wm.strength:g}")  # fmt: skip
    for col in ("case", "n", "detected"):
        t.add_column(col, justify="left" if col == "case" else "right")
    for r in rows:
        t.add_row(r["case"], str(r["n"]), _fmt(r["rate"]))
    _out.print(t)
    _out.print(
        f"search cost: {fp['search_ms_per_frame']:.0f} ms per frame (median); highest sync score on an "
        f"unmarked frame {fp['max_sync']:.2f}; attacks re-encode with H.264 CRF 23 except crf35/webm"
    )
