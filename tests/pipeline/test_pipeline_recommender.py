"""The trained recommender in the loop: trained from the store, ranking human and new items on one scale,
folding in unknown users, swapped without losing a step, and the tag ranker only as the fallback."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from generec.config import RecommenderSettings, Settings
from generec.errors import DataError
from generec.pipeline import GeneRec
from generec.pipeline_parts import Decision
from generec.pipeline_recommender import RecommenderRanker, load_served
from generec.pipeline_retrain import TRAIN_JOB, queue_training, run_training_job, train_from_store
from generec.pipeline_versions import current_version
from generec.store import MediaStore, Store
from generec.types import Event, EventKind, Item, JobStatus, Origin

FAST = RecommenderSettings(epochs=4, patience=2, frames=2, taste_weight=0.0)
"""The model alone ranks here (its order is what these tests check); the taste mix is tested with its weights."""


class _Retrieve:
    """These steps carry no words; a turn with words only ever retrieves."""

    def decide(self, state: object) -> Decision:
        return Decision()


def _settings(home: Path) -> Settings:
    return Settings(home=home, recommender=FAST)


@pytest.fixture(scope="session")
def trained_template(loop_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test world's store with an (untrained, real) encoder and one recommender trained from the store."""
    import torch

    from generec.encoders.dual import GeneRecEncoder

    home = tmp_path_factory.mktemp("rec") / "home"
    shutil.copytree(loop_template, home, ignore=shutil.ignore_patterns("world"))
    GeneRecEncoder(seed=0).save_pretrained(home / "models" / "encoder")
    settings = _settings(home)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with Store.open(settings) as store:
            train_from_store(settings, store, MediaStore(settings.media_dir))
    finally:
        torch.set_num_threads(threads)
    return home


@pytest.fixture
def trained(trained_template: Path, tmp_path: Path):
    home = tmp_path / "home"
    shutil.copytree(trained_template, home)
    gr = GeneRec.from_config(_settings(home), instructor=_Retrieve())
    yield gr
    gr.close()


def _user_with_events(gr: GeneRec) -> str:
    served = gr.ranker.served
    return next(u for u in served.user_index if gr.store.events_for_user(u, limit=1))


def test_the_trained_recommender_ranks_the_feed(trained) -> None:
    assert isinstance(trained.ranker, RecommenderRanker)
    info = trained.ranker.describe()
    assert info["ranker"] == "recommender" and not info["fallback"]
    assert info["model"].startswith("mmgcn") and info["version"] == current_version(trained.settings).name
    user = _user_with_events(trained)
    served = trained.ranker.served
    response = trained.session(user).step(k=5)
    got = [s.item.id for s in response.items]
    assert len(got) == 5
    # The order is the model's: its scores of the shown items, highest first (nothing judged yet is left out).
    vec = served.user_vectors[served.user_index[user]]
    scores = [float(served.item_vectors[served.item_index[i]] @ vec) for i in got]
    assert scores == sorted(scores, reverse=True)


def test_no_model_means_the_tag_ranker_and_health_says_why(loop) -> None:
    info = loop.ranker.describe()
    assert info["ranker"] == "tags" and info["fallback"] is True
    assert "generec train model --from-store" in info["why"]
    assert loop.session("ann").step(k=3).items  # the feed still works


def test_new_item_is_scored_from_content_on_the_scale_of_known_items(trained) -> None:
    gr = trained
    user = _user_with_events(gr)
    parent = gr.store.list_items(viewer=None, limit=1)[0]
    new = Item(id="v-new-upload", title=parent.title, caption=parent.caption, media_hash=parent.media_hash,
               thumbnail_hash=parent.thumbnail_hash, attributes=dict(parent.attributes))  # fmt: skip
    gr.store.add_item(new)
    served = gr.ranker.served
    assert new.id not in served.item_index  # uploaded after training: no interactions, no learned vector
    assert gr.ranker.prepare([new]) == 1 and new.id in served.cold
    items = gr.store.list_items(viewer=None, limit=None)
    scores = served.scores(served.user_vector(user, []), items)
    assert np.isfinite(scores).all()
    ids = [i.id for i in items]
    warm = np.delete(scores, ids.index(new.id))
    mine = float(scores[ids.index(new.id)])
    assert warm.min() - 1.0 <= mine <= warm.max() + 1.0  # calibrated: on the scale of the known items
    ranked = gr.ranker.rank_user(user, [], {}, {}, items, k=len(items))
    assert new.id in [c.item_id for c in ranked]


def test_an_unknown_user_is_folded_in_from_their_likes(trained) -> None:
    gr = trained
    served = gr.ranker.served
    assert "ann" not in served.user_index
    assert served.user_vector("ann", []) is None  # nothing to place them by: the tag ranker's popularity
    s = gr.session("ann")
    first = s.step(k=4).items
    liked = first[-1].item
    r = s.step(events=[Event("ann", liked.id, EventKind.LIKE, time.time())], k=4)
    assert liked.id not in [x.item.id for x in r.items]  # judged items drop out
    vec = served.user_vector("ann", gr.store.events_for_user("ann"))
    assert vec is not None and np.allclose(vec, served.item_vectors[served.item_index[liked.id]])


def test_what_the_user_asks_for_ranks_first(trained) -> None:
    gr = trained
    user = _user_with_events(gr)
    items = gr.visible_items(user)
    category = items[0].attributes["category"]
    ranked = gr.ranker.rank_user(user, [], {"category": (category,)}, {}, items, k=len(items))
    flags = [gr.store.get_item(c.item_id, system=True).attributes.get("category") == category for c in ranked]
    n = sum(flags)
    assert n >= 1 and all(flags[:n]) and not any(flags[n:])


def test_steps_during_model_swaps_all_answer(trained) -> None:
    gr = trained
    old = gr.ranker.served
    other = load_served(gr.settings, gr.media, current_version(gr.settings))
    users = list(old.user_index)[:4] + ["ann"]
    errors: list[BaseException] = []
    answered = []
    stop = threading.Event()

    def steps(user: str) -> None:
        s = gr.session(user)
        while not stop.is_set():
            try:
                answered.append(len(s.step(k=5).items))
            except BaseException as exc:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(exc)

    threads = [threading.Thread(target=steps, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for n in range(40):
        gr.ranker.swap(other if n % 2 == 0 else old)
        time.sleep(0.01)
    stop.set()
    for t in threads:
        t.join(10)
    assert not errors, errors[:1]
    assert answered and all(n == 5 for n in answered)


def test_training_needs_clicks_and_a_failed_job_says_why(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with Store.open(settings) as store:
        media = MediaStore(settings.media_dir)
        with pytest.raises(DataError, match="no public items"):
            train_from_store(settings, store, media)
        job = queue_training(store)
        assert queue_training(store).id == job.id  # one retraining at a time
        claimed = store.claim_job("w", kinds=[TRAIN_JOB])
        done = run_training_job(settings, store, media, claimed, "w")
        assert done.status is JobStatus.FAILED and "no public items" in done.error
    assert current_version(settings) is None


def test_a_broken_version_falls_back_to_tags_and_says_so(trained_template: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(trained_template, home)
    settings = _settings(home)
    version = current_version(settings)
    (version / "state.pt").write_bytes(b"not a model")
    ranker = RecommenderRanker.from_settings(settings, MediaStore(settings.media_dir))
    info = ranker.describe()
    assert info["ranker"] == "tags" and "could not be loaded" in info["why"]


def _copy_current_as_new_version(settings: Settings) -> Path:
    """A second version (the same weights under a new name), made current as a retraining would."""
    from generec.pipeline_versions import publish_version

    current = current_version(settings)
    fresh = current.parent / f"{current.name}-next"
    shutil.copytree(current, fresh)
    publish_version(settings, fresh)
    return fresh


def test_the_service_swaps_in_a_new_version_without_a_restart(trained) -> None:
    from fastapi.testclient import TestClient

    from generec.service.app import create_app
    from generec.service.retrain import ModelKeeper

    keeper = ModelKeeper(trained)
    assert keeper.check() is False  # the version in use is current
    fresh = _copy_current_as_new_version(trained.settings)
    assert keeper.check() is True and keeper.swaps == 1
    assert trained.ranker.served.version == fresh.name
    assert keeper.check() is False
    app = create_app(trained, start_workers=False, warm_instructor=False, keep_model=False)
    with TestClient(app) as client:
        ranker = client.get("/api/health").json()["ranker"]
    assert ranker["ranker"] == "recommender" and ranker["version"] == fresh.name


def test_train_from_store_cli_queues_or_trains_and_rejects_mixed_options(trained_template: Path, tmp_path: Path,
                                                                         capsys) -> None:  # fmt: skip
    from generec.cli import main

    home = tmp_path / "home"
    shutil.copytree(trained_template, home)
    assert main(["train", "model", "--from-store", "--home", str(home), "--dataset", "d"]) == 1
    assert "leave out --dataset" in capsys.readouterr().err
    assert main(["train", "model", "--from-store", "--home", str(home), "-m", "bpr"]) == 1
    assert "mmgcn or lightgcn" in capsys.readouterr().err
    assert main(["train", "model", "--dataset", "d"]) == 1
    assert "--from-store" in capsys.readouterr().err
    assert main(["train", "model", "--from-store", "--home", str(home), "--queue"]) == 0
    assert "queued retraining job" in capsys.readouterr().out
    with Store.open(Settings(home=home)) as store:
        queued = store.list_jobs(kind=TRAIN_JOB, status="queued")
    assert len(queued) == 1  # asking twice queues one job
    assert main(["train", "model", "--from-store", "--home", str(home), "--queue"]) == 0
    with Store.open(Settings(home=home)) as store:
        assert len(store.list_jobs(kind=TRAIN_JOB)) == 1


@pytest.mark.slow
def test_a_queued_retraining_runs_in_a_child_process_and_is_swapped_in(trained) -> None:
    from generec.service.retrain import ModelKeeper

    before = trained.ranker.served.version
    job = queue_training(trained.store, "test")
    keeper = ModelKeeper(trained)
    done = keeper.train_queued()
    assert done.id == job.id and done.status is JobStatus.DONE, done.error
    assert keeper.check() is True
    assert trained.ranker.served.version != before
    assert trained.session(_user_with_events(trained)).step(k=3).items


def _run_edit(gr: GeneRec, user: str, item_id: str, words: str, wants: dict, liked: list[str]) -> dict:
    decision = Decision("edit_thumbnail", "", "edit", "thumbnail_selection", item_id, wants=wants)
    gr.enqueue(user, decision, words, liked)
    job = gr.store.claim_job("w", kinds=gr.job_kinds)
    done = gr.run_job(job, "w")
    assert done.status is JobStatus.DONE, done.error
    return gr.store.get_provenance(done.result_item_id).params


def test_a_cover_for_me_is_chosen_by_user_hist_unless_the_user_names_what_they_want(trained) -> None:
    gr = trained
    assert "thumbnail_selection" in gr.runners  # the home's encoder: Eq. 1 selection, as in the service
    user = _user_with_events(gr)
    liked = [e.item_id for e in gr.store.events_for_user(user) if e.is_positive][:3]
    target = gr.store.list_items(viewer=None, limit=1)[0]
    mine = _run_edit(gr, user, target.id, "make a new cover for me", {}, liked)
    assert mine["guided_by"] == "user_hist"  # the frame nearest their taste, not nearest the words
    named = _run_edit(gr, user, target.id, "a cover with the dog", {"category": ("dog",)}, liked)
    assert named["guided_by"] == "instruction"
    nothing_liked = _run_edit(gr, "ann", target.id, "make a new cover for me", {}, [])
    assert nothing_liked["guided_by"] == "instruction"  # no history yet: the words are all there is


def _shown_and_clicked(gr: GeneRec, user: str, items: list[Item], liked: set[str]) -> list[Event]:
    """The user was shown every item and clicked those in ``liked`` (stored, as the service stores them)."""
    now = time.time()
    events = [Event(user, i.id, EventKind.IMPRESSION, now + k) for k, i in enumerate(items)]
    events += [Event(user, i, EventKind.CLICK, now + len(items) + k) for k, i in enumerate(sorted(liked))]
    gr.store.add_events(events)
    return gr.store.events_for_user(user, limit=200)


def _made(like: Item, item_id: str) -> Item:
    """An AI item with ``like``'s media and attributes (what a made item carries: the values asked for)."""
    attrs = {k: like.attributes[k] for k in ("category", "colour", "scene", "style", "motion", "size")}
    return Item(id=item_id, title="A new video for you", origin=Origin.AI, media_hash=like.media_hash,
                thumbnail_hash=like.thumbnail_hash, attributes=attrs)  # fmt: skip


def test_a_made_item_matching_the_users_clicks_ranks_above_one_against_them(trained) -> None:
    gr = trained
    items = gr.visible_items("ann")
    category = items[0].attributes["category"]
    liked = {i.id for i in items if i.attributes["category"] == category}
    events = _shown_and_clicked(gr, "ann", items, liked)
    other = next(i for i in items if i.id not in liked)
    # Two made items with the same media (the model's content score cannot tell them apart): one described
    # by the values of an item the user clicked, one by those of an item they saw and passed over.
    mine, not_mine = _made(items[0], "ai-mine"), _made(other, "ai-not-mine")
    not_mine.media_hash, not_mine.thumbnail_hash = mine.media_hash, mine.thumbnail_hash
    pool = [*items, mine, not_mine]
    ranker = RecommenderRanker(gr.ranker.served, taste_weight=4.0)
    ranked = [c.item_id for c in ranker.rank_user("ann", events, {}, {}, pool, k=len(pool))]
    assert ranked.index("ai-mine") < ranked.index("ai-not-mine")
    # The taste is the user's own: with no events, the same two are ranked by the population's taste alone.
    taste_then = gr.ranker.served.taste_scores([], [mine, not_mine], known=items)
    taste_now = gr.ranker.served.taste_scores(events, [mine, not_mine], known=items)
    assert taste_now[0] - taste_now[1] > taste_then[0] - taste_then[1]


def test_human_and_made_items_share_one_scale(trained) -> None:
    gr = trained
    user = _user_with_events(gr)
    served = gr.ranker.served
    items = gr.store.list_items(viewer=None, limit=None)
    copy = _made(items[0], "ai-copy")
    gr.ranker.prepare([copy])
    events = gr.store.events_for_user(user, limit=200)
    # The taste scores a made item by its attributes exactly as it scores a human item with the same ones ...
    taste = served.taste_scores(events, [*items, copy])
    assert taste[-1] == pytest.approx(taste[0])
    # ... and the model's content score of it is calibrated to the human items' range.
    scores = served.scores(served.user_vector(user, events), [*items, copy])
    assert scores[:-1].min() - 1.0 <= scores[-1] <= scores[:-1].max() + 1.0
    ranked = RecommenderRanker(served, taste_weight=4.0).rank_user(user, events, {}, {}, [*items, copy], k=40)
    assert "ai-copy" in [c.item_id for c in ranked]


def test_the_taste_weight_mixes_the_users_taste_into_the_models_order(trained) -> None:
    gr = trained
    user = _user_with_events(gr)
    items = gr.visible_items(user)
    events = gr.store.events_for_user(user, limit=200)
    served = gr.ranker.served
    assert gr.ranker.describe()["taste"] == "learned"
    n = len(items)
    model_only = RecommenderRanker(served, taste_weight=0.0).rank_user(user, events, {}, {}, items, n)
    heavy = RecommenderRanker(served, taste_weight=1000.0).rank_user(user, events, {}, {}, items, n)
    vec = served.user_vectors[served.user_index[user]]
    order = sorted(items, key=lambda i: -float(served.item_vectors[served.item_index[i.id]] @ vec))
    assert [c.item_id for c in model_only] == [i.id for i in order]  # weight 0: the model's own order
    taste = dict(zip([i.id for i in items], served.taste_scores(events, items), strict=True))
    heavy_taste = [taste[c.item_id] for c in heavy]
    assert heavy_taste == sorted(heavy_taste, reverse=True)  # a heavy weight: the taste's order


def test_a_version_trained_without_a_taste_ranks_by_the_model_and_says_so(trained_template: Path,
                                                                          tmp_path: Path) -> None:  # fmt: skip
    from generec.recommender.taste import TASTE_FILE

    home = tmp_path / "home"
    shutil.copytree(trained_template, home)
    settings = _settings(home)
    (current_version(settings) / TASTE_FILE).unlink()
    ranker = RecommenderRanker.from_settings(settings, MediaStore(settings.media_dir))
    info = ranker.describe()
    assert info["ranker"] == "recommender" and info["taste"].startswith("none")
    served = ranker.served
    user = next(iter(served.user_index))
    with Store.open(settings) as store:
        items = store.list_items(viewer=None, limit=None)
    assert served.taste_scores([], items) is None
    weighted = RecommenderRanker(served, taste_weight=4.0).rank_user(user, [], {}, {}, items, len(items))
    alone = RecommenderRanker(served, taste_weight=0.0).rank_user(user, [], {}, {}, items, len(items))
    assert [c.item_id for c in weighted] == [c.item_id for c in alone]


def test_a_made_item_without_attributes_is_placed_by_its_content(trained) -> None:
    # The taste cannot describe an item with no attribute values it knows: it says so (NaN), and the ranker
    # places such items by the model's content score instead of at the average taste.
    gr = trained
    user = _user_with_events(gr)
    served = gr.ranker.served
    items = gr.store.list_items(viewer=None, limit=None)
    events = gr.store.events_for_user(user, limit=200)
    vec = served.user_vector(user, events)
    by_model = sorted(items, key=lambda i: -float(served.item_vectors[served.item_index[i.id]] @ vec))
    bare = [Item(id=f"ai-bare-{k}", title="A new video for you", origin=Origin.AI, media_hash=i.media_hash,
                 thumbnail_hash=i.thumbnail_hash) for k, i in enumerate((by_model[0], by_model[-1]))]  # fmt: skip
    gr.ranker.prepare(bare)
    pool = [*items, *bare]
    taste = served.taste_scores(events, pool)
    assert np.isnan(taste[-2:]).all() and np.isfinite(taste[:-2]).all()
    ranked = RecommenderRanker(served, taste_weight=4.0).rank_user(user, events, {}, {}, pool, k=len(pool))
    scores = {c.item_id: c.score for c in ranked}
    assert all(np.isfinite(list(scores.values())))
    content = served.scores(vec, bare)
    first, second = ("ai-bare-0", "ai-bare-1") if content[0] > content[1] else ("ai-bare-1", "ai-bare-0")
    assert scores[first] > scores[second]
