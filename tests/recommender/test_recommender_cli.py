"""`generec train model` and `generec evaluate` on a tiny dataset directory."""

from __future__ import annotations

import numpy as np
import pytest

from generec.cli import main
from generec.data.dataset import Dataset
from generec.recommender import load_model


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory, planted):
    split, feats = planted
    pairs = np.concatenate([split.train, split.valid, split.test])
    events = [
        {"user_id": f"u{u:03d}", "item_id": f"i{i:03d}", "kind": "click", "ts": float(k)}
        for k, (u, i) in enumerate(pairs)
    ]
    ds = Dataset.from_records(
        items=[{"id": f"i{i:03d}", "title": f"item {i}"} for i in range(split.n_items)],
        users=[{"id": f"u{u:03d}"} for u in range(split.n_users)],
        events=events,
        name="planted",
    )
    root = tmp_path_factory.mktemp("cli")
    ds.save(root / "data")
    # Feature rows deliberately in reverse order: item_ids says which row is which item.
    ids = np.asarray([f"i{i:03d}" for i in range(split.n_items)])[::-1]
    np.savez(root / "feats.npz", item_ids=ids, text=feats["text"][::-1], visual=feats["visual"][::-1])
    return root


def test_train_model_saves_model_and_split_then_evaluate_prints_table(dataset_dir, capsys):
    out = dataset_dir / "mmgcn"
    code = main(
        [
            "train",
            "model",
            "--model",
            "mmgcn",
            "--dataset",
            str(dataset_dir / "data"),
            "--out",
            str(out),
            "--features",
            str(dataset_dir / "feats.npz"),
            "--epochs",
            "3",
            "--dim",
            "8",
            "-q",
        ]
    )
    assert code == 0
    assert (out / "config.json").is_file() and (out / "split.npz").is_file()
    assert "ndcg@20" in capsys.readouterr().out
    model = load_model(str(out))
    assert model.feature_dims_ == {"text": 16, "visual": 24}
    code = main(["evaluate", str(out), "--ks", "5,10"])
    printed = capsys.readouterr().out
    assert code == 0 and "ndcg@5" in printed and "mmgcn" in printed


def test_train_model_light_mmgcn_layers(dataset_dir, capsys):
    out = dataset_dir / "mmgcn-light"
    args = ["train", "model", "-m", "mmgcn", "-d", str(dataset_dir / "data"), "-o", str(out)]
    args += ["--features", str(dataset_dir / "feats.npz"), "--layers", "light", "--epochs", "3", "--dim", "8", "-q"]
    assert main(args) == 0
    assert load_model(str(out)).get_params()["layers"] == "light"
    assert main([*args[:-1], "--layers", "deep"]) == 1
    assert "layers must be 'paper' or 'light'" in capsys.readouterr().err
    bpr = ["train", "model", "-m", "bpr", "-d", str(dataset_dir / "data"), "-o", str(dataset_dir / "x")]
    assert main([*bpr, "--layers", "light", "-q"]) == 1
    assert "--layers applies to mmgcn only" in capsys.readouterr().err


def test_train_model_random_split_pop(dataset_dir):
    out = dataset_dir / "pop"
    assert (
        main(
            ["train", "model", "-m", "pop", "-d", str(dataset_dir / "data"), "-o", str(out), "--split", "random", "-q"]
        )
        == 0
    )


def test_bad_cli_input_gives_one_line_errors(dataset_dir, capsys):
    data = str(dataset_dir / "data")
    assert main(["train", "model", "-m", "svd", "-d", data, "-o", str(dataset_dir / "x")]) == 1
    assert "--model must be one of" in capsys.readouterr().err
    assert main(["train", "model", "-m", "mmgcn", "-d", data, "-o", str(dataset_dir / "x"), "--no-text", "-q"]) == 1
    assert "needs item features" in capsys.readouterr().err
    assert main(["train", "model", "-m", "bpr", "-d", str(dataset_dir), "-o", str(dataset_dir / "x")]) == 1
    assert "not a GeneRec dataset" in capsys.readouterr().err
    assert main(["evaluate", str(dataset_dir / "missing")]) == 1
    assert "no saved recommender" in capsys.readouterr().err
    assert main(["evaluate", str(dataset_dir / "pop"), "--ks", "ten"]) == 1
