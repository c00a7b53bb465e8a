"""Where Fashion-MNIST lives on this machine (Debian's ``dataset-fashion-mnist``) and how a split is read.

Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017; MIT licence) is 70,000 real 28x28
grayscale product photos from Zalando in 10 categories: 60,000 for training and
10,000 for testing. The paper's §3.3 names fashion as a domain for personalized
product generation.

Example
-------
>>> images, labels = load_split("test")            # doctest: +SKIP
>>> images.shape, CATEGORIES[labels[0]]            # doctest: +SKIP
((10000, 28, 28), 'ankle-boot')
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from generec.data.fashion.idx import read_idx
from generec.errors import DataError

DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
DIR_ENV = "GENEREC_FASHION_MNIST_DIR"
"""Environment variable naming another folder with the four IDX files (default: Debian's)."""
CATEGORIES = (
    "t-shirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle-boot",
)
"""Category names in label order (label 0 is a T-shirt/top)."""
SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}  # fmt: skip
SIDE = 28


def data_dir(directory: str | Path | None = None) -> Path:
    """The folder holding the IDX files: ``directory``, else ``$GENEREC_FASHION_MNIST_DIR``, else Debian's."""
    return Path(directory or os.environ.get(DIR_ENV) or DEFAULT_DIR)


def _find(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    if folder == DEFAULT_DIR:
        raise DataError(
            f"Fashion-MNIST is not installed ({folder / (stem + '.gz')} is missing); "
            f"install the Debian package: apt-get install {DEBIAN_PACKAGE}"
        )
    raise DataError(
        f"{folder} holds no {stem}(.gz); point --data-dir (or ${DIR_ENV}) at the folder with the four "
        f"Fashion-MNIST files, or unset it and install Debian's: apt-get install {DEBIAN_PACKAGE}"
    )


def load_split(split: str = "train", directory: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images ``[n, 28, 28]`` uint8 (0 = background) and labels ``[n]`` int64 of ``split``.

    Raises :class:`DataError` when the files are missing (naming the Debian package),
    corrupt, or disagree with each other.
    """
    if split not in SPLITS:
        raise DataError(f"unknown Fashion-MNIST split {split!r}; use one of {', '.join(SPLITS)}")
    folder = data_dir(directory)
    image_path, label_path = (_find(folder, stem) for stem in SPLITS[split])
    images = read_idx(image_path, dims=3)
    labels = read_idx(label_path, dims=1).astype(np.int64)
    if images.shape[1:] != (SIDE, SIDE):
        raise DataError(f"{image_path}: images are {images.shape[1:]}, Fashion-MNIST's are {SIDE}x{SIDE}")
    if len(images) != len(labels):
        raise DataError(f"{folder}: {len(images):,} {split} images but {len(labels):,} labels; reinstall the dataset")
    if labels.size and labels.max() >= len(CATEGORIES):
        raise DataError(f"{label_path}: label {int(labels.max())} is not one of the 10 categories; the file is corrupt")
    return images, labels
