import numpy as np
import pytest

from generec.data.dataset import Dataset
from generec.errors import DataError


def _dataset(n_items=10, extra_events=()):
    items = [{"id": f"v{i}", "title": f"item {i}"} for i in range(n_items)]
    users = [{"id": "u1"}, {"id": "u2"}]
    events = [{"user_id": "u1", "item_id": f"v{i}", "kind": "click", "ts": float(i)} for i in range(n_items)]
    events += [{"user_id": "u2", "item_id": "v3", "kind": "like", "ts": 5.0}]
    events += list(extra_events)
    return Dataset.from_records(items=items, users=users, events=events)


def test_split_is_chronological_per_user():
    ds = _dataset(
        n_items=10,
        extra_events=[{"user_id": "u2", "item_id": f"v{i}", "kind": "click", "ts": 20.0 - i} for i in range(10)],
    )
    s = ds.validate().split(valid=0.1, test=0.1)
    u1 = int(np.searchsorted(s.user_ids, "u1"))
    test_items = {s.item_ids[i] for u, i in s.test if u == u1}
    valid_items = {s.item_ids[i] for u, i in s.valid if u == u1}
    train_items = {s.item_ids[i] for u, i in s.train if u == u1}
    assert test_items == {"v9"} and valid_items == {"v8"}
    assert train_items == {f"v{i}" for i in range(8)}
    # no pair appears in two parts
    parts = [set(map(tuple, p.tolist())) for p in (s.train, s.valid, s.test)]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])


def test_split_drops_items_never_seen_in_training():
    s = _dataset(n_items=10).split()
    assert len(s.test) == 0  # v9 is only ever seen by u1, at the end


def test_split_ignores_non_positive_events():
    ds = _dataset(extra_events=[{"user_id": "u2", "item_id": "v1", "kind": "dislike", "ts": 1.0}])
    s = ds.split()
    u2 = int(np.searchsorted(s.user_ids, "u2"))
    assert {s.item_ids[i] for u, i in s.train if u == u2} == {"v3"}


def test_unknown_user_in_events_is_rejected():
    ds = _dataset(extra_events=[{"user_id": "ghost", "item_id": "v1", "kind": "click", "ts": 1.0}])
    with pytest.raises(DataError, match="unknown user id.*ghost"):
        ds.validate()


def test_unknown_event_kind_is_rejected():
    ds = _dataset(extra_events=[{"user_id": "u1", "item_id": "v1", "kind": "purchase", "ts": 1.0}])
    with pytest.raises(DataError, match="purchase"):
        ds.validate()


def test_duplicate_item_ids_are_rejected():
    ds = Dataset.from_records(items=[{"id": "a"}, {"id": "a"}], users=[{"id": "u"}], events=[])
    with pytest.raises(DataError, match="duplicate id 'a'"):
        ds.validate()


def test_missing_required_column_is_named():
    import pandas as pd

    with pytest.raises(DataError, match="events table is missing required column.*ts"):
        Dataset(
            pd.DataFrame({"id": ["a"]}),
            pd.DataFrame({"id": ["u"]}),
            pd.DataFrame({"user_id": ["u"], "item_id": ["a"], "kind": ["click"]}),
        )


def test_save_and_load_roundtrip(tmp_path):
    ds = _dataset()
    ds.items.loc[0, "media"] = "media/v0.mp4"
    ds.save(tmp_path / "ds")
    back = Dataset.load(tmp_path / "ds")
    assert back.items["id"].tolist() == ds.items["id"].tolist()
    assert len(back.events) == len(ds.events)
    assert back.media_path("v0") == tmp_path / "ds" / "media" / "v0.mp4"
    assert back.media_path("v1") is None


def test_loading_a_non_dataset_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="not a GeneRec dataset"):
        Dataset.load(tmp_path)
