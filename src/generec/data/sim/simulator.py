"""The user simulator: how any GeneRec-Sim user would respond to any item with known attributes.

It answers from the same hidden preferences and click model that generated the
world's interactions, so it is the ground truth for judging recommendations and
generated items (whose attributes an attribute reader supplies). Everything is
vectorised: ``users x items`` matrices, or ``pairwise=True`` for aligned pairs
(millions of them are fine; they are scored in batches).

Items can be given as item ids of the world (their true popularity then counts),
attribute dicts in any form :func:`~generec.data.sim.clickmodel.featurize` takes
(popularity counts only if the dict has a ``"popularity"``), lists of those, a
ready ``[n, N_FEATURES]`` feature matrix (each row one shot), or a ``[n, S,
N_FEATURES]`` array of ``S`` equally long segments per item (e.g. the shot on screen
in every frame of a clip), which is aggregated like the shots of an item.

An item's utility is the soft-max over its shots (see :mod:`~generec.data.sim.clickmodel`);
a click costs no time, while :meth:`UserSimulator.satisfaction`, likes and dwell pay
``time_cost`` per second of the item's duration (:data:`DEFAULT_DURATION_S` when unknown).

Example
-------
>>> sim = UserSimulator(World.load("demo-world"))                 # doctest: +SKIP
>>> sim.click_prob("u0000001", {"category": "car", "scene": "snow"})  # doctest: +SKIP
0.31
>>> sim.click_prob(["u0000001", "u0000002"], ["v0000003", "v0000004"]).shape  # doctest: +SKIP
(2, 2)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from generec.data.sim import clickmodel as cm
from generec.errors import DataError

if TYPE_CHECKING:
    from generec.data.sim.world import World

ItemsLike = Any  # str | Mapping | Sequence[str | Mapping] | np.ndarray
PAIR_BATCH = 1 << 16
BLOCK_CELLS = 1 << 23
"""Shot-utility cells computed at once for ``users x items`` scoring (bounds memory at ~32 MB)."""
DEFAULT_DURATION_S = 4.0


class IdIndex:
    """Rows of ids, fast for millions of lookups.

    A world's ids are canonical (``u0000042`` is row 42), so arrays of them are
    decoded arithmetically; anything else falls back to a hash index.
    """

    def __init__(self, ids: np.ndarray, what: str) -> None:
        self.ids, self.what = np.asarray(ids).astype(str), what  # fixed-width unicode: decodable in bulk
        rows = self._decode(self.ids) if len(self.ids) else None
        self.canonical = rows is not None and np.array_equal(rows, np.arange(len(ids)))
        self._hash: pd.Index | None = None

    def _decode(self, wanted: np.ndarray) -> np.ndarray | None:
        """Row numbers of canonical ids (prefix letter + 7 digits), or None if any id is not canonical."""
        arr = np.asarray(wanted)
        if arr.dtype.kind != "U" or arr.dtype.itemsize != 4 * 8 or not len(self.ids):
            return None
        codes = np.ascontiguousarray(arr.reshape(-1)).view(np.uint32).reshape(-1, 8)
        digits = codes[:, 1:].astype(np.int64) - ord("0")
        if (codes[:, 0] != ord(str(self.ids[0])[0])).any() or ((digits < 0) | (digits > 9)).any():
            return None
        return digits @ (10 ** np.arange(6, -1, -1, dtype=np.int64))

    def rows(self, wanted: Any) -> np.ndarray:
        arr = np.atleast_1d(np.asarray(wanted))
        if arr.dtype.kind != "U":
            arr = arr.astype(str)
        rows = self._decode(arr) if self.canonical else None
        if rows is None or (rows >= len(self.ids)).any():
            if self._hash is None:
                self._hash = pd.Index(self.ids.astype(object))
            rows = self._hash.get_indexer(arr.astype(object))
        if (rows < 0).any():
            raise DataError(
                f"unknown {self.what} id {str(arr[rows < 0][0])!r} (this world has {len(self.ids)} {self.what}s)"
            )
        return rows


class UserSimulator:
    """Ground-truth responses of a world's users (see the module docstring).

    Example
    -------
    >>> sim = UserSimulator(World.load("demo-world"))              # doctest: +SKIP
    >>> sim.utility(["u0000001", "u0000002"], {"category": "cat"})  # doctest: +SKIP
    array([ 0.41, -0.73], dtype=float32)
    """

    def __init__(self, world: World, model: cm.ClickModel | None = None) -> None:
        prefs = world.preferences
        self.model = model or world.click_model
        self._users = IdIndex(prefs["user_id"].to_numpy(), "user")
        self.user_ids = self._users.ids
        self.n_features = len(world.features_names)
        self.weights = prefs[list(world.features_names)].to_numpy(dtype=np.float32)
        self.popularity_sensitivity = prefs["popularity_sensitivity"].to_numpy(dtype=np.float64)
        truth = world.item_truth
        self._items = IdIndex(truth["item_id"].to_numpy(), "item")
        self.item_ids = self._items.ids
        self.item_features = world.item_features()
        self.item_shot_features, self.item_shot_share = _padded_shots(world, len(self.item_ids))
        self.item_log_popularity = np.log(truth["popularity"].to_numpy(dtype=np.float64))
        self.item_duration = truth["duration_s"].to_numpy(dtype=np.float64)

    # ----------------------------------------------------------------- lookups
    def user_index(self, users: str | Sequence[str]) -> np.ndarray:
        """Row of each user id in :attr:`weights`; raises :class:`DataError` for unknown ids."""
        return self._users.rows(users)

    def item_arrays(self, items: ItemsLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Features ``[m, F]``, log popularity ``[m]`` (0 when unknown) and duration in seconds ``[m]``."""
        if isinstance(items, pd.Series | pd.Index):
            items = items.to_numpy()
        if (
            isinstance(items, np.ndarray)
            and items.dtype.kind in "UOS"
            and items.size
            and isinstance(items.flat[0], str)
        ):
            idx = self._items.rows(items)  # ids as an array: no Python loop
            return self.item_features[idx], self.item_log_popularity[idx], self.item_duration[idx]
        if isinstance(items, np.ndarray) and items.dtype.kind == "f":
            x = np.atleast_2d(items).astype(np.float32)
            if x.shape[1] != self.n_features:
                raise DataError(f"item feature matrix must have {self.n_features} columns, got {x.shape[1]}")
            return x, np.zeros(len(x)), np.full(len(x), DEFAULT_DURATION_S)
        seq = [items] if isinstance(items, str | Mapping) else list(items)
        if seq and all(isinstance(s, str) for s in seq):
            idx = self._items.rows(seq)
            return self.item_features[idx], self.item_log_popularity[idx], self.item_duration[idx]
        x = cm.featurize_many(seq)
        pop = np.asarray([np.log(float(s["popularity"])) if _has(s, "popularity") else 0.0 for s in seq])
        return x, pop, np.asarray([_duration(s) for s in seq])

    def item_shots(self, items: ItemsLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Shot features ``[m, S, F]``, shares ``[m, S]`` (0 = padding), log popularity and duration ``[m]``."""
        if isinstance(items, pd.Series | pd.Index):
            items = items.to_numpy()
        if isinstance(items, np.ndarray) and items.dtype.kind == "f" and items.ndim == 3:
            if items.shape[2] != self.n_features or items.shape[1] < 1:
                raise DataError(f"segment arrays must be [n, S >= 1, {self.n_features}], got {list(items.shape)}")
            n, k = items.shape[:2]
            return items.astype(np.float32), np.ones((n, k)), np.zeros(n), np.full(n, DEFAULT_DURATION_S)
        ids = _ids(items)
        if ids is not None:
            idx = self._items.rows(ids)
            shots, share = self.item_shot_features[idx], self.item_shot_share[idx]
            return shots, share, self.item_log_popularity[idx], self.item_duration[idx]
        if isinstance(items, np.ndarray) and items.dtype.kind == "f":
            x, log_pop, duration = self.item_arrays(items)
            return x[:, None, :], np.ones((len(x), 1)), log_pop, duration
        seq = [items] if isinstance(items, str | Mapping) else list(items)
        shots, share = cm.shot_arrays(seq)
        log_pop = np.asarray([np.log(float(s["popularity"])) if _has(s, "popularity") else 0.0 for s in seq])
        return shots, share, log_pop, np.asarray([_duration(s) for s in seq], dtype=np.float64)

    # ----------------------------------------------------------------- scores
    def _scores(self, users: Any, items: ItemsLike, pairwise: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Utility, popularity term and duration, shaped ``[n, m]`` (or ``[n]`` when pairwise)."""
        u = self.user_index(users)
        shots, share, log_pop, duration = self.item_shots(items)
        tau = self.model.temperature
        if pairwise:
            if len(u) != len(shots):
                raise DataError(f"pairwise scoring needs as many users as items, got {len(u)} and {len(shots)}")
            util = cm.pair_utility(self.weights, u, shots, share, np.arange(len(shots)), tau, PAIR_BATCH)
            return util, self.popularity_sensitivity[u] * log_pop, np.asarray(duration, dtype=np.float64)
        # float32 blocks of items: a 1,000 x 100,000 result is 400 MB, and no block of shots exceeds BLOCK_CELLS.
        w, (m, k, f) = self.weights[u], shots.shape
        util = np.empty((len(u), m), dtype=np.float32)
        step = max(1, BLOCK_CELLS // max(1, len(u) * k))
        for s in range(0, m, step):
            block = (w @ shots[s : s + step].reshape(-1, f).T).reshape(len(u), -1, k)
            util[:, s : s + step] = cm.aggregate(block, share[None, s : s + step], tau)
        pop: np.ndarray | float = 0.0
        if log_pop.any():
            pop = self.popularity_sensitivity[u].astype(np.float32)[:, None] * log_pop.astype(np.float32)[None, :]
        return util, pop, np.broadcast_to(duration.astype(np.float32), util.shape)

    def _shape(self, out: np.ndarray, users: Any, items: ItemsLike, pairwise: bool) -> np.ndarray | float:
        if pairwise:
            return out
        if isinstance(items, str | Mapping):
            out = out[:, 0]
        if isinstance(users, str):
            out = out[0]
        return float(out) if np.ndim(out) == 0 else out

    def utility(self, users: str | Sequence[str], items: ItemsLike, pairwise: bool = False) -> np.ndarray | float:
        """Hidden utility: soft-max over shots of weights · shot features (``[n_users, n_items]``; scalars collapse)."""
        util, _, _ = self._scores(users, items, pairwise)
        return self._shape(util, users, items, pairwise)

    def satisfaction(self, users: str | Sequence[str], items: ItemsLike, pairwise: bool = False) -> np.ndarray | float:
        """What watching the item is worth: utility minus ``time_cost`` per second of its duration."""
        util, _, duration = self._scores(users, items, pairwise)
        return self._shape(cm.satisfaction(util, duration, self.model), users, items, pairwise)

    def click_prob(
        self, users: str | Sequence[str], items: ItemsLike, pairwise: bool = False, popularity: bool = True
    ) -> np.ndarray | float:
        """P(click | impression). ``popularity=False`` ignores the popularity term (judging content alone)."""
        util, pop, _ = self._scores(users, items, pairwise)
        return self._shape(cm.click_prob(util, pop if popularity else 0.0, self.model), users, items, pairwise)

    def like_prob(self, users: str | Sequence[str], items: ItemsLike, pairwise: bool = False) -> np.ndarray | float:
        """P(like | click): depends on :meth:`satisfaction` (the time cost counts)."""
        util, _, duration = self._scores(users, items, pairwise)
        return self._shape(cm.like_prob(cm.satisfaction(util, duration, self.model), self.model), users, items,
                           pairwise)  # fmt: skip

    def expected_dwell(
        self, users: str | Sequence[str], items: ItemsLike, pairwise: bool = False, given_click: bool = True
    ) -> np.ndarray | float:
        """Expected seconds watched, given a click (or unconditionally with ``given_click=False``)."""
        util, pop, duration = self._scores(users, items, pairwise)
        dwell = duration * cm.watch_fraction(cm.satisfaction(util, duration, self.model), self.model)
        if not given_click:
            dwell = dwell * cm.click_prob(util, pop, self.model)
        return self._shape(dwell, users, items, pairwise)

    def respond(self, users: Sequence[str], items: ItemsLike, seed: int) -> dict[str, np.ndarray]:
        """Sample responses for aligned (user, item) impressions: click, like, dislike, skip, dwell."""
        util, pop, duration = self._scores(users, items, pairwise=True)
        return cm.respond(np.random.default_rng(seed), util, pop, np.asarray(duration, dtype=np.float64), self.model)


def _ids(items: Any) -> Any:
    """``items`` when it is item ids (an array or a list of str), else None."""
    if isinstance(items, np.ndarray):
        return items if items.dtype.kind in "UOS" and items.size and isinstance(items.flat[0], str) else None
    if isinstance(items, str):
        return [items]
    if isinstance(items, Mapping):
        return None
    seq = list(items)
    return seq if seq and all(isinstance(s, str) for s in seq) else None


def _padded_shots(world: World, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """The world's shot_truth table as ``[n_items, S, F]`` features and ``[n_items, S]`` shares."""
    table = world.shot_truth
    row = table["item_row"].to_numpy(dtype=np.int64)
    counts = np.bincount(row, minlength=n_items)
    slot = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)  # rows are grouped by item
    n_features = len(world.features_names)
    shots = np.zeros((n_items, max(1, int(counts.max(initial=1))), n_features), dtype=np.float32)
    share = np.zeros(shots.shape[:2])
    shots[row, slot] = table[list(world.features_names)].to_numpy(dtype=np.float32)
    share[row, slot] = table["share"].to_numpy(dtype=np.float64)
    return shots, share


def _has(item: Any, key: str) -> bool:
    return isinstance(item, Mapping) and item.get(key) is not None


def _duration(item: Any) -> float:
    if _has(item, "duration_s"):
        return float(item["duration_s"])
    shots = item.get("shots") if isinstance(item, Mapping) else item
    if isinstance(shots, Sequence) and shots and all(_has(s, "duration_s") for s in shots):
        return float(sum(float(s["duration_s"]) for s in shots))
    return DEFAULT_DURATION_S
