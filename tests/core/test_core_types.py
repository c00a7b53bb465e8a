from generec.types import (
    Event,
    EventKind,
    Item,
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


def test_event_polarity():
    assert Event("u", "i", EventKind.DISLIKE, ts=1).is_negative
    assert Event("u", "i", EventKind.SKIP, ts=1).is_negative
    assert Event("u", "i", EventKind.LIKE, ts=1).is_positive
    dwell = Event("u", "i", EventKind.DWELL, ts=1, value=3.5)
    assert not dwell.is_negative and not dwell.is_positive
