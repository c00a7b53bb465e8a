"""The official GeneRec layout: pickled interaction dicts (only with trust) and precomputed feature tensors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from generec.data.importers import import_generec_official
from generec.errors import DataError

TRAIN = {0: [0, 1, 2], 1: [3], 2: [1, 4]}
TEST = {0: [3], 1: [0]}


class _Boobytrap:
    """Unpickling this writes a file: proof of whether a pickle was executed."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (Path.write_text, (Path(self.target), "pwned"))


def official_dir(root: Path, per_item: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    np.save(root / "training_dict.npy", TRAIN, allow_pickle=True)
    np.save(root / "testing_dict.npy", TEST, allow_pickle=True)
    rng = np.random.default_rng(0)
    if per_item:
        for i in range(5):
            (root / "cover_features").mkdir(exist_ok=True)
            (root / "frame_features").mkdir(exist_ok=True)
            np.save(root / "cover_features" / f"{i}.npy", rng.standard_normal(8).astype(np.float32))
            torch.save(torch.randn(4, 8), root / "frame_features" / f"{i}.pt")
    else:
        torch.save(torch.randn(5, 8), root / "cover_feature.pt")
        np.save(root / "video_feature.npy", rng.standard_normal((5, 4, 8)).astype(np.float32))
    return root


def test_refuses_pickles_without_trust(tmp_path: Path) -> None:
    root = official_dir(tmp_path / "gr")
    marker = tmp_path / "executed.txt"
    np.save(root / "testing_dict.npy", np.array(_Boobytrap(str(marker)), dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="pickle.*--trust-pickle"):
        import_generec_official(root)
    assert not marker.exists()


def test_matrix_features_and_splits(tmp_path: Path) -> None:
    ds, report = import_generec_official(official_dir(tmp_path / "gr"), trust_pickle=True)
    assert len(ds.users) == 3 and len(ds.items) == 5 and len(ds.events) == 8
    feats = ds.meta["features"]
    assert feats["cover"] == {"kind": "matrix", "path": "cover_feature.pt", "shape": [5, 8], "dtype": "float32"}
    assert feats["frame"]["shape"] == [5, 4, 8] and feats["frame"]["path"] == "video_feature.npy"
    assert json.loads(ds.items.set_index("id").loc["generec-3", "attributes"])["cover_feature_row"] == 3
    u0 = ds.events[ds.events["user_id"] == "generec-0"]
    assert list(u0["session_id"]) == ["train", "train", "train", "test"]
    assert list(u0["ts"]) == sorted(u0["ts"])  # the test item comes after the training ones
    split = ds.split(valid=0.0, test=0.34, min_interactions=3)
    assert split.n_users == 3
    assert report.counts["feature sets"] == 2


def test_per_item_feature_files(tmp_path: Path) -> None:
    ds, _ = import_generec_official(official_dir(tmp_path / "gr", per_item=True), trust_pickle=True)
    feats = ds.meta["features"]
    assert feats["cover"] == {"kind": "per_item", "dir": "cover_features", "files": 5, "shape": [8]}
    assert feats["frame"]["shape"] == [4, 8]
    attrs = json.loads(ds.items.set_index("id").loc["generec-2", "attributes"])
    assert attrs["cover_feature"] == "cover_features/2.npy" and attrs["frame_feature"] == "frame_features/2.pt"


def test_mismatched_or_malformed_inputs(tmp_path: Path) -> None:
    root = official_dir(tmp_path / "gr")
    np.save(root / "testing_dict.npy", {0: [99]}, allow_pickle=True)
    with pytest.raises(DataError, match="item 99.*5 rows"):
        import_generec_official(root, trust_pickle=True)
    np.save(root / "testing_dict.npy", np.arange(3))
    with pytest.raises(DataError, match="expected a pickled dict"):
        import_generec_official(root, trust_pickle=True)
    np.save(root / "testing_dict.npy", {0: ["x"]}, allow_pickle=True)
    with pytest.raises(DataError, match="non-integer"):
        import_generec_official(root, trust_pickle=True)
    (root / "testing_dict.npy").unlink()
    (root / "cover_feature.pt").write_text("not a tensor")
    with pytest.raises(DataError, match="cover_feature.pt: not a readable feature tensor"):
        import_generec_official(root, trust_pickle=True)
    (root / "training_dict.npy").unlink()
    with pytest.raises(DataError, match="no training_dict.npy"):
        import_generec_official(root, trust_pickle=True)
