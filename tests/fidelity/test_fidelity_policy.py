"""The policy: every enabled check leaves a stored verdict; failures are hidden but kept for audit."""

from __future__ import annotations

import numpy as np
import pytest

from generec.errors import ConfigError, NotFoundError
from generec.fidelity.base import Subject
from generec.fidelity.evalset import photo_frames
from generec.fidelity.identifiability import label_item
from generec.fidelity.policy import FidelityPolicy, ensure_checked, is_blocked
from generec.fidelity.watermark import Watermarker
from generec.types import Authorship, Item, ItemStatus, Origin, Provenance

CHECKS = ["identifiability", "safety", "privacy", "leakage", "wording", "consent", "quality", "relevance"]


@pytest.fixture(scope="module")
def clip() -> list[np.ndarray]:
    frame = photo_frames(1, 64, seed=9)[0]
    return [np.roll(frame, i, axis=1) for i in range(6)]


def generated(item_id: str, clip, title: str = "A walk by the lake") -> Subject:
    item = label_item(Item(id=item_id, origin=Origin.AI, title=title, created_at=1.0))
    wm = Watermarker()
    prov = Provenance(item_id=item_id, made_by="creator", task="video", authorship=Authorship.PLATFORM)
    return Subject(item, frames=[wm.embed(f, item_id) for f in clip], provenance=prov)


def test_passing_item_is_exposed_with_a_verdict_for_every_check(store, clip):
    policy = FidelityPolicy.build(checks=CHECKS, store=store)
    result = policy.check_and_record(generated("g-ok", clip), store)
    assert result.passed, result.verdicts
    stored = store.verdicts_for("g-ok")
    assert sorted(v.check for v in stored) == sorted(CHECKS)
    assert all(v.evidence for v in stored)
    item = store.get_item("g-ok", viewer="alice")
    assert item.status is ItemStatus.ACTIVE and item.expires_at is None
    assert item.attributes["fidelity"]["status"] == "passed" and not is_blocked(item)
    assert item.attributes["ai_label"]


def test_failing_item_is_never_exposed_but_kept_for_audit(store, clip):
    policy = FidelityPolicy.build(checks=CHECKS, store=store)
    subject = generated("g-bad", clip, title="mail me at jane.doe@example.com, you fucking idiot")
    result = policy.check_and_record(subject, store)
    assert not result.passed and set(result.blocked_by) == {"safety", "privacy"}
    with pytest.raises(NotFoundError):
        store.get_item("g-bad", viewer="alice")
    assert [i.id for i in store.list_items(viewer="alice")] == []
    audit = store.get_item("g-bad", system=True)
    assert audit.status is ItemStatus.BLOCKED and audit.attributes["fidelity"]["failed"] == ["safety", "privacy"]
    assert audit.expires_at is None  # blocking is a status, not a fake expiry
    assert [i.id for i in store.list_items(system=True, status=ItemStatus.BLOCKED)] == ["g-bad"]
    assert len(store.verdicts_for("g-bad")) == len(CHECKS)
    assert is_blocked(audit) and ensure_checked([audit]) == []


def test_unwatermarked_unlabelled_item_is_blocked(store, clip):
    subject = Subject(Item(id="g-raw", origin=Origin.AI, title="raw"), frames=clip)
    result = FidelityPolicy.build(checks=["identifiability"]).check_and_record(subject, store)
    assert not result.passed
    evidence = store.verdicts_for("g-raw")[0].evidence
    assert "no AI label" in evidence and "watermark" in evidence


def test_a_crashing_check_fails_closed(store, clip):
    class Broken:
        name = "broken"

        def check(self, subject):
            raise RuntimeError("model file missing")

    result = FidelityPolicy([Broken()]).check_and_record(generated("g-crash", clip), store)
    assert not result.passed
    (v,) = store.verdicts_for("g-crash")
    assert not v.passed and "model file missing" in v.evidence
    assert store.get_item("g-crash", system=True).status is ItemStatus.BLOCKED


def test_an_interrupted_check_leaves_the_item_pending_and_unseen(store, clip):
    class Interrupted:  # e.g. the worker is stopped (Ctrl-C, SIGTERM) in the middle of a check
        name = "interrupted"

        def check(self, subject):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        FidelityPolicy([Interrupted()]).check_and_record(generated("g-half", clip), store)
    stored = store.get_item("g-half", system=True)
    assert stored.status is ItemStatus.PENDING and is_blocked(stored)
    with pytest.raises(NotFoundError):
        store.get_item("g-half", viewer="alice")
    assert [i.id for i in store.list_items(system=True, status="pending")] == ["g-half"]
    assert store.verdicts_for("g-half") == []


def test_an_item_already_in_the_store_is_hidden_until_it_passes(store, clip):
    subject = generated("g-pre", clip, title="you stupid bitch")
    store.add_item(subject.item)  # stored visible by a careless caller
    FidelityPolicy.build(checks=["safety"]).check_and_record(subject, store)
    with pytest.raises(NotFoundError):
        store.get_item("g-pre", viewer="bob")
    assert store.get_item("g-pre", system=True).status is ItemStatus.BLOCKED


def test_intended_expiry_is_kept_through_the_checks(store, clip, clock):
    subject = generated("g-ttl", clip)
    subject.item.expires_at = clock.now + 3600
    assert FidelityPolicy.build(checks=["wording"]).check_and_record(subject, store).passed
    item = store.get_item("g-ttl", viewer="alice")
    assert (item.status, item.expires_at) == (ItemStatus.ACTIVE, clock.now + 3600)


def test_is_blocked_reads_the_status():
    checked = {"fidelity": {"status": "passed"}}
    assert not is_blocked(Item(id="h"))  # human uploads need no fidelity record
    assert is_blocked(Item(id="h", status=ItemStatus.BLOCKED))
    assert not is_blocked(Item(id="a", origin=Origin.AI, attributes=checked))
    assert is_blocked(Item(id="a", origin=Origin.AI, attributes=checked, status=ItemStatus.PENDING))
    assert is_blocked(Item(id="a", origin=Origin.AI))  # never checked: fail closed
    # An admin who clears a blocked item after review makes it showable again.
    overridden = Item(id="a", origin=Origin.AI, attributes={"fidelity": {"status": "blocked"}})
    assert not is_blocked(overridden)
    assert [i.id for i in ensure_checked([Item(id="h"), overridden, Item(id="x", origin=Origin.AI)])] == ["h", "a"]


def test_expire_after_viewing(store, clip, clock):
    policy = FidelityPolicy.build(checks=["wording"], expire_after_view_s=60.0)
    policy.check_and_record(generated("g-exp", clip), store)
    policy.record_view(store, "g-exp", viewed_at=clock.now)
    assert store.get_item("g-exp", viewer="alice").expires_at == clock.now + 60
    clock.now += 61
    with pytest.raises(NotFoundError):
        store.get_item("g-exp", viewer="alice")
    assert store.get_item("g-exp", system=True).status is ItemStatus.ACTIVE  # expired, not blocked
    human = Item(id="h1")
    assert policy.expire_after_view(human, 0.0).expires_at is None


def test_domain_and_audience_presets():
    news = FidelityPolicy.build("news", checks=["authenticity"])
    assert news.checks[0].strict
    teen = FidelityPolicy.build(audience="teen", checks=["safety", "faces"])
    assert teen.checks[0].toxic_threshold < FidelityPolicy.build(checks=["safety"]).checks[0].toxic_threshold
    kids = FidelityPolicy.build("kids", audience="kids", checks=["faces"])
    import skimage.data

    assert not kids.check(Subject(Item(id="k", origin=Origin.AI), frames=[skimage.data.astronaut()])).passed
    with pytest.raises(ConfigError, match="domain"):
        FidelityPolicy.build("sports")
    with pytest.raises(ConfigError, match="audience"):
        FidelityPolicy.build(audience="adults-only")
    with pytest.raises(ConfigError, match="twice"):
        FidelityPolicy.build(checks=["quality", "quality"])


def test_policy_from_settings_makes_keys_on_first_run(tmp_path, store, clip):
    from generec.config import Settings

    settings = Settings(home=tmp_path / "gr", fidelity={"audience": "teen", "checks": ["identifiability", "safety"]})
    policy = FidelityPolicy.from_settings(settings, store=store)
    assert (tmp_path / "gr" / "keys" / "signer.key").is_file()
    assert policy.names == ["identifiability", "safety"] and policy.audience == "teen"
    assert policy.check_and_record(generated("g-set", clip), store).passed
