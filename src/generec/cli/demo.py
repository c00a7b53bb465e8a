"""``generec demo``: the first thing a newcomer runs.

Builds (or reuses) the demo world under GeneRec's home (GeneRec-Sim micro-videos, or with
``--domain fashion`` real Fashion-MNIST product photos and simulated shoppers), loads it into
the embedded SQLite store, shows what the world holds (its size, a few items with
their ground-truth shots, one user's hidden taste next to what that user did),
trains the offline encoder and the feed's recommender (MMGCN, chosen on validation) once,
then starts the web page and API on localhost and prints a sign-in URL.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from generec.cli import app

_out = Console()


DOMAINS = {"video": (2000, 1500), "fashion": (1000, 2000)}
"""Each demo domain and its default (users, items)."""


def _world(home: Path, domain: str, users: int, items: int, seed: int, rebuild: bool, quiet: bool):
    from generec.data.sim import World
    from generec.errors import DataError

    prefix = "demo" if domain == "video" else f"demo-{domain}"
    root = home / "worlds" / f"{prefix}-u{users}-i{items}-s{seed}"
    if not rebuild:
        try:
            world = World.load(root)
            _out.print(f"[green]reusing[/] the demo world in {root}")
            return world
        except DataError:
            pass  # not built yet, or left unfinished: build it afresh below
    _out.print(f"building the demo world ({domain}: {users} users, {items} items, seed {seed}) in {root}")
    if domain == "fashion":
        from generec.data.fashion.build import FashionConfig, build_fashion_world

        config = FashionConfig(items=items, users=users, seed=seed)
        return World.load(build_fashion_world(root, config, overwrite=True))
    return World.build(root, users=users, items=items, seed=seed, progress=not quiet, overwrite=True)


def _claim_home(home: Path, domain: str) -> None:
    """Mark ``home`` as this domain's demo home; refuse one that holds the other domain's demo."""
    import json

    from generec.errors import ConfigError

    home.mkdir(parents=True, exist_ok=True)
    marker = home / "demo.json"
    held = json.loads(marker.read_text(encoding="utf-8")).get("domain") if marker.is_file() else None
    if held is None and (home / "generec.db").exists():
        held = "video"  # a home made before demos named their domain
    if held is not None and held != domain:
        raise ConfigError(f"{home} holds the {held} demo; give the {domain} demo its own --home")
    marker.write_text(json.dumps({"domain": domain}) + "\n", encoding="utf-8")


def _load_into_store(world, settings, quiet: bool):
    from generec.errors import NotFoundError
    from generec.store import MediaStore, Store

    store = Store.open(settings)
    first = str(world.items["id"].iloc[0])
    try:
        store.get_item(first, system=True)
        _out.print(f"[green]reusing[/] the store at {store.url}")
    except NotFoundError:
        media = MediaStore(settings.media_dir)
        report = store.load_dataset(world.dataset(), media, on_existing="skip", progress=not quiet)
        _out.print(f"loaded into {store.url}: {report.summary()}")
    return store


def _encoder(world, settings, steps: int, quiet: bool) -> Path:
    """Train the offline encoder on the world once (the editor's thumbnail and clip jobs need it)."""
    out = Path(settings.models_dir) / "encoder"
    if (out / "model.safetensors").is_file():
        _out.print(f"[green]reusing[/] the encoder in {out}")
        return out
    from generec.encoders.recipe import train_world_encoder

    _out.print(f"training the offline encoder ({steps} steps) into {out}")
    cache = Path(settings.home) / "cache" / "features"
    _, report = train_world_encoder(world.root, out, steps=steps, cache_dir=cache, progress=not quiet)
    if report is not None:
        _out.print(report.table())
    return out


def _creator(settings, domain: str) -> None:
    """Install the domain's packaged creator into the home once (the video demo's is found in place)."""
    import shutil

    from generec.creator.checkpoint import FASHION_CHECKPOINT
    from generec.pipeline_runners import MODEL_DIRS

    out = Path(settings.models_dir) / MODEL_DIRS["create_image"]
    if domain != "fashion" or (out / "config.json").is_file():
        return
    if not (FASHION_CHECKPOINT / "config.json").is_file():
        _out.print("[yellow]no packaged product creator here: the fashion demo retrieves, it cannot create[/]")
        return
    shutil.copytree(FASHION_CHECKPOINT, out)
    _out.print(f"installed the product creator (an image diffusion model on Fashion-MNIST) into {out}")


def _recommender(settings, store) -> None:
    """Train the feed's recommender on the store once (as a job of its queue); later runs reuse it."""
    import os

    from generec.pipeline_retrain import TRAIN_JOB, TRAIN_LEASE_S, queue_training, run_training_job
    from generec.pipeline_versions import current_version
    from generec.store import MediaStore

    version = current_version(settings)
    if version is not None:
        _out.print(f"[green]reusing[/] the recommender in {version}")
        return
    cfg = settings.recommender
    _out.print(f"training the feed's recommender ({cfg.model}, {cfg.layers} layers) on the store's clicks")
    started = time.perf_counter()
    queue_training(store, "generec demo")
    worker = f"demo-{os.getpid()}"
    job = store.claim_job(worker, kinds=[TRAIN_JOB], lease_s=TRAIN_LEASE_S)
    if job is None:  # a running service took it: it will swap the model in when done
        _out.print("a running service is training the recommender; the feed uses tags until it is done")
        return
    done = run_training_job(settings, store, MediaStore(settings.media_dir, settings.media), job, worker)
    if done.error:  # the feed still works, ranked by tags; say so rather than stop the demo
        _out.print(f"[yellow]the recommender was not trained ({done.error}); the feed ranks by tags[/]")
    else:
        _out.print(f"{done.message} in {time.perf_counter() - started:.1f} s")


def _show_world(world, store) -> None:
    summary = Table(title="The demo world", show_header=False)
    for key, value in world.summary().items():
        summary.add_row(str(key), str(value))
    for key, value in store.counts().items():
        if value:  # the store also counts jobs, verdicts, tokens...: show what this world put there
            summary.add_row(f"store: {key}", str(value))
    _out.print(summary)

    items = Table("item", "title", "what it shows (ground truth)", title="A few items")
    for row in world.items.head(3).itertuples():
        items.add_row(str(row.id), str(row.title), _ground_truth(world.item_meta(str(row.id)), world.vocabulary))
    _out.print(items)


def _ground_truth(meta: dict, vocabulary: dict) -> str:
    """A video's shots with their times, or a photo's measured attributes."""
    if "shots" not in meta:
        return ", ".join(f"{a} {meta[a]}" for a in vocabulary if a in meta)
    return "\n".join(f"{s['start_s']:.1f}-{s['start_s'] + s['duration_s']:.1f}s: {s['caption']}" for s in meta["shots"])


def _show_user(world, store) -> None:
    events = world.events
    user_id = str(events["user_id"].value_counts().index[0])  # the most active user
    prefs = world.user_preferences(user_id)
    taste = Table("attribute", "favourite values (hidden weight)", title=f"What {user_id} really likes")
    for attr, weights in prefs.items():
        top = sorted(weights.items(), key=lambda kv: -kv[1])[:3]
        taste.add_row(attr, ", ".join(f"{v} ({w:+.2f})" for v, w in top))
    _out.print(taste)
    did = Table("when", "what", "item", "caption", title=f"What {user_id} did last")
    for e in store.events_for_user(user_id, limit=6):
        item = store.get_item(e.item_id, system=True)
        did.add_row(f"{e.ts:.0f}", e.kind.value, e.item_id, item.caption[:60])
    _out.print(did)


@app.command("demo")
def demo(
    home: Path = typer.Option(
        None, "--home", help="GeneRec's home (store, media, worlds); default $GENEREC_HOME or ~/.generec."
    ),
    domain: str = typer.Option(
        "video",
        "--domain",
        help="video (GeneRec-Sim micro-videos) or fashion (Fashion-MNIST product photos, from "
        "Debian's dataset-fashion-mnist); without --home, fashion lives in the default home's fashion/ folder.",
    ),
    users: int = typer.Option(None, "--users", help="Users in the demo world [video: 2000, fashion: 1000]."),
    items: int = typer.Option(None, "--items", help="Items in the demo world [video: 1500, fashion: 2000]."),
    seed: int = typer.Option(0, "--seed", help="Seed of the demo world (same seed, same world)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Build the world again even if one exists."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    encoder_steps: int = typer.Option(
        200, "--encoder-steps", min=1, help="Training steps of the offline encoder on the first run."
    ),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the web page and API afterwards."),
    port: int = typer.Option(8000, "--port", help="Port of the web page (on 127.0.0.1)."),
    open_browser: bool = typer.Option(False, "--open", help="Open the page in a browser."),
) -> None:
    """Build (or reuse) the demo world, load it into the embedded store, show it, and serve the web page.

    Everything lives under --home: the world in worlds/, the SQLite store generec.db, media in media/.
    A second run reuses all of it and reaches a working page in seconds. Stop the server with Ctrl+C.

    Example: generec demo --home ./demo-home --port 8000
    Example: generec demo --domain fashion
    """
    from generec.config import load_settings

    if domain not in DOMAINS:
        raise typer.BadParameter(f"unknown domain {domain!r}; use one of {', '.join(DOMAINS)}", param_hint="--domain")
    users = DOMAINS[domain][0] if users is None else users
    items = DOMAINS[domain][1] if items is None else items
    settings = load_settings(**({"home": str(home)} if home else {}))
    if home is None and domain != "video":  # one store per domain: never mix the two demos' items
        settings = load_settings(home=str(Path(settings.home) / domain))
    _claim_home(Path(settings.home), domain)
    started = time.perf_counter()
    world = _world(Path(settings.home), domain, users, items, seed, rebuild, quiet)
    store = _load_into_store(world, settings, quiet)
    _encoder(world, settings, encoder_steps, quiet)
    _creator(settings, domain)
    try:
        _recommender(settings, store)
        _show_world(world, store)
        _show_user(world, store)
    finally:
        store.close()
    _out.print(f"demo ready in {time.perf_counter() - started:.1f} s (home: {settings.home})")
    if serve:
        from generec.service import serve as run_service

        service = settings.service.model_copy(update={"host": "127.0.0.1", "port": port})
        run_service(settings.model_copy(update={"service": service}), world=world, open_browser=open_browser)
