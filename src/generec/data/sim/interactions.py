"""Interactions of GeneRec-Sim: exposure, sessions and responses for one chunk of users at a time.

Exposure is sparse and popularity-biased: each impression is drawn from the
catalogue in proportion to item popularity, and 30 % of them from the user's
favourite category (the platform's previous recommender had learnt a little).
An item is never shown before it was uploaded. Impressions come in sessions
spread over the event window; responses come from :func:`generec.data.sim.clickmodel.respond`.

A chunk becomes one Arrow table with the :class:`~generec.data.dataset.Dataset`
event columns, ordered by user, then time; ids are built with Arrow ``take`` so a
chunk of millions of events never becomes millions of Python strings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from generec.data.sim.clickmodel import ClickModel, pair_utility, respond
from generec.data.sim.items import EVENT_WINDOW_S

KINDS = ("impression", "click", "like", "dislike", "skip")
TARGETED_SHARE = 0.3
MEAN_SESSION_LENGTH = 12.0
EVENT_SCHEMA = pa.schema(
    [
        ("user_id", pa.string()),
        ("item_id", pa.string()),
        ("kind", pa.string()),
        ("ts", pa.float64()),
        ("value", pa.float64()),
        ("session_id", pa.string()),
    ]
)


@dataclass
class Catalog:
    """What the exposure and click model need to know about every item, as arrays."""

    item_ids: pa.Array
    features: np.ndarray  # [n_items, N_FEATURES] float32
    shot_features: np.ndarray  # [n_items, max_shots, N_FEATURES] float32
    shot_share: np.ndarray  # [n_items, max_shots] share of the running time, 0 = padding
    popularity: np.ndarray
    created_at: np.ndarray
    duration: np.ndarray
    category: np.ndarray  # main-shot category index

    def __post_init__(self) -> None:
        self.log_popularity = np.log(self.popularity)
        self.cdf = np.cumsum(self.popularity)
        self.by_category = []
        for c in range(int(self.category.max(initial=0)) + 1):
            members = np.flatnonzero(self.category == c)
            self.by_category.append((members, np.cumsum(self.popularity[members])))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.minimum(np.searchsorted(self.cdf, rng.random(n) * self.cdf[-1], side="right"), len(self.cdf) - 1)

    def expose(self, rng: np.random.Generator, favourite: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """Item index per impression (``-1`` where nothing uploaded yet could be found)."""
        n = len(ts)
        item = self.sample(rng, n)
        targeted = rng.random(n) < TARGETED_SHARE
        for c, (members, cdf) in enumerate(self.by_category):
            sel = np.flatnonzero(targeted & (favourite == c))
            if len(members) and len(sel):
                pick = np.searchsorted(cdf, rng.random(len(sel)) * cdf[-1], side="right")
                item[sel] = members[np.minimum(pick, len(members) - 1)]
        for _ in range(4):  # redraw impressions of items not uploaded yet
            early = np.flatnonzero(self.created_at[item] > ts)
            if not len(early):
                break
            item[early] = self.sample(rng, len(early))
        return np.where(self.created_at[item] > ts, -1, item)


def _sessions(rng: np.random.Generator, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per impression: user (chunk-local), time, global session number and session number within the user."""
    total = int(counts.sum())
    user = np.repeat(np.arange(len(counts)), counts)
    first = np.zeros(total, dtype=bool)
    first[np.concatenate([[0], np.cumsum(counts)[:-1]])] = True
    new = first | (rng.random(total) < 1.0 / MEAN_SESSION_LENGTH)
    session = np.cumsum(new) - 1
    starts = rng.uniform(0.0, 0.98 * EVENT_WINDOW_S, int(new.sum()))
    starts = starts[np.lexsort((starts, user[new]))]  # each user's sessions in time order
    # Each step is longer than the longest video, so one impression's events end before the next.
    step = 6.5 + rng.exponential(5.0, total)
    before = np.cumsum(step) - step
    ts = starts[session] + before - before[new][session]
    within = session - session[first][user]
    return user, np.round(ts, 3), session, within


def simulate_chunk(
    rng: np.random.Generator,
    user_ids: list[str],
    users: dict[str, np.ndarray],
    catalog: Catalog,
    model: ClickModel,
) -> pa.Table:
    """Events of one chunk of users as an Arrow table (``EVENT_SCHEMA``), ordered by user then time."""
    user, ts, session, within = _sessions(rng, users["impressions"])
    item = catalog.expose(rng, users["favourite"][user], ts)
    keep = item >= 0
    user, ts, session, within, item = user[keep], ts[keep], session[keep], within[keep], item[keep]
    utility = pair_utility(users["weights"], user, catalog.shot_features, catalog.shot_share, item, model.temperature)
    pop = users["popularity_sensitivity"][user] * catalog.log_popularity[item]
    r = respond(rng, utility, pop, catalog.duration[item], model)
    end = ts + 0.5 + r["dwell"]
    parts = [
        (np.ones(len(ts), dtype=bool), 0, ts, np.zeros_like(ts)),
        (r["click"], 1, ts + 0.5, r["dwell"]),
        (r["like"], 2, end + 0.1, np.zeros_like(ts)),
        (r["dislike"], 3, end + 0.1, np.zeros_like(ts)),
        (r["skip"], 4, end + 0.1, r["dwell"]),
    ]
    rows = np.concatenate([np.flatnonzero(mask) for mask, *_ in parts])
    kind = np.concatenate([np.full(int(mask.sum()), code, dtype=np.int64) for mask, code, *_ in parts])
    when = np.round(np.concatenate([t[mask] for mask, _, t, _ in parts]), 3)
    value = np.concatenate([v[mask] for mask, _, _, v in parts])
    order = np.lexsort((kind, when, user[rows]))
    rows, kind, when, value = rows[order], kind[order], when[order], value[order]
    # Session ids are made once per session, then gathered per event.
    sess_first = np.unique(session, return_index=True)[1]
    sess_names = pa.array([f"{user_ids[user[j]]}-s{within[j]}" for j in sess_first], pa.string())
    sess_local = np.searchsorted(session[sess_first], session[rows])
    return pa.table(
        {
            "user_id": pa.array(user_ids, pa.string()).take(pa.array(user[rows])),
            "item_id": catalog.item_ids.take(pa.array(item[rows])),
            "kind": pa.array(KINDS, pa.string()).take(pa.array(kind)),
            "ts": pa.array(when, pa.float64()),
            "value": pa.array(value.astype(np.float64), pa.float64()),
            "session_id": sess_names.take(pa.array(sess_local)),
        },
        schema=EVENT_SCHEMA,
    )
