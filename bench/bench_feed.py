"""Feed quality on the demo world: the trained recommender (the service's ranker) vs the tag ranker.

Both rankers order the 1,500 items of a home that ``generec demo --no-serve`` filled, for the same users,
with the same history: the per-user chronological split of clicks and likes (the last tenth held out).

* **recommender** — what the service serves: the model of ``settings.recommender`` (MMGCN with LightGCN's
  linear layers, content features from the home's encoder + MiniLM, exactly as
  :func:`generec.pipeline_retrain.train_from_store` makes them) trained on the training part, ranking
  through :class:`generec.pipeline_recommender.RecommenderRanker`;
* **tags** — :class:`generec.pipeline_parts.ContentRanker`, the fallback: the user's taste profile
  from their events before the held-out ones, plus observed popularity.

Per seed (model seed and a fresh sample of ``--users`` users): NDCG@10 of the held-out clicks (training
items excluded for both), and simulated satisfaction of the top 10 by the world's ground truth
(P(click) x P(like | click), the closed loop's measure). Printed: mean ± sd over seeds and the paired
difference with its t-test. Then the cold-item test of ``bench_recommender.py`` on the last seed's model:
per user a new item made to their taste (``World.taste_item_meta``), scored from content and ranked among
the 1,500 human items ("liked in top-20" is the share of users whose taste-made item lands in their top 20).

    python bench/bench_feed.py --home H --seeds 5 --users 1000 --cold-users 500
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


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
    args = ap.parse_args()

    import pandas as pd
    import torch
    from scipy import stats

    from generec.config import load_settings
    from generec.data.sim import World
    from generec.pipeline_parts import ContentRanker, user_profile
    from generec.pipeline_recommender import ItemContent, RecommenderRanker, ServedModel
    from generec.pipeline_retrain import make_recommender
    from generec.store import MediaStore, Store
    from generec.types import Event, EventKind

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

    ev = world.events
    test_users = np.unique(split.test[:, 0])
    held = {u: set() for u in test_users}
    for u, i in split.test:
        held[u].add(str(split.item_ids[i]))
    seen: dict[int, set[str]] = {u: set() for u in test_users}
    for u, i in np.concatenate([split.train, split.valid]):
        if u in seen:
            seen[u].add(str(split.item_ids[i]))
    popularity = ContentRanker()
    train_ids = split.item_ids[split.train[:, 1]]
    popularity.set_popularity(pd.Series(train_ids).value_counts().to_dict())
    sim = world.simulator()

    rows = []
    model = None
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        users = np.sort(rng.choice(test_users, size=min(args.users, len(test_users)), replace=False))
        fit = settings.model_copy(update={"recommender": settings.recommender.model_copy(update={"seed": seed})})
        t = time.perf_counter()
        model = make_recommender(fit).fit(split, features=features)
        fit_s = time.perf_counter() - t
        served = ServedModel(model, f"seed{seed}", [str(u) for u in split.user_ids],
                             [str(i) for i in split.item_ids], {})  # fmt: skip
        ranker = RecommenderRanker(served, fallback=popularity)
        scores = {"recommender": [], "tags": []}
        satisfaction = {"recommender": [], "tags": []}
        for u in users:
            uid = str(split.user_ids[u])
            first_held = ev[(ev["user_id"] == uid) & ev["item_id"].isin(held[u])]["ts"].min()
            mine = ev[(ev["user_id"] == uid) & (ev["ts"] < first_held)].tail(200)
            events = [Event(uid, r.item_id, EventKind(r.kind), float(r.ts)) for r in mine.itertuples()]
            profile = user_profile(events, items)
            for name, ranked in (
                ("recommender", ranker.rank_user(uid, events, {}, profile, pool, 10, exclude=seen[u])),
                ("tags", popularity.rank(profile, pool, 10, exclude=seen[u])),
            ):
                ids = [c.item_id for c in ranked]
                scores[name].append(ndcg_at(ids, held[u]))
                p = np.asarray(sim.click_prob(uid, ids, popularity=False)) * np.asarray(sim.like_prob(uid, ids))
                satisfaction[name].append(float(np.mean(p)))
        row = {"seed": seed, "users": len(users), "fit_s": fit_s}
        for name in scores:
            row[f"ndcg@10 {name}"] = float(np.mean(scores[name]))
            row[f"satisfaction {name}"] = float(np.mean(satisfaction[name]))
        rows.append(row)
        print(row, flush=True)

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
        cold_test(world, split, model, content, args.cold_users, seed=0)
    store.close()


def cold_test(world, split, model, content, n_users: int, seed: int) -> None:  # noqa: ANN001
    """``bench_recommender.py``'s cold-item test, with the served model and the service's content features."""
    from generec.data.sim import render_item
    from generec.recommender.features import meta_text, video_feature

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
    print(f"liked > disliked {(liked > disliked).mean():.1%}; taste-made item in the user's top-20 among "
          f"{split.n_items} items: {(rank < 20).mean():.1%}; top-100: {(rank < 100).mean():.1%}; "
          f"median rank {np.median(rank):.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
