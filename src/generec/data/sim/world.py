"""A built GeneRec-Sim world on disk, and everything it knows that the paper's data never did.

Example
-------
>>> import tempfile
>>> w = World.build(tempfile.mkdtemp(), users=30, items=20, seed=1, media=False, progress=False)
>>> w.dataset().validate().items.shape[0]
20
>>> meta = w.item_meta("v0000000")
>>> 2 <= len(meta["shots"]) <= 4
True
>>> frames = w.render("v0000000")                  # [T, 64, 64, 3] uint8, rendered from the item's seed
>>> 0.0 <= w.simulator().click_prob("u0000001", {"category": "car"}) <= 1.0
True
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from generec.data.dataset import Dataset
from generec.data.sim.build import FORMAT, FORMAT_VERSION, WorldConfig, build_world
from generec.data.sim.clickmodel import ClickModel
from generec.data.sim.media import media_paths, write_item_media
from generec.data.sim.render import render_item
from generec.data.sim.vocab import ATTRIBUTES, FEATURES, VOCAB
from generec.errors import DataError

if TYPE_CHECKING:
    from generec.data.sim.simulator import UserSimulator


def _fashion_format() -> str:
    from generec.data.fashion.build import FORMAT as FASHION_FORMAT

    return FASHION_FORMAT


class World:
    """A GeneRec-Sim world: a :class:`Dataset` plus shots, hidden preferences and instructions.

    Open one with :meth:`load`, make one with :meth:`build` (or ``generec world build``).
    Tables load lazily and are cached; media render on first request and are cached on disk.

    Example
    -------
    >>> world = World.load("demo-world")                          # doctest: +SKIP
    >>> world.item_meta("v0000002")["shots"][0]["caption"]         # doctest: +SKIP
    'a large red car driving left to right through the snow, sketch style'
    >>> world.simulator().click_prob("u0000001", "v0000002")       # doctest: +SKIP
    0.27
    """

    def __init__(self, root: str | Path, info: dict[str, Any]) -> None:
        self.root = Path(root)
        self.info = info

    # ------------------------------------------------------------ making/opening
    @classmethod
    def load(cls, directory: str | Path) -> World:
        """Open a world built by :meth:`build`; raises :class:`DataError` if it is not one."""
        root = Path(directory)
        path = root / "world.json"
        if not path.is_file():
            raise DataError(f"{root} is not a GeneRec-Sim world (no world.json); build one with `generec world build`")
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"{path} is unreadable ({exc}); rebuild the world with --overwrite") from None
        if info.get("format") == _fashion_format():
            return cls._load_fashion(root, info)
        if info.get("format") != FORMAT:
            raise DataError(f"{path} is not a GeneRec-Sim world description")
        if not info.get("complete"):
            raise DataError(f"the world in {root} was not finished building; rebuild it with --overwrite")
        version = info.get("format_version", 1)
        if version != FORMAT_VERSION:
            raise DataError(
                f"the world in {root} has GeneRec-Sim format {version}, this version reads format {FORMAT_VERSION} "
                "(shared population taste, soft-max over shots, time cost); rebuild it with "
                f"`generec world build --out {root} --overwrite` and the same --users/--items/--seed"
            )
        if list(info.get("features", [])) != list(FEATURES):
            raise DataError(f"the world in {root} uses another attribute vocabulary; rebuild it with this version")
        return cls(root, info)

    @classmethod
    def _load_fashion(cls, root: Path, info: dict[str, Any]) -> World:
        """A fashion world (``generec import fashion-mnist``): same files, the fashion vocabulary."""
        from generec.data.fashion import build, measure

        if info.get("format_version") != build.FORMAT_VERSION or list(info.get("features", [])) != list(
            measure.FEATURES
        ):
            raise DataError(
                f"the fashion world in {root} was made by another version; "
                f"rebuild it with `generec import fashion-mnist --out {root} --overwrite`"
            )
        return cls(root, info)

    @classmethod
    def build(
        cls,
        out: str | Path,
        *,
        progress: bool = True,
        overwrite: bool = False,
        workers: int = 2,
        **config: Any,
    ) -> World:
        """Build a world (keyword arguments are :class:`WorldConfig` fields) and open it."""
        unknown = sorted(set(config) - set(WorldConfig.__dataclass_fields__))
        if unknown:
            raise DataError(f"unknown world setting(s) {unknown}; known: {sorted(WorldConfig.__dataclass_fields__)}")
        return cls.load(
            build_world(out, WorldConfig(**config), progress=progress, overwrite=overwrite, workers=workers)
        )

    # ------------------------------------------------------------------ facts
    @property
    def config(self) -> WorldConfig:
        return WorldConfig(**self.info["config"])

    @property
    def click_model(self) -> ClickModel:
        return ClickModel.from_dict(self.info["click_model"])

    @property
    def features_names(self) -> tuple[str, ...]:
        return tuple(self.info["features"])

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.info["counts"])

    def _table(self, name: str) -> pd.DataFrame:
        path = self.root / f"{name}.parquet"
        if not path.is_file():
            raise DataError(f"world {self.root} is missing {path.name}; rebuild it with --overwrite")
        return pd.read_parquet(path)

    @cached_property
    def items(self) -> pd.DataFrame:
        return self._table("items")

    @cached_property
    def users(self) -> pd.DataFrame:
        return self._table("users")

    @cached_property
    def shots(self) -> pd.DataFrame:
        """One row per shot: timing, scene, style, up to two subjects, caption."""
        return self._table("shots")

    @cached_property
    def preferences(self) -> pd.DataFrame:
        """Hidden ground truth per user: a weight per feature, popularity sensitivity, activity, taste."""
        return self._table("preferences")

    @cached_property
    def instructions(self) -> pd.DataFrame:
        """Instructions with ``text``, ``intent``, ``slots`` (JSON), ``family``, ``split``."""
        return self._table("instructions")

    @property
    def events(self) -> pd.DataFrame:
        """All events (not cached: a big world has tens of millions)."""
        return self._table("events")

    def dataset(self) -> Dataset:
        """The world as a plain :class:`Dataset` (items, users, events; media relative to the world)."""
        return Dataset.load(self.root)

    # ------------------------------------------------------------------ items
    @cached_property
    def _item_row(self) -> dict[str, int]:
        return {iid: k for k, iid in enumerate(self.items["id"].astype(str))}

    def _row(self, item_id: str) -> int:
        try:
            return self._item_row[str(item_id)]
        except KeyError:
            raise DataError(f"unknown item id {item_id!r} in world {self.root}") from None

    def item_meta(self, item_id: str) -> dict[str, Any]:
        """Ground-truth metadata of an item: shots with attributes and captions, thumbnail frame, seed."""
        return json.loads(self.items["attributes"].iat[self._row(item_id)])

    @cached_property
    def item_truth(self) -> pd.DataFrame:
        """Per item (table order): ``popularity``, ``duration_s`` and the ground-truth feature columns."""
        return self._table("item_truth")

    @cached_property
    def shot_truth(self) -> pd.DataFrame:
        """Per shot: ``item_row`` (row in :attr:`item_truth`), ``share`` of the running time, feature columns."""
        return self._table("shot_truth")

    @property
    def population_weights(self) -> np.ndarray:
        """The taste every user shares (``[len(FEATURES)]``); uploaders pick thumbnails with it."""
        return np.asarray(self.info["population_weights"], dtype=np.float32)

    def item_features(self, item_ids: list[str] | None = None) -> np.ndarray:
        """Ground-truth feature vectors ``[n, len(FEATURES)]`` (all items in table order by default)."""
        if "_features" not in self.__dict__:
            self.__dict__["_features"] = self.item_truth[list(self.features_names)].to_numpy(dtype=np.float32)
        x = self.__dict__["_features"]
        return x if item_ids is None else x[[self._row(i) for i in item_ids]]

    def render(self, item_id: str, size: int | None = None) -> np.ndarray:
        """Frames ``[T, H, W, 3]`` uint8 of an item, rendered from its seed (no file needed)."""
        return render_item(self.item_meta(item_id), size=size)

    def media_path(self, item_id: str) -> Path:
        """Path of the item's MP4 (rendered and cached first if it is not on disk yet), or of its photo."""
        return self._ensure_media(item_id)[0]

    def thumbnail_path(self, item_id: str) -> Path:
        """Path of the uploader-chosen thumbnail PNG (the paper's "Original"), rendered on demand."""
        return self._ensure_media(item_id)[1]

    def _ensure_media(self, item_id: str) -> tuple[Path, Path]:
        meta = self.item_meta(item_id)  # validates the id before it touches a path
        if "shots" not in meta:  # a photo (a fashion world): written at import, nothing to render
            row = self.items.iloc[self._row(item_id)]
            return self.root / str(row["media"]), self.root / str(row["thumbnail"])
        video, thumb = media_paths(self.root, str(item_id))
        if not (video.is_file() and thumb.is_file()):
            write_item_media(self.root, str(item_id), meta)
        return video, thumb

    # ------------------------------------------------------------------ users
    def user_preferences(self, user_id: str) -> dict[str, dict[str, float]]:
        """A user's hidden weights, ``{attribute: {value: weight}}`` (positive = liked)."""
        row = self.preferences.loc[self.preferences["user_id"] == user_id]
        if row.empty:
            raise DataError(f"unknown user id {user_id!r} in world {self.root}")
        r = row.iloc[0]
        return {a: {v: float(r[f"{a}={v}"]) for v in values} for a, values in self.vocabulary.items()}

    @property
    def vocabulary(self) -> dict[str, list[str]]:
        """``{attribute: values}`` of this world's items and tastes (GeneRec-Sim's, or a fashion world's own)."""
        return {a: list(v) for a, v in self.info.get("vocab", {a: VOCAB[a] for a in ATTRIBUTES}).items()}

    def taste_item_meta(self, user_id: str, liked: bool = True, seed: int = 0, shots: int = 3) -> dict[str, Any]:
        """Metadata of a new item made of the user's most (``liked``) or least preferred value of every attribute.

        The ground-truth answer to "what would this user love (or hate)?": render it with
        :func:`~generec.data.sim.render.render_item` to test how models score items with no history.
        """
        from generec.data.sim.vocab import SUBJECT_ATTRIBUTES, caption_shot

        prefs = self.user_preferences(user_id)
        pick = max if liked else min
        best = {a: pick(prefs[a], key=prefs[a].get) for a in ATTRIBUTES}
        subject = {a: best[a] for a in SUBJECT_ATTRIBUTES}
        shot = {"scene": best["scene"], "style": best["style"], "subjects": [subject], "n_frames": self.config.fps}
        title = f"{best['colour']} {best['category']} {best['scene']}"
        return {
            "seed": seed,
            "frame_size": self.config.frame_size,
            "shots": [{**shot, "caption": caption_shot(shot)} for _ in range(shots)],
            "main_shot": 0,
            "title": title,
        }

    def simulator(self) -> UserSimulator:
        """The :class:`~generec.data.sim.simulator.UserSimulator` of this world."""
        from generec.data.sim.simulator import UserSimulator  # lazily: it imports this module

        return UserSimulator(self)

    def summary(self) -> dict[str, Any]:
        """Counts and settings, for ``generec world info`` and the demo."""
        if self.info.get("format") != FORMAT:  # a fashion world: real photos, no rendered frames
            return {"root": str(self.root), "seed": self.info["config"]["seed"], **self.counts, "media": "photos"}
        cfg = self.config
        return {
            "root": str(self.root),
            "seed": cfg.seed,
            **self.counts,
            "media": cfg.media,
            "frame": f"{cfg.frame_size}x{cfg.frame_size} @ {cfg.fps} fps",
        }
