"""``generec train model`` and ``generec evaluate``: recommenders from a dataset directory.

``train model`` splits the dataset's positive events (clicks, likes), fits one
recommender, saves it (``config.json`` + ``state.pt``) with the split it used
(``split.npz``), and prints its full-ranking test metrics. ``evaluate`` reloads
saved models and prints one table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from generec.cli import app
from generec.cli.train import train_app
from generec.errors import ConfigError, DataError

if TYPE_CHECKING:  # keep `generec --help` light: torch and pandas load only when a command runs
    import numpy as np

    from generec.data.dataset import Dataset, Split

SPLIT_FILE = "split.npz"
MODEL_NAMES = ("mmgcn", "lightgcn", "bpr", "pop")


def item_texts(dataset: Dataset, item_ids: np.ndarray) -> list[str]:
    """One text per item (in ``item_ids`` order): its caption, or its title when the caption is empty."""
    items = dataset.items.set_index(dataset.items["id"].astype(str))
    rows = items.loc[list(item_ids)]
    captions = rows["caption"].fillna("").astype(str)
    titles = rows["title"].fillna("").astype(str)
    return [c if c.strip() else t for c, t in zip(captions, titles, strict=True)]


def item_text_features(dataset: Dataset, item_ids: np.ndarray) -> np.ndarray:
    """all-MiniLM-L6-v2 embeddings (384-d) of each item's caption/title, from the packaged model."""
    from generec.encoders.text import MiniLMText

    return MiniLMText().embed(item_texts(dataset, item_ids))


def load_features(path: Path, item_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Read ``{modality: (n, d)}`` from an ``.npz``; rows follow its ``item_ids`` array if present."""
    import numpy as np

    if not path.is_file():
        raise DataError(f"feature file {path} does not exist")
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    order = arrays.pop("item_ids", None)
    if order is not None:
        position = {str(i): k for k, i in enumerate(order)}
        missing = [i for i in item_ids if str(i) not in position]
        if missing:
            raise DataError(f"feature file {path} has no row for item {missing[0]!r} ({len(missing)} missing)")
        rows = np.asarray([position[str(i)] for i in item_ids])
        arrays = {m: a[rows] for m, a in arrays.items()}
    if not arrays:
        raise DataError(f"feature file {path} holds no feature matrices")
    return arrays


def save_split(split: Split, path: Path) -> None:
    import numpy as np

    np.savez(
        path,
        user_ids=split.user_ids.astype(str),
        item_ids=split.item_ids.astype(str),
        train=split.train,
        valid=split.valid,
        test=split.test,
        description=np.asarray(split.description),
    )


def load_split(path: Path) -> Split:
    import numpy as np

    from generec.data.dataset import Split

    if not path.is_file():
        raise DataError(f"{path.parent} has no {SPLIT_FILE}: train it with `generec train model` to evaluate it")
    with np.load(path, allow_pickle=False) as d:
        return Split(d["user_ids"], d["item_ids"], d["train"], d["valid"], d["test"], str(d["description"]))


def make_split(dataset: Dataset, how: str, seed: int) -> Split:

    from generec.evaluation.experiment import random_split

    if how == "chrono":
        return dataset.split()
    if how != "random":
        raise ConfigError(f"--split must be 'chrono' or 'random', got {how!r}")
    chrono = dataset.split(valid=0.0, test=0.0, min_interactions=1)  # all positive pairs, indexed
    return random_split(chrono.train, chrono.user_ids, chrono.item_ids, seed=seed)


@train_app.command("model")
def train_model(
    model: str | None = typer.Option(
        None, "--model", "-m", help="Recommender: mmgcn, lightgcn, bpr or pop (--from-store: mmgcn or lightgcn)."
    ),
    dataset: Path | None = typer.Option(
        None, "--dataset", "-d", help="Dataset directory (dataset.json + Parquet tables)."
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Directory to save the model and its split into."),
    from_store: bool = typer.Option(
        False,
        "--from-store",
        help="Train the feed's recommender on the store's clicks and likes (settings.recommender) as a job of "
        "the store's queue, save it as a new version under models/recommender and make it current: a running "
        "service swaps it in without a restart.",
    ),
    home: Path | None = typer.Option(None, "--home", help="--from-store: GeneRec's home (default $GENEREC_HOME)."),
    queue: bool = typer.Option(
        False, "--queue", help="--from-store: only queue the job; the running service trains it in the background."
    ),
    features: Path | None = typer.Option(
        None, "--features", help="An .npz of item features {modality: (n_items, d)}, optionally with item_ids."
    ),
    text: bool = typer.Option(
        True, "--text/--no-text", help="Embed item captions/titles with all-MiniLM-L6-v2 when --features is absent."
    ),
    split: str = typer.Option("chrono", "--split", help="chrono (per-user by time) or random (per-user 8:1:1)."),
    epochs: int = typer.Option(300, "--epochs", help="Most training epochs (early stopping may end sooner)."),
    lr: float = typer.Option(5e-3, "--lr", help="Adam learning rate."),
    dim: int = typer.Option(64, "--dim", help="Embedding width."),
    batch_size: int = typer.Option(4096, "--batch-size", help="Training pairs per step."),
    patience: int = typer.Option(10, "--patience", help="Epochs without validation NDCG@20 gain before stopping."),
    seed: int = typer.Option(0, "--seed", help="Seed of split, initialisation and sampling."),
    layers: str | None = typer.Option(
        None,
        "--layers",
        help="MMGCN only: 'paper' (aggregation + combination layers with weights, the default) or 'light' "
        "(LightGCN's linear layers on MMGCN's per-modality graphs; ahead on MovieLens-100K).",
    ),
    threads: int | None = typer.Option(1, "--threads", help="CPU threads for torch (1 is fastest on busy machines)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Train a recommender on a dataset and print its test metrics.

    Example: generec train model --model lightgcn --dataset worlds/demo --out models/lightgcn
    (the service's own: generec train model --from-store --home ~/.generec)
    """
    import torch

    from generec.data.dataset import Dataset
    from generec.recommender import MODELS

    if from_store:
        if dataset is not None or out is not None:
            raise ConfigError("--from-store trains on the store under --home; leave out --dataset and --out")
        _train_from_store(home, model, threads, queue)
        return
    if dataset is None or out is None or model is None:
        raise ConfigError("give --model, --dataset and --out (or --from-store to train the service's recommender)")
    if model not in MODEL_NAMES:
        raise ConfigError(f"--model must be one of {', '.join(MODEL_NAMES)}, got {model!r}")
    for name, value in (("--epochs", epochs), ("--dim", dim), ("--batch-size", batch_size), ("--patience", patience)):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1, got {value}")
    if layers is not None and model != "mmgcn":
        raise ConfigError(f"--layers applies to mmgcn only, not to {model}")
    if threads:
        torch.set_num_threads(threads)
    ds = Dataset.load(dataset)
    sp = make_split(ds, split, seed)
    feats = load_features(features, sp.item_ids) if features else None
    if feats is None and text and model != "pop":
        feats = {"text": item_text_features(ds, sp.item_ids)}
    params = {
        "embedding_dim": dim,
        "lr": lr,
        "batch_size": batch_size,
        "epochs": epochs,
        "patience": patience,
        "seed": seed,
        "verbose": not quiet,
    }
    if layers is not None:
        params["layers"] = layers
    recommender = MODELS[model]() if model == "pop" else MODELS[model](**params)
    recommender.fit(sp, features=feats)
    recommender.save(out)
    save_split(sp, out / SPLIT_FILE)
    _print_table({model: _metrics(recommender, sp)}, f"{model} on {ds.name}: {sp.description}")
    typer.echo(f"saved to {out}")


def _train_from_store(home: Path | None, model: str | None, threads: int | None, queue: bool) -> None:
    """Queue a retraining in the store and, unless ``queue``, run it here and make the new version current."""
    import os

    import torch

    from generec.config import load_settings
    from generec.pipeline_retrain import TRAIN_JOB, TRAIN_LEASE_S, queue_training, run_training_job
    from generec.store import MediaStore, Store

    if model is not None and model not in ("mmgcn", "lightgcn"):
        raise ConfigError(f"--from-store trains mmgcn or lightgcn, got --model {model!r}")
    settings = load_settings(**({"home": str(home)} if home else {}))
    if model is not None:
        settings.recommender = settings.recommender.model_copy(update={"model": model})
    if threads:
        torch.set_num_threads(threads)
    with Store.open(settings) as store:
        job = queue_training(store, "on demand")
        if queue:
            typer.echo(f"queued retraining job {job.id}; the running service trains it and swaps the model in")
            return
        worker = f"cli-{os.getpid()}"
        claimed = store.claim_job(worker, kinds=[TRAIN_JOB], lease_s=TRAIN_LEASE_S)
        if claimed is None:
            typer.echo(f"job {job.id} is already being run by {store.get_job(job.id).worker_id} (a running service)")
            return
        done = run_training_job(settings, store, MediaStore(settings.media_dir, settings.media), claimed, worker)
    if done.error:
        raise DataError(f"retraining failed: {done.error}")
    typer.echo(f"{done.message} (job {done.id}); a running service swaps it in within seconds")


def _metrics(recommender, split: Split, ks: tuple[int, ...] = (10, 20, 50)) -> dict[str, float]:  # noqa: ANN001
    from generec.evaluation.ranking import evaluate

    return evaluate(recommender, split, ks=ks)


def _print_table(rows: dict[str, dict[str, float]], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    # One row per metric, one column per model: stays readable in an 80-column terminal.
    names = [k for k in next(iter(rows.values())) if k != "n_users"]
    table = Table(title=title)
    table.add_column("metric")
    for model in rows:
        table.add_column(model, justify="right")
    for n in names:
        table.add_row(n, *(f"{metrics[n]:.4f}" for metrics in rows.values()))
    Console().print(table)


@app.command("evaluate")
def evaluate_models(
    models: list[Path] = typer.Argument(..., help="Model directories written by `generec train model`."),
    ks: str = typer.Option("10,20,50", "--ks", help="Comma-separated cut-offs K."),
    on: str = typer.Option("test", "--on", help="test or valid."),
) -> None:
    """Full-ranking Recall/NDCG/Precision@K of saved recommenders, on the split each was trained with.

    Example: generec evaluate models/lightgcn models/mmgcn --ks 10,20
    """
    from generec.evaluation.ranking import evaluate
    from generec.recommender import load_model

    try:
        cutoffs = tuple(int(k) for k in ks.split(",") if k.strip())
    except ValueError as exc:
        raise ConfigError(f"--ks must be comma-separated integers, got {ks!r}") from exc
    if not cutoffs or min(cutoffs) < 1:
        raise ConfigError(f"--ks needs positive integers, got {ks!r}")
    rows = {}
    for directory in models:
        recommender = load_model(str(directory))
        split = load_split(directory / SPLIT_FILE)
        rows[f"{recommender.name} ({directory.name})"] = evaluate(recommender, split, on=on, ks=cutoffs)
    _print_table(rows, f"full ranking on {on}")
