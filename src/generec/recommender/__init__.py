"""Recommenders: BPR-MF, LightGCN, MMGCN, a popularity baseline, a User_Hist content profile, and a
user's attribute taste (:class:`AttributeTaste`) that places items known by their attributes.

All follow the scikit-learn pattern (``Model(**params).fit(split, features=...)``),
score users against items as a dot product of final vectors, rank the whole
corpus in bounded memory (:mod:`generec.recommender.ranking`), score new items
from content alone (:meth:`Recommender.score_items`) and save/load a directory.

Example
-------
>>> from generec.recommender import LightGCN
>>> from generec.recommender.synthetic import planted_split
>>> split, feats = planted_split(seed=0)
>>> model = LightGCN(epochs=3, verbose=False).fit(split, features=feats)
>>> model.recommend([0], k=5).shape
(1, 5)
"""

from __future__ import annotations

from generec.recommender.base import Recommender
from generec.recommender.bpr import BPRMF
from generec.recommender.features import item_features_from_encoder
from generec.recommender.index import RetrievalIndex, VisibilityFilter
from generec.recommender.lightgcn import LightGCN
from generec.recommender.mmgcn import MMGCN
from generec.recommender.popularity import Popularity
from generec.recommender.taste import AttributeTaste
from generec.recommender.userhist import UserHist

MODELS: dict[str, type[Recommender]] = {
    "pop": Popularity,
    "bpr": BPRMF,
    "lightgcn": LightGCN,
    "mmgcn": MMGCN,
    "userhist": UserHist,
}
"""Recommender classes by name (the names used by config, CLI and saved models)."""


def load_model(directory: str) -> Recommender:
    """Load any recommender saved with ``model.save(directory)``."""
    return Recommender.load(directory)


__all__ = [
    "AttributeTaste",
    "BPRMF",
    "MMGCN",
    "MODELS",
    "LightGCN",
    "Popularity",
    "Recommender",
    "RetrievalIndex",
    "UserHist",
    "VisibilityFilter",
    "item_features_from_encoder",
    "load_model",
]
