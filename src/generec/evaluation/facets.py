"""Facet satisfaction (paper §2: users give feedback on several facets of an item: style, length, thumbnail).

Two parts, as Cornac keeps metrics apart from experiments:

- :class:`FacetJudge` rates facets for simulated GeneRec-Sim users from their hidden
  preferences (the ground truth of :class:`~generec.data.sim.simulator.UserSimulator`):
  *style* is liked with the probability the user's weights on the item's style values give
  (centred on the user's mean over styles, so an indifferent user sits at 0.5); *length*
  is fine with the probability of watching to the end (the click model's watch fraction,
  which pays the time cost of every second); the *thumbnail* with the probability that the
  cover alone earns a click (the click model without popularity: a cover is seen before
  anything else).
- :func:`facet_satisfaction` aggregates ratings, simulated or stored (facet events of the
  product), into the share liked per method and facet: the table an experiment reports.

Example
-------
>>> from generec.types import Event, EventKind as K, Facet
>>> ev = [Event("u", "a", K.LIKE, 1, facet=Facet.STYLE), Event("u", "b", K.DISLIKE, 2, facet=Facet.STYLE)]
>>> facet_satisfaction(ev, {"a": "GeneRec", "b": "retrieval"})[["method", "facet", "liked"]].values.tolist()
[['GeneRec', 'style', 1.0], ['retrieval', 'style', 0.0]]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from generec.data.sim import clickmodel as cm
from generec.data.sim.vocab import ATTRIBUTE_SLICES
from generec.errors import DataError
from generec.types import Event, EventKind, Facet

FACET_ORDER = tuple(f.value for f in Facet)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class FacetJudge:
    """P(liked) of each facet for simulated users (see the module docstring).

    Parameters
    ----------
    sim : UserSimulator
        The world's ground truth.
    style_scale : float
        Slope of the style probability in the user's centred style weight.
    """

    def __init__(self, sim: Any, style_scale: float = 4.0) -> None:
        self.sim = sim
        self.style_scale = style_scale

    def rate(
        self, users: Sequence[str], items: Any, covers: Sequence[Mapping[str, Any]] | None = None
    ) -> dict[str, np.ndarray]:
        """Aligned ``(user, item)`` pairs -> ``{facet: P(liked) [n]}``.

        ``items`` are what :meth:`UserSimulator.utility` takes pairwise (world ids, attribute dicts);
        ``covers`` the attributes each item's cover shows (default: the item's own, for an item
        whose cover is one of its frames). A made item's attributes come from an attribute reader.
        """
        n = len(users)
        if covers is not None and len(covers) != n:
            raise DataError(f"{n} pairs but {len(covers)} covers")
        u = self.sim.user_index(list(users))
        x, _, duration = self.sim.item_arrays(items)
        if len(x) != n:
            raise DataError(f"{n} users but {len(x)} items: facets are rated for aligned pairs")
        part = ATTRIBUTE_SLICES["style"]
        w = self.sim.weights[u][:, part]
        share = x[:, part] / np.maximum(x[:, part].sum(axis=1, keepdims=True), 1e-9)
        style = _sigmoid(self.style_scale * ((w * share).sum(axis=1) - w.mean(axis=1)))
        util = np.asarray(self.sim.utility(list(users), items, pairwise=True), dtype=np.float64)
        length = cm.watch_fraction(
            cm.satisfaction(util, np.asarray(duration, np.float64), self.sim.model), self.sim.model
        )
        shown = items if covers is None else list(covers)
        thumb = np.asarray(self.sim.click_prob(list(users), shown, pairwise=True, popularity=False), dtype=np.float64)
        return {"style": style.astype(np.float64), "length": np.asarray(length, np.float64), "thumbnail": thumb}


def facet_satisfaction(
    ratings: Iterable[Event] | pd.DataFrame, method_of: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Share of facets liked per method: columns ``method, facet, n, liked, sd``.

    ``ratings``: facet events (the product's, from ``store.events_for_user(..., facets=True)``),
    with ``method_of`` naming the method that showed each item (items it does not name are
    left out); or a frame with columns ``method, facet, liked`` (``liked`` a 0/1 outcome or a
    probability from :meth:`FacetJudge.rate`).
    """
    if isinstance(ratings, pd.DataFrame):
        missing = {"method", "facet", "liked"} - set(ratings.columns)
        if missing:
            raise DataError(f"facet ratings need columns method, facet, liked; missing {sorted(missing)}")
        df = ratings[["method", "facet", "liked"]]
    else:
        if method_of is None:
            raise DataError("facet events need method_of: which method showed each item")
        rows = [(method_of[e.item_id], Facet(e.facet).value, float(e.kind is EventKind.LIKE))
                for e in ratings if e.facet is not None and e.item_id in method_of]  # fmt: skip
        df = pd.DataFrame(rows, columns=["method", "facet", "liked"])
    out = df.groupby(["method", "facet"], sort=False)["liked"].agg(n="size", liked="mean", sd="std").reset_index()
    order = {m: i for i, m in enumerate(dict.fromkeys(df["method"]))}  # methods as given, facets as the page
    key = out["method"].map(order) * len(FACET_ORDER) + out["facet"].map(FACET_ORDER.index)
    out = out.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)
    out["n"] = out["n"].astype(int)
    return out
