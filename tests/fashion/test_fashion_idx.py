"""Reading Fashion-MNIST's IDX files: the real files read as the dataset card says; a damaged or missing
file is one DataError that names the file (or the Debian package) and what to do."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from generec.data.fashion import source
from generec.data.fashion.idx import read_idx
from generec.data.fashion.source import CATEGORIES, load_split
from generec.errors import DataError


def test_real_splits_have_the_published_shapes_and_balanced_labels(fashion_files: Path) -> None:
    images, labels = load_split("test", fashion_files)
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [1000] * len(CATEGORIES)
    assert images[:, 0, 0].max() < 50 and images.mean() > 50  # dark background, bright products


def _damage(path: Path, how: str) -> None:
    data = gzip.decompress(path.read_bytes())
    if how == "magic":
        data = b"\x00\x00\x09\x03" + data[4:]
    elif how == "short":
        data = data[:-100]
    elif how == "long":
        data = data + b"\x00" * 7
    elif how == "dims":
        data = b"\x00\x00\x08\x02" + data[4:]
    path.write_bytes(gzip.compress(data))


@pytest.mark.parametrize(
    ("how", "says"),
    [("magic", "value type 0x09"), ("short", "truncated"), ("long", "longer than its header"), ("dims", "dimensions")],
)
def test_a_damaged_idx_file_is_one_clear_error(fashion_copy: Path, how: str, says: str) -> None:
    path = fashion_copy / "t10k-images-idx3-ubyte.gz"
    _damage(path, how)
    with pytest.raises(DataError) as err:
        load_split("test", fashion_copy)
    message = str(err.value)
    assert says in message and str(path) in message and "reinstall" in message
    assert "\n" not in message


def test_a_truncated_gzip_stream_is_one_clear_error(fashion_copy: Path) -> None:
    path = fashion_copy / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(DataError, match="gzip stream is corrupt or truncated"):
        load_split("test", fashion_copy)


def test_labels_that_disagree_with_images_are_refused(fashion_copy: Path) -> None:
    labels = fashion_copy / "t10k-labels-idx1-ubyte.gz"
    body = gzip.decompress(labels.read_bytes())
    labels.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + (9999).to_bytes(4, "big") + body[8:-1]))
    with pytest.raises(DataError, match="10,000 test images but 9,999 labels"):
        load_split("test", fashion_copy)


def test_a_missing_debian_package_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(source.DIR_ENV, raising=False)
    monkeypatch.setattr(source, "DEFAULT_DIR", tmp_path / "not-installed")
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        load_split("train")


def test_uncompressed_files_read_too(tmp_path: Path) -> None:
    path = tmp_path / "x-idx2-ubyte"
    path.write_bytes(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, *range(6)]))
    assert read_idx(path, dims=2).tolist() == [[0, 1, 2], [3, 4, 5]]
    path.write_bytes(b"GIF89a")
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(path, dims=2)
