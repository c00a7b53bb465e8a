import pytest

from generec.types import (
    Event,
    EventKind,
    Item,
    ItemStatus,
    Origin,
    Visibility,
)


def test_public_item_is_visible_to_everyone():
    item = Item(id="v1")
    assert item.visible_for("u1")
    assert item.visible_for(None)


def test_private_item_is_visible_only_to_its_user():
    item = Item(id="ai1", origin=Origin.AI, visibility=Visibility.PRIVATE, visible_to="u1")
    assert item.is_ai
    assert item.visible_for("u1")
    assert not item.visible_for("u2")
    assert not item.visible_for(None)


def test_expired_item_is_hidden_from_everyone():
    item = Item(id="ai2", origin=Origin.AI, expires_at=100.0)
    assert item.visible_for("u1", now=99.0)
    assert not item.visible_for("u1", now=100.0)


def test_items_are_active_by_default():
    assert Item(id="v1").status is ItemStatus.ACTIVE
    assert Item(id="ai3", origin=Origin.AI).status is ItemStatus.ACTIVE


@pytest.mark.parametrize("status", [ItemStatus.PENDING, ItemStatus.BLOCKED])
def test_pending_and_blocked_items_are_hidden_from_everyone(status):
    public = Item(id="ai4", origin=Origin.AI, status=status)
    own = Item(id="ai5", origin=Origin.AI, visibility=Visibility.PRIVATE, visible_to="u1", status=status)
    for item in (public, own):
        assert not item.visible_for("u1")
        assert not item.visible_for("u1", now=0.0)
        assert not item.visible_for(None)


def test_status_and_expiry_are_independent():
    blocked = Item(id="ai6", origin=Origin.AI, status=ItemStatus.BLOCKED, expires_at=None)
    assert blocked.expires_at is None and not blocked.visible_for("u1", now=1e12)
    expiring = Item(id="ai7", origin=Origin.AI, status=ItemStatus.ACTIVE, expires_at=100.0)
    assert expiring.visible_for("u1", now=50.0) and not expiring.visible_for("u1", now=150.0)


def test_item_status_values_are_the_stored_strings():
    assert [s.value for s in ItemStatus] == ["pending", "active", "blocked"]
    assert Item(id="v2", status="active").visible_for(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ItemStatus("hidden")


def test_event_polarity():
    assert Event("u", "i", EventKind.DISLIKE, ts=1).is_negative
    assert Event("u", "i", EventKind.SKIP, ts=1).is_negative
    assert Event("u", "i", EventKind.LIKE, ts=1).is_positive
    dwell = Event("u", "i", EventKind.DWELL, ts=1, value=3.5)
    assert not dwell.is_negative and not dwell.is_positive
