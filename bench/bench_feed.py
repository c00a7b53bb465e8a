"""Feed quality on the demo world: the trained recommender (the service's ranker) vs the tag ranker.

Both rankers order the 1,500 items of a home that ``generec demo --no-serve`` filled, for the same users,
with the same history: the per-user chronological split of clicks and likes (the last tenth held out).

* **recommender** — what the service serves: the model of ``settings.recommender`` (MMGCN with LightGCN's
  linear layers, content features from the home's encoder + MiniLM, exactly as
  :func:`generec.pipeline_retrain.train_from_store` makes them) trained on the training part, ranking
  through :class:`generec.pipeline_recommender.RecommenderRanker`, with the attribute taste learned from
  every user's impressions, clicks and likes before their held-out ones (as ``train_from_store`` learns it from
  the store);
* **tags** — :class:`generec.pipeline_parts.ContentRanker`, the fallback: the user's taste profile
  from their events before the held-out ones, plus observed popularity.

Per seed (model seed and a fresh sample of ``--users`` users): NDCG@10 of the held-out clicks (training
items excluded for both), and simulated satisfaction of the top 10 by the world's ground truth
(P(click) x P(like | click), the closed loop's measure). Printed: mean ± sd over seeds and the paired
difference with its t-test. Then the cold-item test of ``bench_recommender.py`` on the last seed's model:
per user a new item made to their taste (``World.taste_item_meta``), ranked among the 1,500 human items by
the model's content score and through the service's ranker (the share of users whose taste-made item
lands in their top 20). ``--choose-weights`` first scores taste weights and the tag ranker on the
validation clicks and names the weight with the highest satisfaction among those above the tag ranker
on both NDCG@10 and satisfaction, each by a one-sided paired t-test over the validation users at
p < .05 divided by the number of weights compared (Bonferroni: the choice is the best of several
tries); that weight is the service's default, ``recommender.taste_weight``.

    python bench/bench_feed.py --home H --seeds 5 --users 1000 --cold-users 500
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd


def ndcg_at(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    gains = [1.0 / np.log2(r + 2) for r, i in enumerate(ranked[:k]) if i in relevant]
    ideal = sum(1.0 / np.log2(r + 2) for r in range(min(k, len(relevant))))
    return float(sum(gains) / ideal) if ideal else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True, help="A home filled by `generec demo --no-serve`.")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--users", type=int, default=1000, help="Users sampled per seed (with held-out clicks).")
    ap.add_argument("--cold-users", type=int, default=500, help="Users in the cold-item test (0: skip it).")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--choose-weights", default="", help="Taste weights to compare on the validation clicks first.")
    args = ap.parse_args()

    import torch
    from scipy import stats

    from generec.config import load_settings
    from generec.data.sim import World
    from generec.pipeline_item_content import ItemContent
    from generec.pipeline_parts import ContentRanker
    from generec.pipeline_retrain import fit_taste, make_recommender
    from generec.store import MediaStore, Store

    torch.set_num_threads(args.threads)
    settings = load_settings(home=args.home)
    cfg = settings.world
    world = World.load(Path(settings.home) / "worlds" / f"demo-u{cfg.users}-i{cfg.items}-s{cfg.seed}")
    split = world.dataset().split()
    store = Store.open(settings)
    items = {i.id: i for i in store.list_items(viewer=None, limit=None)}
    pool = [items[str(i)] for i in split.item_ids]
    started = time.perf_counter()
    content = ItemContent.from_settings(settings, MediaStore(settings.media_dir, settings.media))
    features = content.features(pool)
    print(f"content features of {len(pool)} items ({content.describe()}): {time.perf_counter() - started:.1f} s")

    popularity = ContentRanker()
    popularity.set_popularity(pd.Series(split.item_ids[split.train[:, 1]]).value_counts().to_dict())
    judge = Judge(world, split, items, pool)
    judge.taste = fit_taste(settings, pool, *judge.training_exposures())
    weights = [float(w) for w in args.choose_weights.split(",") if w] if args.choose_weights else []
    if weights:  # the taste weight is chosen on the VALIDATION clicks; the test clicks play no part
        fit = settings.model_copy(update={"recommender": settings.recommender.model_copy(update={"seed": 0})})
        model = make_recommender(fit).fit(split, features=features)
        users = judge.users(split.valid, args.users, seed=0)
        rankers = {"tags": judge.tags(popularity), **{w: judge.recommender(model, popularity, w) for w in weights}}
        per_user = judge.score(rankers, users, split.valid, [split.train])
        print("| taste weight | valid ndcg@10 | p (> tags) | satisfaction | p (> tags) |\n|---:|---:|---:|---:|---:|")
        above = []
        for name, (ndcg, sat) in per_user.items():
            ps = [stats.ttest_rel(mine, tags, alternative="greater").pvalue if name != "tags" else float("nan")
                  for mine, tags in zip((ndcg, sat), per_user["tags"], strict=True)]  # fmt: skip
            if name != "tags" and max(ps) < 0.05 / len(weights):  # Bonferroni: one test per weight compared
                above.append(name)
            label = name if name == "tags" else f"{name:g}"
            print(f"| {label} | {np.mean(ndcg):.4f} | {ps[0]:.2g} | {np.mean(sat):.4f} | {ps[1]:.2g} |", flush=True)
        best = max(above, key=lambda w: np.mean(per_user[w][1])) if above else None
        chosen = "none" if best is None else f"{best:g}"
        print(f"chosen (highest satisfaction among the weights above the tag ranker on both, paired over the "
              f"validation users, p < .05 / {len(weights)} weights): {chosen}")  # fmt: skip

    rows = []
    model = None
    weight = settings.recommender.taste_weight
    print(f"\nthe service's ranker: {settings.recommender.model} ({settings.recommender.layers} layers), taste weight "
          f"{weight:g}")  # fmt: skip
    for seed in range(args.seeds):
        users = judge.users(split.test, args.users, seed=seed)
        fit = settings.model_copy(update={"recommender": settings.recommender.model_copy(update={"seed": seed})})
        t = time.perf_counter()
        model = make_recommender(fit).fit(split, features=features)
        row = {"seed": seed, "users": len(users), "fit_s": round(time.perf_counter() - t, 1)}
        rankers = {"recommender": judge.recommender(model, popularity, weight), "tags": judge.tags(popularity)}
        for name, (ndcg, sat) in judge.score(rankers, users, split.test, [split.train, split.valid]).items():
            row[f"ndcg@10 {name}"], row[f"satisfaction {name}"] = float(np.mean(ndcg)), float(np.mean(sat))
        rows.append(row)
        print(row, flush=True)

    if not rows:
        store.close()
        return
    table = pd.DataFrame(rows)
    print(f"\nfeed quality, demo world ({args.users} users per seed, {args.seeds} seeds), mean ± sd over seeds")
    print("| metric | recommender | tags (fallback) | recommender - tags (paired) | t | p | wins |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for metric in ("ndcg@10", "satisfaction"):
        a, b = table[f"{metric} recommender"], table[f"{metric} tags"]
        d = a - b
        t, p = stats.ttest_rel(a, b) if len(d) > 1 else (float("nan"), float("nan"))
        print(f"| {metric} | {a.mean():.4f} ± {a.std():.4f} | {b.mean():.4f} ± {b.std():.4f} "
              f"| {d.mean():+.4f} ± {d.std():.4f} | {t:.1f} | {p:.2g} | {int((d > 0).sum())}/{len(d)} |")  # fmt: skip
    if args.cold_users > 0 and model is not None:
        cold_test(judge, model, content, popularity, weight, args.cold_users, seed=0)
    store.close()


def user_item_pairs(events: pd.DataFrame) -> list[tuple[str, str]]:
    return list(zip(events["user_id"], events["item_id"], strict=True))


class Judge:
    """Held-out clicks and the world's ground truth for users of a split; rankers see the same history."""

    def __init__(self, world, split, items, pool) -> None:  # noqa: ANN001
        self.world, self.split, self.items, self.pool = world, split, items, pool
        self.sim = world.simulator()
        self.events = world.events
        self.taste = None  # the attribute taste learned from the training period (training_exposures)

    def training_exposures(self) -> list[list[tuple[str, str]]]:
        """``(user, item)`` impressions, clicks and likes before each user's first held-out item (valid or
        test): what the store held when the model was trained, for the attribute taste's population fit."""
        ids, users = self.split.item_ids, self.split.user_ids
        held = np.concatenate([self.split.valid, self.split.test])
        pairs = pd.DataFrame({"user_id": users[held[:, 0]].astype(str), "item_id": ids[held[:, 1]].astype(str)})
        ev = self.events
        first = ev.merge(pairs, on=["user_id", "item_id"]).groupby("user_id")["ts"].min()
        cutoff = ev["user_id"].map(first).fillna(np.inf)
        before = ev[ev["ts"] < cutoff]
        return [user_item_pairs(before[before["kind"] == kind]) for kind in ("impression", "click", "like")]

    def users(self, held_pairs: np.ndarray, n: int, seed: int) -> np.ndarray:
        candidates = np.unique(held_pairs[:, 0])
        return np.sort(np.random.default_rng(seed).choice(candidates, size=min(n, len(candidates)), replace=False))

    def recommender(self, model, fallback, weight: float):  # noqa: ANN001, ANN201
        from generec.pipeline_recommender import RecommenderRanker, ServedModel

        split = self.split
        served = ServedModel(model, "bench", [str(u) for u in split.user_ids], [str(i) for i in split.item_ids], {},
                             taste=self.taste)  # fmt: skip
        ranker = RecommenderRanker(served, fallback=fallback, taste_weight=weight)
        return lambda uid, events, profile, exclude: ranker.rank_user(uid, events, {}, profile, self.pool, 10,
                                                                      exclude=exclude)  # fmt: skip

    def tags(self, ranker):  # noqa: ANN001, ANN201
        return lambda uid, events, profile, exclude: ranker.rank(profile, self.pool, 10, exclude=exclude)

    def history(self, uid: str, held: set[str]) -> tuple[list, dict]:
        """The user's last 200 events before their first held-out item, and the taste profile from them."""
        from generec.pipeline_parts import user_profile
        from generec.types import Event, EventKind

        ev = self.events
        mine_all = ev[ev["user_id"] == uid]
        first_held = mine_all[mine_all["item_id"].isin(held)]["ts"].min()
        mine = mine_all[mine_all["ts"] < first_held].tail(200) if held else mine_all.tail(200)
        events = [Event(uid, r.item_id, EventKind(r.kind), float(r.ts)) for r in mine.itertuples()]
        return events, user_profile(events, self.items)

    def score(self, rankers: dict, users: np.ndarray, held_pairs: np.ndarray, seen_pairs: list) -> dict:
        """Per ranker: NDCG@10 of each user's held-out items and mean satisfaction of their top 10."""
        ids = self.split.item_ids
        held: dict[int, set[str]] = {int(u): set() for u in users}
        for u, i in held_pairs:
            if int(u) in held:
                held[int(u)].add(str(ids[i]))
        seen: dict[int, set[str]] = {int(u): set() for u in users}
        for u, i in np.concatenate(seen_pairs):
            if int(u) in seen:
                seen[int(u)].add(str(ids[i]))
        out = {name: ([], []) for name in rankers}
        for u in users:
            uid = str(self.split.user_ids[u])
            events, profile = self.history(uid, held[int(u)])
            for name, rank in rankers.items():
                top = [c.item_id for c in rank(uid, events, profile, seen[int(u)])]
                sat = np.asarray(self.sim.click_prob(uid, top, popularity=False)) * np.asarray(
                    self.sim.like_prob(uid, top)
                )
                out[name][0].append(ndcg_at(top, held[int(u)]))
                out[name][1].append(float(np.mean(sat)))
        return out


def cold_test(judge: Judge, model, content, fallback, weight: float, n_users: int, seed: int) -> None:  # noqa: ANN001
    """``bench_recommender.py``'s cold-item test with the served model and the service's content features.

    Per user a new item made of their favourite value of every attribute (and one of their least
    favourite), rendered and given content features as the service gives a made item. Ranked among
    the 1,500 human items (the user's training items excluded): by the model's raw content score, and
    through the service's :class:`RecommenderRanker` (calibrated content score and attribute taste),
    once with the item described by the attributes it was made with (what a made item carries) and
    once with none (content alone).
    """
    import torch

    from generec.data.sim import render_item
    from generec.pipeline_recommender import RecommenderRanker, ServedModel
    from generec.recommender.features import meta_text, video_feature
    from generec.types import Item, Origin

    world, split = judge.world, judge.split
    rng = np.random.default_rng(seed)
    users = np.sort(rng.choice(split.n_users, size=min(n_users, split.n_users), replace=False))
    uids = [str(split.user_ids[u]) for u in users]
    metas = [world.taste_item_meta(uid, liked, seed=int(u)) for liked in (True, False)
             for u, uid in zip(users, uids, strict=True)]  # fmt: skip
    visual = np.stack([video_feature(content.encoder, render_item(m), count=content.frames) for m in metas])
    feats = {"visual": visual, "text": np.asarray(content.text.embed([meta_text(m) for m in metas]), np.float32)}
    n = len(users)
    scores = model.score_items(users, feats)
    liked, disliked = scores[np.arange(n), np.arange(n)], scores[np.arange(n), n + np.arange(n)]
    train = split.train[np.isin(split.train[:, 0], users)]
    corpus = model.score(users).astype(np.float64)
    corpus[np.searchsorted(users, train[:, 0]), train[:, 1]] = -np.inf  # training items are never recommended
    rank = (corpus > liked[:, None]).sum(axis=1)
    print(f"\ncold items: {n} users, each with a new item made to their taste and one against it")
    print(f"model's raw scores: liked > disliked {(liked > disliked).mean():.1%}; taste-made item in the user's "
          f"top-20 among {split.n_items} items: {(rank < 20).mean():.1%}; top-100: {(rank < 100).mean():.1%}; "
          f"median rank {np.median(rank):.0f}")  # fmt: skip

    served = ServedModel(model, "bench", [str(u) for u in split.user_ids], [str(i) for i in split.item_ids], {},
                         taste=judge.taste)  # fmt: skip
    with torch.no_grad():
        vectors = model.item_embeddings_from_features(feats).numpy()
    ranker = RecommenderRanker(served, fallback=fallback, taste_weight=weight)
    ids = split.item_ids
    seen: dict[int, set[str]] = {int(u): set() for u in users}
    held: dict[int, set[str]] = {int(u): set() for u in users}
    for pairs, into in ((split.train, seen), (split.valid, held), (split.test, held)):
        for u, i in pairs:
            if int(u) in into:
                into[int(u)].add(str(ids[i]))
    for described in (True, False):
        hits, ranks = [], []
        for j, (u, uid) in enumerate(zip(users, uids, strict=True)):
            meta = metas[j]
            shot = meta["shots"][0]
            attrs = {"scene": shot["scene"], "style": shot["style"], **shot["subjects"][0]} if described else {}
            title = meta["title"] if described else "A new video for you"
            made = Item(id=f"ai-taste-{j}-{int(described)}", title=title, origin=Origin.AI, attributes=attrs)
            served.cold[made.id] = vectors[j]
            events, profile = judge.history(uid, held[int(u)])
            top = ranker.rank_user(uid, events, {}, profile, [*judge.pool, made], len(judge.pool) + 1,
                                   exclude=seen[int(u)])  # fmt: skip
            place = [c.item_id for c in top].index(made.id)
            hits.append(place < 20)
            ranks.append(place)
        how = "described by the attributes it was made with" if described else "no attributes (content alone)"
        print(f"through the service's ranker (taste weight {weight:g}), item {how}: in the top-20 for "
              f"{np.mean(hits):.1%} of users; median rank {np.median(ranks):.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
