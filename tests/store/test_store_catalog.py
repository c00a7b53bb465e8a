"""Users, items (visibility!), media records, provenance, verdicts and transactions."""

from __future__ import annotations

import dataclasses

import pytest

from generec.errors import NotFoundError, StoreError
from generec.store import Store
from generec.types import (
    Authorship,
    Item,
    Media,
    Modality,
    Origin,
    Provenance,
    Role,
    User,
    Verdict,
    Visibility,
)

HASH = "ab" * 32


def test_users_round_trip_and_duplicates_are_refused(store: Store) -> None:
    user = User(id="u1", name="Ann", role=Role.UPLOADER, created_at=5.0, attributes={"lang": "en"})
    assert store.add_user(user) == user
    assert store.get_user("u1") == user
    with pytest.raises(StoreError, match="already exists"):
        store.add_user(User(id="u1"))
    with pytest.raises(StoreError, match="twice"):
        store.add_users([User(id="x"), User(id="x")])
    assert store.counts()["users"] == 1  # the failed batch stored nothing
    with pytest.raises(NotFoundError, match="user 'nobody' not found"):
        store.get_user("nobody")
    store.add_users([User(id="u0"), User(id="u2")])
    assert [u.id for u in store.list_users(limit=2)] == ["u0", "u1"]


def test_item_round_trip_with_media(populated: Store) -> None:
    media = Media(hash=HASH, mime="video/mp4", size_bytes=10, width=64, height=64, frames=16, fps=8.0, duration=2.0)
    item = Item(
        id="v9",
        title="t",
        modality=Modality.IMAGE,
        uploader_id="up",
        media_hash=HASH,
        thumbnail_hash=HASH,
        license="CC-BY",
        attributes={"colour": "red", "shots": [1, 2]},
    )
    populated.add_item(item, media=[media])
    assert populated.get_item("v9") == item
    assert populated.get_media(HASH) == media
    assert populated.add_media(dataclasses.replace(media, mime="other/x")) == media  # first record wins


def test_item_references_must_exist(populated: Store) -> None:
    with pytest.raises(NotFoundError, match="user 'ghost'"):
        populated.add_item(Item(id="x", uploader_id="ghost"))
    with pytest.raises(NotFoundError, match="parent item 'nope'"):
        populated.add_item(Item(id="x", parent_id="nope"))
    with pytest.raises(NotFoundError, match="media"):
        populated.add_item(Item(id="x", media_hash=HASH))
    with pytest.raises(NotFoundError, match="user 'ghost'"):  # the media record given with it is not kept
        populated.add_item(Item(id="x", uploader_id="ghost", media_hash=HASH), media=[Media(HASH, "video/mp4")])
    with pytest.raises(StoreError, match="already exists"):
        populated.add_item(Item(id="v1"))
    with pytest.raises(StoreError, match="private but names no user"):
        populated.add_item(Item(id="x", visibility=Visibility.PRIVATE))
    with pytest.raises(NotFoundError, match="media"):
        populated.get_media(HASH)
    assert populated.counts()["items"] == 3


def test_private_ai_items_are_visible_only_to_their_user(populated: Store) -> None:
    assert populated.get_item("ai1", viewer="u1").visible_to == "u1"
    for viewer in ("u2", None):
        with pytest.raises(NotFoundError, match="not found"):
            populated.get_item("ai1", viewer=viewer)
    assert populated.get_item("ai1", system=True).id == "ai1"
    assert [i.id for i in populated.list_items(viewer="u1")] == ["v1", "v2", "ai1"]
    assert [i.id for i in populated.list_items(viewer="u2")] == ["v1", "v2"]
    assert [i.id for i in populated.list_items()] == ["v1", "v2"]
    assert [i.id for i in populated.get_items(["ai1", "v2", "missing", "v1"], viewer="u2")] == ["v2", "v1"]
    assert [i.id for i in populated.get_items(["ai1", "v2"], viewer="u1")] == ["ai1", "v2"]


def test_expired_items_disappear(populated: Store, clock) -> None:
    populated.add_item(Item(id="tmp", origin=Origin.AI, expires_at=clock.now + 10))
    assert populated.get_item("tmp").id == "tmp"
    clock.advance(10)
    with pytest.raises(NotFoundError):
        populated.get_item("tmp")
    assert "tmp" not in [i.id for i in populated.list_items()]


def test_list_filters_and_search(populated: Store) -> None:
    assert [i.id for i in populated.list_items(viewer="u1", origin="ai")] == ["ai1"]
    assert [i.id for i in populated.list_items(uploader_id="up")] == ["v1", "v2"]
    assert [i.id for i in populated.list_items(viewer="u1", parent_id="v1")] == ["ai1"]
    assert populated.list_items(modality=Modality.IMAGE) == []
    assert [i.id for i in populated.search_items("RED CAR", viewer="u1")] == ["v1", "ai1"]
    assert [i.id for i in populated.search_items("red car", viewer="u2")] == ["v1"]
    assert [i.id for i in populated.search_items("two cats")] == ["v2"]
    # LIKE wildcards in user text are matched literally
    assert [i.id for i in populated.search_items("100%")] == ["v2"]
    assert populated.search_items("c_ts") == []  # "_" would match any character
    assert [i.id for i in populated.list_items(limit=1, offset=1)] == ["v2"]
    with pytest.raises(StoreError, match="origin 'robot' is not valid"):
        populated.list_items(origin="robot")


def test_update_item(populated: Store) -> None:
    item = populated.get_item("ai1", system=True)
    item.visibility, item.visible_to = Visibility.PUBLIC, None
    populated.update_item(item)
    assert populated.get_item("ai1", viewer="u2").visibility is Visibility.PUBLIC
    with pytest.raises(NotFoundError):
        populated.update_item(Item(id="missing"))
    with pytest.raises(NotFoundError, match="user 'ghost'"):
        populated.update_item(dataclasses.replace(item, uploader_id="ghost"))


def test_provenance_put_get_and_replace(populated: Store) -> None:
    prov = Provenance(
        item_id="ai1",
        made_by="generec.editor.style_transfer",
        task="style_transfer",
        model_id="tiny-unet@1",
        seed=2**40,
        parents=("v1",),
        authorship=Authorship.UPLOADER,
        author_id="up",
        requested_by="u1",
        created_at=3.0,
        params={"style": "watercolour"},
    )
    populated.put_provenance(prov)
    assert populated.get_provenance("ai1") == prov
    populated.put_provenance(dataclasses.replace(prov, seed=7))
    assert populated.get_provenance("ai1").seed == 7
    with pytest.raises(NotFoundError, match="provenance"):
        populated.get_provenance("v1")
    with pytest.raises(NotFoundError, match="item 'nope'"):
        populated.put_provenance(dataclasses.replace(prov, item_id="nope"))


def test_verdicts(populated: Store, clock) -> None:
    stored = populated.add_verdicts(
        [Verdict("safety", True, 0.9, "no unsafe content"), Verdict("privacy", False, 0.2, "face", details={"n": 1})],
        item_id="ai1",
    )
    assert all(v.item_id == "ai1" and v.created_at == clock.now for v in stored)
    got = populated.verdicts_for("ai1")
    assert [(v.check, v.passed, v.details) for v in got] == [("safety", True, {}), ("privacy", False, {"n": 1})]
    assert populated.verdicts_for("v1") == []
    with pytest.raises(NotFoundError):
        populated.verdicts_for("nope")
    with pytest.raises(NotFoundError, match="item 'nope'"):
        populated.add_verdicts([Verdict("safety", True, 1.0, "ok", item_id="nope")])
    with pytest.raises(StoreError, match="names no item"):
        populated.add_verdicts([Verdict("safety", True, 1.0, "ok")])


def test_transaction_groups_calls_all_or_nothing(populated: Store) -> None:
    with pytest.raises(NotFoundError), populated.transaction():
        populated.add_item(Item(id="gen", origin=Origin.AI))
        populated.put_provenance(Provenance(item_id="gen", made_by="creator", task="create_video"))
        populated.add_verdicts([Verdict("safety", True, 1.0, "ok")], item_id="missing")  # fails
    with pytest.raises(NotFoundError):
        populated.get_item("gen", system=True)
    with populated.transaction():
        populated.add_item(Item(id="gen", origin=Origin.AI))
        populated.put_provenance(Provenance(item_id="gen", made_by="creator", task="create_video"))
    assert populated.get_provenance("gen").task == "create_video"


def test_values_that_are_not_json_give_a_store_error(populated: Store) -> None:
    with pytest.raises(StoreError, match="could not be stored"):
        populated.add_item(Item(id="bad", attributes={"x": object()}))
    assert populated.counts()["items"] == 3


def test_counts(populated: Store) -> None:
    counts = populated.counts()
    assert counts["users"] == 3 and counts["items"] == 3
    assert counts["items_human"] == 2 and counts["items_ai"] == 1
    assert counts["events"] == counts["jobs"] == counts["jobs_queued"] == 0
    info = populated.info()
    assert info["revision"] and info["counts"] == counts
