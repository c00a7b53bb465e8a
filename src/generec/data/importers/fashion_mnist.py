"""Import Fashion-MNIST (Debian's ``dataset-fashion-mnist``) as a fashion world of image items.

The world is built on disk first (:func:`~generec.data.fashion.build.build_fashion_world`,
all or nothing), then returned as a :class:`~generec.data.dataset.Dataset` for the store.

Example
-------
>>> ds, report = import_fashion_mnist("fashion-world", items=500, users=200)  # doctest: +SKIP
>>> ds.items["modality"].unique().tolist()                                    # doctest: +SKIP
['image']
"""

from __future__ import annotations

from pathlib import Path

from generec.data.dataset import Dataset
from generec.data.importers._common import ImportReport, ImportResult, ProgressFn, report_counts


def import_fashion_mnist(
    out: str | Path,
    *,
    items: int = 2000,
    users: int = 1000,
    seed: int = 0,
    data_dir: str | Path | None = None,
    overwrite: bool = False,
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Build the fashion world into ``out`` and return it as a validated dataset with its report."""
    from generec.data.fashion.build import FashionConfig, build_fashion_world
    from generec.data.fashion.source import data_dir as resolve_dir

    cfg = FashionConfig(items=items, users=users, seed=seed).validate()
    if progress is not None:
        progress(0, 1, "building the world")
    root = build_fashion_world(out, cfg, data_dir=data_dir, overwrite=overwrite)
    ds = Dataset.load(root).validate()
    if progress is not None:
        progress(1, 1, "done")
    report = ImportReport("fashion-mnist")
    report_counts(ds, report)
    report.note(f"read from {resolve_dir(data_dir)}; world written to {root} (open it with World.load)")
    report.note(f"items are {items:,} of the 60,000 training photos (seed {seed}); the 10,000 test photos stay unseen")
    return ImportResult(ds, report)
