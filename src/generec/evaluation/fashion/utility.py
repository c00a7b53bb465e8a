"""Created products against retrieved ones, and against the unconditional model (the paper's §3.3 and §5.2 on fashion).

Two questions, each answered over several seeds:

- *Utility where the shop falls short.* A shopper asks for a category ("a dress"). The shop (a
  seeded sample of the world's products, as a small catalogue is) has dresses, but none in the
  brightness and texture this shopper likes most: the catalogue cannot meet the request. What is
  worth more to the shopper, by the simulator's hidden utility: the best dress retrieval finds, or
  one GeneRec creates? Two retrievals each put one dress first: the shop's dress closest to the
  shopper's User_Hist (the signal the creator gets too), and the one their attribute taste scores
  highest (the recommender's :class:`~generec.recommender.taste.AttributeTaste`); created products are
  paired with the top dress of the stronger retrieval (the best retrieved item). Two references that
  no retrieval can return, since picking them needs the hidden utility, are reported beside them: the
  better of the two retrievals' dresses for each request, and the best dress in the shop (oracle). A
  created image is read back as the shopper would see it: its category by the real-photo classifier,
  its brightness and texture measured from its pixels; one read as another category than asked is a
  failed request and counts as the shopper's least liked product. Rows: created from the instruction
  alone, with User_Hist, with User_Emb, and with User_Hist and the brightness and texture the
  shopper's attribute taste favours, and how it weighs the others (what the product's creation is
  given, ``GeneRec.taste_wants``).
- *FID*: created against real test photos in the classifier's feature space (its 128-d layer
  before the logits), for instruction + User_Hist requests over uniformly drawn categories and for
  the same model without any condition (its null condition, as the paper's unconditional reference).

Example
-------
>>> report = utility_report(creator, classifier, world, user_emb, seeds=(0, 1, 2))  # doctest: +SKIP
>>> report["per_seed"][0]["paired"]["Instruction + User_Hist + taste"]["vs retrieval"]["mean"] > 0  # doctest: +SKIP
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from generec.creator.fashion import SOURCE_SIDE, fit_photo, item_photos, unfit_photo
from generec.data.fashion import measure
from generec.data.fashion.source import CATEGORIES
from generec.errors import DataError
from generec.evaluation.frechet import frechet_image_distance
from generec.recommender.taste import favourite_values
from generec.types import Guidance

ROWS = {
    "Instruction": (),
    "Instruction + User_Hist": ("user_hist",),
    "Instruction + User_Emb": ("user_emb",),
    "Instruction + User_Hist + taste": ("user_hist", "taste"),
}
"""What each created row is guided by besides the instruction (paper Table 4's rows). The last is the product's
creation: it reads the shopper's history in the attribute space too, as ``GeneRec.taste_wants`` does, so the
brightness and texture their attribute taste favours join the asked category in the model's attribute input."""


class ClassifierFeatures:
    """FID's feature network for fashion: the real-photo classifier's 128-d features of the 28 px product."""

    description = "FashionClassifier features of the 28x28 grayscale product (real training photos only)"

    def __init__(self, classifier: Any) -> None:
        self.classifier = classifier
        self.id = f"fashion-classifier:{getattr(classifier, 'id', 'trained')}"

    def image_features(self, images: np.ndarray) -> np.ndarray:
        photos = np.stack([unfit_photo(im) for im in np.asarray(images)])
        return np.asarray(self.classifier.features(photos), dtype=np.float64)

    def clip_features(self, clips: np.ndarray) -> np.ndarray:
        raise DataError("the fashion classifier reads product photos, not clips")


class Shoppers:
    """What the evaluation knows of each shopper: hidden tastes (simulator), User_Hist and User_Emb."""

    def __init__(self, world: Any, encoder: Any, user_emb: Mapping[str, np.ndarray] | None,
                 taste_shrinkage: float | None = None) -> None:  # fmt: skip
        from generec.diffusion.conditions import liked_pairs, user_hist_vectors

        self.sim = world.simulator()
        likes = liked_pairs(world)
        liked = sorted(set(likes["item_id"]))
        self.item_feats = dict(zip(liked, _encode(encoder, item_photos(world, liked)), strict=True))
        self.hist = user_hist_vectors(likes, self.item_feats)
        self.emb = dict(user_emb or {})
        self.users = sorted(u for u in self.hist if not self.emb or u in self.emb)
        if not self.users:
            raise DataError("no shopper has both a liked photo and a User_Emb vector; check --user-emb's world")
        rows = self.sim.user_index(self.users)
        w, blocks = self.sim.weights[rows], _blocks()
        self.favourite = {a: w[:, blocks[a]].argmax(1) for a in ("brightness", "texture")}
        if taste_shrinkage is None:  # the product's (recommender.taste_shrinkage)
            from generec.config import RecommenderSettings

            taste_shrinkage = RecommenderSettings().taste_shrinkage
        self.taste, self.taste_weights = _tastes(world, self.users, taste_shrinkage)
        choices = {a: measure.VOCAB[a] for a in ("brightness", "texture")}  # the category is what they ask
        self.leanings = {u: self.taste.leanings(w, choices) for u, w in self.taste_weights.items()}
        self.worst = np.asarray(self.sim.utility(self.users, _all_products())).min(1)  # the least liked product

    def guidance(self, k: int, category: int, parts: Sequence[str]) -> Guidance:
        from generec.pipeline_jobs import creation_constraints

        u = self.users[k]
        leanings = self.leanings.get(u, {}) if "taste" in parts else {}
        return Guidance(
            instruction_text=f"a {CATEGORIES[category]}",
            user_hist=self.hist[u] if "user_hist" in parts else None,
            user_emb=self.emb.get(u) if "user_emb" in parts else None,
            constraints=creation_constraints({"category": [CATEGORIES[category]]},
                                             {a: [v] for a, v in favourite_values(leanings).items()}, leanings),
        )  # fmt: skip


class Shop:
    """A seeded sample of the world's products: their categories, measured levels and encoder features."""

    def __init__(self, world: Any, encoder: Any, size: int, seed: int) -> None:
        ids = world.items["id"].astype(str).to_numpy()
        if not 1 <= size <= len(ids):
            raise DataError(f"--shop must be between 1 and the world's {len(ids)} products, got {size}")
        self.ids = sorted(np.random.default_rng([seed, 31]).choice(ids, size, replace=False).tolist())
        photos = item_photos(world, self.ids)
        cat_of = {str(i): str(c) for i, c in zip(ids, world.items["attributes"].map(_category), strict=True)}
        self.category = np.asarray([CATEGORIES.index(cat_of[i]) for i in self.ids])
        self.brightness, self.texture = measure.levels(photos)
        self.features = measure.features(self.category, self.brightness, self.texture)
        self.vectors = _unit(_encode(encoder, photos))
        self.combos = set(zip(self.category.tolist(), self.brightness.tolist(), self.texture.tolist(), strict=True))
        self.pairs = _item_pairs(world, self.ids)

    def unmet(self, shoppers: Shoppers, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` requests (shopper index, category) drawn from those the shop has products of, but none in the
        shopper's favourite brightness and texture."""
        fb, ft = shoppers.favourite["brightness"], shoppers.favourite["texture"]
        stocked = sorted(set(self.category.tolist()))
        pairs = [(k, c) for k in range(len(shoppers.users)) for c in stocked
                 if (c, int(fb[k]), int(ft[k])) not in self.combos]  # fmt: skip
        if not pairs:
            raise DataError("the shop meets every request; give a smaller --shop")
        pick = np.random.default_rng([seed, 37]).integers(0, len(pairs), n)
        chosen = np.asarray(pairs)[pick]
        return chosen[:, 0], chosen[:, 1]

    def retrieve(self, shoppers: Shoppers, who: np.ndarray, cats: np.ndarray) -> dict[str, np.ndarray]:
        """Per request, the hidden utility of the shop's product of that category that each retrieval puts
        first — the one closest to User_Hist, and the one the shopper's attribute taste scores highest (the
        product's ranker reads both); ``retrieval``, the stronger of the two over these requests (the best
        retrieved item: the top item of the best retrieval there is); two references no retrieval can reach,
        since choosing them needs the hidden utility: the better of the two retrievals' items for each request
        (``either retrieval``), and the best product of that category (``oracle``)."""
        util = np.asarray(shoppers.sim.utility([shoppers.users[k] for k in who], self.features))
        rows = shoppers.taste.encode(list(self.pairs.values()))
        names = ("retrieval (User_Hist)", "retrieval (taste)", "oracle")
        out = {name: np.empty(len(who)) for name in names}
        for r, (k, c) in enumerate(zip(who, cats, strict=True)):
            mine = np.flatnonzero(self.category == c)
            user = shoppers.users[k]
            near = self.vectors[mine] @ _unit(shoppers.hist[user][None])[0]
            liked = rows[mine] @ shoppers.taste_weights[user] + 1e-6 * near  # ties: the nearer to User_Hist
            out["retrieval (User_Hist)"][r] = util[r, mine[int(np.argmax(near))]]
            out["retrieval (taste)"][r] = util[r, mine[int(np.argmax(liked))]]
            out["oracle"][r] = util[r, mine].max()
        hist, taste = out["retrieval (User_Hist)"], out["retrieval (taste)"]
        out["retrieval"] = hist if hist.mean() > taste.mean() else taste
        out["either retrieval"] = np.maximum(hist, taste)
        return out


def created_utility(
    shoppers: Shoppers, classifier: Any, who: np.ndarray, cats: np.ndarray, images: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The hidden utility of each created image as read back, and whether its category was read as asked."""
    photos = np.stack([unfit_photo(im) for im in images])
    read = classifier.predict(photos)
    b, t = measure.levels(photos)
    users = [shoppers.users[k] for k in who]
    util = np.asarray(shoppers.sim.utility(users, measure.features(read, b, t), pairwise=True), dtype=np.float64)
    ok = read == cats
    return np.where(ok, util, shoppers.worst[who]), ok


def utility_report(
    creator: Any,
    classifier: Any,
    world: Any,
    user_emb: Mapping[str, np.ndarray] | None,
    real_test: tuple[np.ndarray, np.ndarray],
    *,
    requests: int = 1000,
    shop: int = 300,
    seeds: Sequence[int] = (0, 1, 2),
) -> dict[str, Any]:
    """Per seed: mean hidden utility of each created row and of retrieval for unmet requests, paired gains
    (created − retrieval, created − instruction only) with a paired t-test, and FID against real test photos."""
    from generec.evaluation.fashion.creation import create

    shoppers = Shoppers(world, creator.encoder, user_emb)
    rows = {name: parts for name, parts in ROWS.items()
            if all(p in creator.spec.names for p in parts if p != "taste")
            and ("taste" not in parts or "attributes" in creator.spec.names)}  # fmt: skip
    per_seed: list[dict[str, Any]] = []
    for seed in seeds:
        store = Shop(world, creator.encoder, shop, seed)
        who, cats = store.unmet(shoppers, requests, seed)
        got = store.retrieve(shoppers, who, cats)
        result: dict[str, Any] = {"seed": seed, "unmet_requests": len(who)}
        for name, parts in rows.items():
            images = create(creator, [shoppers.guidance(k, c, parts) for k, c in zip(who, cats, strict=True)], seed)
            got[name], ok = created_utility(shoppers, classifier, who, cats, images)
            result[f"{name}: category read as asked"] = round(float(ok.mean()), 4)
        result["utility"] = {k: round(float(v.mean()), 4) for k, v in got.items()}
        result["paired"] = {name: _paired(got[name], got["retrieval"], got["either retrieval"],
                                          got[name] - got["Instruction"]) for name in rows}  # fmt: skip
        result["fid"] = _fid(creator, classifier, shoppers, real_test, requests, seed)
        per_seed.append(result)
    return {"requests": requests, "shop": shop, "seeds": list(seeds), "per_seed": per_seed}


def _paired(created: np.ndarray, retrieved: np.ndarray, either: np.ndarray,
            over_instruction: np.ndarray) -> dict[str, Any]:  # fmt: skip
    return {
        "vs retrieval": _gain(created - retrieved),
        "vs either retrieval": _gain(created - either),
        "vs instruction only": _gain(over_instruction),
    }


def _gain(diff: np.ndarray) -> dict[str, Any]:
    return {"mean": round(float(diff.mean()), 4), "p": _p(diff)}


def _p(diff: np.ndarray) -> float | None:
    return None if not diff.any() else float(f"{stats.ttest_1samp(diff, 0).pvalue:.2g}")


def _fid(creator: Any, classifier: Any, shoppers: Shoppers, real_test: tuple[np.ndarray, np.ndarray], n: int,
         seed: int) -> dict[str, Any]:  # fmt: skip
    """FID of instruction + User_Hist creations (uniform categories) and of unconditional ones vs real test photos."""
    from generec.evaluation.fashion.creation import create

    rng = np.random.default_rng([seed, 41])
    cats = rng.integers(0, len(CATEGORIES), n)
    who = rng.integers(0, len(shoppers.users), n)
    guided = create(creator, [shoppers.guidance(k, c, ("user_hist",)) for k, c in zip(who, cats, strict=True)], seed)
    plain = np.concatenate([creator.create(None, min(100, n - s), seed=seed + s) for s in range(0, n, 100)])
    chosen = real_test[0][rng.choice(len(real_test[0]), n, replace=False)]
    real = np.stack([fit_photo(p, guided.shape[1]) for p in chosen])
    net = ClassifierFeatures(classifier)
    g, u = frechet_image_distance(real, guided, net), frechet_image_distance(real, plain, net)
    return {"Instruction + User_Hist": round(g.value, 3), "Unconditional": round(u.value, 3),
            "protocol": g.protocol.describe()}  # fmt: skip


def _tastes(world: Any, users: Sequence[str], shrinkage: float) -> tuple[Any, dict[str, np.ndarray]]:
    """The attribute taste the product learns and each shopper's own weights, as the product fits them
    (:meth:`generec.pipeline.GeneRec.taste_wants`): the recommender's
    :class:`~generec.recommender.taste.AttributeTaste` learned from every shopper's impressions, clicks and
    likes (as ``pipeline_retrain.fit_taste`` learns it from the store), a shopper's weights fitted on their
    latest ``RECENT_EVENTS`` events."""
    from generec.pipeline_parts import RECENT_EVENTS
    from generec.recommender.taste import AttributeTaste, outcomes

    pairs = _item_pairs(world)
    ev = world.events[["user_id", "item_id", "kind", "ts"]].astype({"user_id": str, "item_id": str, "kind": str})
    ev = ev[ev["kind"].isin(("impression", "click", "like"))]
    by_kind = {k: list(zip(g["user_id"], g["item_id"], strict=True)) for k, g in ev.groupby("kind")}
    taste = AttributeTaste(shrinkage=shrinkage).fit(pairs, by_kind.get("impression", []), by_kind.get("click", []),
                                                    by_kind.get("like", []))  # fmt: skip
    weights = {str(u): taste.weights_.copy() for u in users}  # a shopper without events: the population's
    for user, own in ev[ev["user_id"].isin(set(weights))].sort_values("ts", kind="stable").groupby("user_id"):
        gave = outcomes(zip(own["item_id"].tail(RECENT_EVENTS), own["kind"].tail(RECENT_EVENTS), strict=True))
        weights[str(user)] = taste.user_weights(taste.encode([pairs[i] for i in gave]), list(gave.values()))
    return taste, weights


def _item_pairs(world: Any, ids: Sequence[str] | None = None) -> dict[str, set[tuple[str, str]]]:
    """The (attribute, value) pairs the product's taste reads of each product (``pipeline_parts.item_features``)."""
    import json

    from generec.pipeline_parts import attribute_pairs

    items = world.items
    pairs = {str(i): attribute_pairs(json.loads(a), str(t))
             for i, a, t in zip(items["id"], items["attributes"], items["title"], strict=True)}  # fmt: skip
    return pairs if ids is None else {i: pairs[i] for i in ids}


def _encode(encoder: Any, photos: np.ndarray) -> np.ndarray:
    return np.asarray(encoder.encode_images(np.stack([fit_photo(p, SOURCE_SIDE) for p in photos])), np.float32)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _category(attributes: str) -> str:
    import json

    return str(json.loads(attributes)["category"])


def _blocks() -> dict[str, slice]:
    """Where each attribute's values sit in :data:`~generec.data.fashion.measure.FEATURES`."""
    out, start = {}, 0
    for a, values in measure.VOCAB.items():
        out[a] = slice(start, start + len(values))
        start += len(values)
    return out


def _all_products() -> np.ndarray:
    """Feature rows of every (category, brightness, texture) combination."""
    grid = np.stack(np.meshgrid(*(np.arange(len(v)) for v in measure.VOCAB.values()), indexing="ij"), -1)
    flat = grid.reshape(-1, len(measure.VOCAB))
    return measure.features(flat[:, 0], flat[:, 1], flat[:, 2])
