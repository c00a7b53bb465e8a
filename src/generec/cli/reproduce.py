"""``generec reproduce ...``: commands that re-run a measurement and print its table.

This module only defines the ``reproduce`` group; each area adds its own command to
:data:`reproduce_app` (``generec reproduce fidelity`` lives in :mod:`generec.cli.verify`).
"""

from __future__ import annotations

from pathlib import Path

import typer

from generec.cli import app

reproduce_app = typer.Typer(
    name="reproduce",
    help="Re-run a measurement and print its table (fidelity rates, watermark robustness, ...).",
    no_args_is_help=True,
)
app.add_typer(reproduce_app, name="reproduce")


@reproduce_app.command("revision")
def revision(
    world: Path = typer.Option(..., "--world", "-w", help="The GeneRec-Sim world the revision model was trained on."),
    encoder: str | None = typer.Option(
        None, "--encoder", "-e", help="Encoder directory (`generec train encoder`; default: <model>/encoder)."
    ),
    model: Path | None = typer.Option(
        None,
        "--model",
        "-m",
        help="The reviser: a creation model (the packaged 64 px creation-demo by default; it also revises) or a "
        "revision model (`generec train revision --guidance both`).",
    ),
    mmgcn: Path | None = typer.Option(
        None, "--mmgcn", help="MMGCN directory for User_Emb and PS@K: loaded, or fitted and saved there if missing."
    ),
    reader: Path | None = typer.Option(
        None,
        "--reader",
        help="Attribute reader (`generec train reader`): loaded, or trained and saved there (default: <model>/judge).",
    ),
    users: int = typer.Option(60, "--users", help="Evaluated users (K unseen items each)."),
    runs: int = typer.Option(2, "--runs", help="Draws of the K items (the paper: 10)."),
    strength: float = typer.Option(0.6, "--strength", help="SDEdit strength: share of the noise schedule to go back."),
    steps: int = typer.Option(25, "--steps", help="DDIM steps for the whole schedule (an edit uses strength x steps)."),
    guidance_scale: float = typer.Option(3.0, "--guidance-scale", help="Classifier-free guidance scale."),
    history_prompt: bool = typer.Option(
        False,
        "--history-prompt",
        help="Also give User_Hist to the model's instruction input, as a visual prompt (needs a creation model, "
        "e.g. --model <the packaged creation-demo>).",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of users, items and noise."),
    out: Path = typer.Option(Path("results/revision"), "--out", "-o", help="Folder for CSV, protocol and PNG grid."),
    sheet: Path | None = typer.Option(
        None, "--sheet", help="Also write a contact sheet PNG: 16 examples, the User_Hist revision beside its source."
    ),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for torch (1: fastest when busy)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Table 3 (paper §5.1.3): Original, User_Hist, User_Emb and unconditional revision; Cosine@K, PS@K, Click@K, FVD.

    Example: generec reproduce revision --world demo-world --users 20 --sheet docs/revision_sheet.png
    """
    from generec.cli.revision_support import run_revision_table

    run_revision_table(world, encoder, model, mmgcn, reader, users=users, runs=runs, strength=strength, steps=steps,
                       guidance_scale=guidance_scale, seed=seed, out=out, threads=threads, quiet=quiet,
                       history_prompt=history_prompt, sheet=sheet)  # fmt: skip


@reproduce_app.command("creation")
def creation(
    world: str = typer.Option(..., "--world", "-w", help="The GeneRec-Sim world the model was trained on."),
    model: str | None = typer.Option(None, "--model", "-m", help="Creation checkpoint (default: the packaged demo)."),
    encoder: str | None = typer.Option(None, "--encoder", help="Encoder directory (default: <model>/encoder)."),
    reader: str | None = typer.Option(
        None,
        "--reader",
        help="The attribute reader that judges (default: <model>/judge, else a <model>/reader "
        "that is not the model's own).",
    ),
    guidance_file: str | None = typer.Option(
        None, "--guidance", help="User_Hist/User_Emb vectors: guidance.npz or a --conditions file (default: <model>)."
    ),
    mmgcn: str | None = typer.Option(None, "--mmgcn", help="MMGCN for PS@K (default: <model>/mmgcn if present)."),
    users: int = typer.Option(32, "--users", help="Users to create for."),
    k: int = typer.Option(5, "--k", help="Held-out instructions (= created clips) per user: the K of Cosine@K."),
    steps: int = typer.Option(25, "--steps", help="DDIM steps."),
    scale: float = typer.Option(3.0, "--scale", help="Classifier-free guidance scale."),
    candidates: int = typer.Option(
        1,
        "--candidates",
        help="Make this many clips per request and keep the best: the one the model's own reader reads as asked "
        "(<model>/reader), else the one the encoder finds closest.",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of users, instructions and noise."),
    rows: str = typer.Option(
        "instruction,user_hist,user_emb",
        "--rows",
        help="Which created rows to make: instruction, user_hist, user_emb (Original and the unconditional "
        "reference always).",
    ),
    out: str = typer.Option("results/creation", "--out", "-o", help="Directory for creation.csv/.txt and the PNG."),
    sheet: str | None = typer.Option(
        None,
        "--sheet",
        help="Also write a contact sheet PNG here: 16 requests, the clip made from each "
        "instruction and a real clip with the same attributes (needs --users x --k >= 16 for all 16 lines).",
    ),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for torch."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Table 4 (paper §5.2): clips created from instruction / + User_Hist / + User_Emb, read back, FVD, Cosine@K, PS@K.

    Example: generec reproduce creation --world demo-world --out results/creation --sheet docs/creation_sheet.png
    """
    from pathlib import Path

    import torch

    from generec.creator import VideoCreator
    from generec.creator.checkpoint import GUIDANCE_FILE, demo_checkpoint, load_guidance
    from generec.data.sim.reader import AttributeReader
    from generec.encoders import load_encoder
    from generec.errors import ConfigError
    from generec.evaluation.creation import ROW_NAMES, creation_table, judge_of

    if min(users, k, steps, candidates) < 1 or scale < 0:
        raise ConfigError("--users, --k, --steps and --candidates must be at least 1 and --scale non-negative")
    if threads:
        torch.set_num_threads(threads)
    ckpt = demo_checkpoint(model)
    enc = load_encoder("generec", encoder or ckpt / "encoder")
    creator = VideoCreator.load(ckpt, enc, steps=steps, guidance_scale=scale)
    rec, rec_users = None, None
    mm = Path(mmgcn) if mmgcn else ckpt / "mmgcn"
    if mm.is_dir():
        from generec.data.sim import World
        from generec.recommender.base import Recommender

        rec, rec_users = Recommender.load(mm), [str(u) for u in World.load(world).dataset().split().user_ids]
    table = creation_table(
        creator,
        AttributeReader.load(reader) if reader else judge_of(ckpt),
        world,
        load_guidance(guidance_file or ckpt / GUIDANCE_FILE),
        enc,
        mmgcn=rec,
        mmgcn_users=rec_users,
        n_users=users,
        k=k,
        seed=seed,
        candidates=candidates,
        rows=[ROW_NAMES.get(r.strip(), r.strip()) for r in rows.split(",") if r.strip()],
        progress=not quiet,
    )
    typer.echo(table.text())
    for kind, path in table.save(out).items():
        typer.echo(f"{kind}: {path}")
    if sheet:
        typer.echo(f"sheet: {table.sheet(sheet)}")


@reproduce_app.command("fashion")
def fashion(
    world: Path = typer.Option(..., "--world", "-w", help="The fashion world the model was trained on."),
    model: Path = typer.Option(
        ..., "--model", "-m", help="Image creation model (`generec train creation --kind image`)."
    ),
    classifier: Path = typer.Option(..., "--classifier", help="Judge (`generec train fashion-classifier`)."),
    requests: int = typer.Option(1000, "--requests", help="Created images per seed."),
    seeds: str = typer.Option("0,1,2", "--seeds", help="Comma-separated seeds of requests and noise."),
    steps: int = typer.Option(20, "--steps", help="DDIM steps."),
    scale: float = typer.Option(3.0, "--scale", help="Classifier-free guidance scale."),
    candidates: int | None = typer.Option(
        None,
        "--candidates",
        help="Images sampled per request, the one measured as asked and not a near-copy kept, as the service "
        "does (default: the service's creator.candidates).",
    ),
    sheet: Path | None = typer.Option(None, "--sheet", help="Also write a contact sheet PNG here (first seed)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Also write the report as JSON here."),
    held_out: int = typer.Option(
        2000, "--held-out", help="Real test photos that set the near-copy thresholds (the rest are new images)."
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Folder with the Fashion-MNIST IDX files (default: Debian's dataset-fashion-mnist)."
    ),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for torch."),
    user_emb: Path | None = typer.Option(
        None, "--user-emb", help="MMGCN user embeddings on this world (.npz: user_ids, vectors): the User_Emb row."
    ),
    shop: int = typer.Option(
        300,
        "--shop",
        help="Products in the shop retrieval picks from (a seeded sample of the world's); 0: no utility and FID rows.",
    ),
) -> None:
    """Fashion creation: the category a real-photo classifier reads in created products vs its real test accuracy,
    and the share of created products flagged as near-copies of a training photo (with the check's own recall).
    With --shop: the simulated shopper's utility of created products against the shop's best retrieved one (the
    better of the product nearest their User_Hist and the one their attribute taste scores highest) for requests
    the shop cannot meet (rows: instruction only, + User_Hist, + User_Emb, + User_Hist + the values their
    attribute taste favours, as the product creates; paired over requests), and FID against real test photos
    beside the model's unconditional samples.

    Example: generec reproduce fashion --world fashion-world --model models/fashion --classifier models/fashion-clf
    """
    import json

    import numpy as np
    import torch

    from generec.config import CreatorSettings
    from generec.creator.image import ImageCreator
    from generec.data.fashion.classifier import FashionClassifier
    from generec.data.fashion.source import load_split
    from generec.data.sim import World
    from generec.encoders.dual import GeneRecEncoder
    from generec.errors import ConfigError
    from generec.evaluation.fashion.creation import fashion_creation_report, fashion_sheet, memorisation_index

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise ConfigError(f"--seeds must be comma-separated integers, got {seeds!r}") from None
    if min(requests, steps, len(seed_list)) < 1:
        raise ConfigError("--requests, --steps and --seeds need at least one each")
    if candidates is None:
        candidates = CreatorSettings().candidates
    if candidates < 1:
        raise ConfigError(f"--candidates must be at least 1, got {candidates}")
    if threads:
        torch.set_num_threads(threads)
    clf = FashionClassifier.load(classifier)
    creator = ImageCreator.load(model, GeneRecEncoder(seed=0), steps=steps, guidance_scale=scale, candidates=candidates)
    train, _ = load_split("train", data_dir)
    test = load_split("test", data_dir)
    if not 1 <= held_out < len(test[0]):
        raise ConfigError(f"--held-out must be between 1 and {len(test[0]) - 1} test photos, got {held_out}")
    index = memorisation_index(clf, train, test[0][:held_out])
    loaded = World.load(world)
    report, (cats, images) = fashion_creation_report(
        creator, clf, loaded, index, test, requests=requests, seeds=seed_list,
        recall_images=train[np.random.default_rng(0).choice(len(train), min(1000, len(train)), replace=False)],
    )  # fmt: skip
    if shop:
        from generec.cli.generate import load_user_embeddings
        from generec.evaluation.fashion.utility import utility_report

        vectors = load_user_embeddings(user_emb)
        report["utility"] = utility_report(creator, clf, loaded, vectors, test, requests=requests, shop=shop,
                                           seeds=seed_list)  # fmt: skip
    typer.echo(json.dumps(report, indent=2))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if sheet:
        typer.echo(f"sheet: {fashion_sheet(sheet, cats, images, test)}")
