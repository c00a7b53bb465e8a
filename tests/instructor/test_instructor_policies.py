"""Activation control, exposure policy and guidance building: the stated rules, one by one."""

from __future__ import annotations

import numpy as np
import pytest

from generec.errors import ConfigError
from generec.instructor.activation import ActivationPolicy, Create, Edit, Retrieve, negative_streak
from generec.instructor.dialogue import ConstraintSet
from generec.instructor.exposure import AI_LABEL, ExposureMode, ExposurePolicy
from generec.instructor.guidance import GuidanceBuilder
from generec.instructor.schema import Constraint, Intent, ItemRef, RefKind, Slots, Understanding
from generec.types import Candidate, Event, EventKind, Origin


def ev(item: str, kind: EventKind, ts: float, user: str = "u1") -> Event:
    return Event(user, item, kind, ts)


def U(intent: Intent, **attrs) -> Understanding:  # noqa: N802 - reads like the record it builds
    return Understanding(intent, 0.9, Slots(attributes={a: (v,) for a, v in attrs.items()}))


# ---------------------------------------------------------------- negative streak
def test_streak_counts_consecutive_negatives_on_human_items() -> None:
    events = [ev("h1", EventKind.SKIP, 1), ev("h2", EventKind.DISLIKE, 2), ev("h3", EventKind.SKIP, 3)]
    assert negative_streak(events, {}) == 3


def test_streak_is_reset_by_a_positive_signal() -> None:
    events = [ev("h1", EventKind.SKIP, 1), ev("h2", EventKind.SKIP, 2), ev("h3", EventKind.LIKE, 3),
              ev("h4", EventKind.SKIP, 4)]  # fmt: skip
    assert negative_streak(events, {}) == 1
    assert negative_streak([*events, ev("h5", EventKind.CLICK, 5)], {}) == 0


def test_streak_ignores_ai_items_and_neutral_events_and_order_of_input() -> None:
    origin = {"g1": Origin.AI}
    events = [ev("h1", EventKind.SKIP, 1), ev("g1", EventKind.DISLIKE, 2), ev("h2", EventKind.IMPRESSION, 3),
              ev("h2", EventKind.DWELL, 4), ev("h3", EventKind.SKIP, 5)]  # fmt: skip
    assert negative_streak(events, origin) == 2
    assert negative_streak(list(reversed(events)), origin) == 2
    assert negative_streak([], origin) == 0


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_generation_switches_on_exactly_at_n(n: int) -> None:
    policy = ActivationPolicy(negative_streak=n)
    assert isinstance(policy.decide(U(Intent.RECOMMEND), streak=n - 1).action, Retrieve)
    at = policy.decide(U(Intent.RECOMMEND), streak=n)
    assert at.action == Create("video") and at.reason == "negative_streak"
    # Feedback alone (no words) follows the same rule.
    assert isinstance(policy.decide(None, streak=n - 1).action, Retrieve)
    assert policy.decide(None, streak=n).action == Create("video")


def test_streak_does_not_hijack_questions_or_clearing() -> None:
    policy = ActivationPolicy(negative_streak=2)
    assert isinstance(policy.decide(U(Intent.ASK_WHY), streak=5).action, Retrieve)
    assert isinstance(policy.decide(U(Intent.CLEAR_CONSTRAINT), streak=5).action, Retrieve)


def test_invalid_streak_setting() -> None:
    with pytest.raises(ConfigError, match="at least 1"):
        ActivationPolicy(negative_streak=0)
    with pytest.raises(ConfigError):
        ExposurePolicy(negative_streak=0)


# ---------------------------------------------------------------- edit vs create
@pytest.mark.parametrize(
    ("intent", "task"),
    [(Intent.EDIT_CLIP, "clipping"), (Intent.EDIT_STYLE, "style_transfer"), (Intent.EDIT_REVISE, "revision"),
     (Intent.EDIT_THUMBNAIL, "thumbnail_selection")],
)  # fmt: skip
def test_explicit_edit_of_a_referenced_item(intent: Intent, task: str) -> None:
    act = ActivationPolicy().decide(U(intent), streak=0, item_id="v7")
    assert act.action == Edit(task, "v7") and act.generates


def test_thumbnail_with_content_is_generated_not_selected() -> None:
    act = ActivationPolicy().decide(U(Intent.EDIT_THUMBNAIL, category="dog"), item_id="v1")
    assert act.action == Edit("thumbnail_generation", "v1")


def test_edit_without_item_uses_a_close_match_above_threshold() -> None:
    calls = []

    def close_match(u: Understanding):
        calls.append(u)
        return ("v9", 0.91) if u.slots.values("category") == ("cat",) else ("v2", 0.4)

    policy = ActivationPolicy(close_match=close_match, close_match_threshold=0.8)
    assert policy.decide(U(Intent.EDIT_REVISE, category="cat", colour="red")).action == Edit("revision", "v9")
    # The best match is too far: the change becomes a creation instead.
    assert policy.decide(U(Intent.EDIT_REVISE, category="dog")).action == Create("video")
    assert len(calls) == 2


def test_edit_with_nothing_to_edit_asks_for_the_item() -> None:
    act = ActivationPolicy().decide(U(Intent.EDIT_CLIP), streak=0, item_id=None)
    assert act.action is None and act.reason == "needs_item"


def test_create_is_create_unless_it_changes_a_referenced_item() -> None:
    policy = ActivationPolicy(kind="image")
    assert policy.decide(U(Intent.CREATE, category="cat")).action == Create("image")
    assert policy.decide(U(Intent.CREATE, category="dog"), item_id="v3").action == Edit("revision", "v3")


def test_plain_requests_retrieve() -> None:
    for intent in (Intent.RECOMMEND, Intent.LIKE, Intent.DISLIKE, Intent.SET_CONSTRAINT, Intent.CHITCHAT):
        assert isinstance(ActivationPolicy().decide(U(intent), streak=0).action, Retrieve)


# ---------------------------------------------------------------- exposure
def test_exposure_rules() -> None:
    policy = ExposurePolicy(negative_streak=3)
    assert policy.decide(explicit=True, streak=0).mode is ExposureMode.DIRECT
    assert policy.decide(explicit=False, streak=3).reason == "negative_streak"
    assert policy.decide(explicit=False, streak=2).mode is ExposureMode.RANK
    for d in (policy.decide(True, 0), policy.decide(False, 3), policy.decide(False, 0)):
        assert d.label == AI_LABEL


def test_arrange_direct_and_ranked_always_labelled() -> None:
    policy = ExposurePolicy()
    human = [Candidate("h1", 0.9), Candidate("h2", 0.5), Candidate("h3", 0.1)]
    generated = [("g1", 0.3), ("g2", 0.7)]
    direct = policy.arrange(human, generated, policy.decide(True, 0))
    assert [e.item_id for e in direct] == ["g2", "g1", "h1", "h2", "h3"]
    ranked = policy.arrange(human, generated, policy.decide(False, 0), k=4)
    assert [e.item_id for e in ranked] == ["h1", "g2", "h2", "g1"]
    for e in direct + ranked:
        assert e.is_ai == e.item_id.startswith("g")
        assert (e.label == AI_LABEL) == e.is_ai
    # A tie keeps the human item first (no silent preference for generated content).
    tie = policy.arrange([Candidate("h1", 0.5)], [("g1", 0.5)], policy.decide(False, 0))
    assert [e.item_id for e in tie] == ["h1", "g1"]


# ---------------------------------------------------------------- guidance
class _Enc:
    """A tiny real encoder: bag of letters, normalised (any object with encode_texts works)."""

    def encode_texts(self, texts):
        out = np.zeros((len(texts), 26), dtype=np.float32)
        for i, t in enumerate(texts):
            for ch in t.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - 97] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_guidance_fills_every_signal() -> None:
    feats = {"a": [1.0, 0.0, 0.0], "b": [0.0, 1.0, 0.0], "c": [0.0, 0.0, 2.0]}
    builder = GuidanceBuilder(
        encoder=_Enc(),
        user_emb=lambda uid: np.ones(4) if uid == "u1" else None,
        item_features=lambda ids: np.array([feats[i] for i in ids]),
    )
    u = Understanding(
        Intent.CREATE, 0.9,
        Slots(attributes={"style": ("sketch",), "category": ("cat",)}, duration_s=6.0),
        (), (Constraint("category", "dog", True),),
    )  # fmt: skip
    standing = ConstraintSet(excluded={("scene", "snow")}, max_duration_s=10.0)
    g = builder.build(
        "u1", "a sketch of a cat, no dogs", u, liked=["a", "b", "a"], disliked=["c"], constraints=standing
    )
    np.testing.assert_allclose(g.user_hist, [0.5, 0.5, 0.0])
    np.testing.assert_allclose(g.disliked, [0.0, 0.0, 1.0])
    assert g.user_emb.shape == (4,) and g.instruction_emb.shape == (26,)
    assert g.style == "sketch" and g.length_s == 6.0
    assert g.constraints["exclude"] == [["category", "dog"], ["scene", "snow"]]
    assert g.constraints["max_duration_s"] == 10.0
    assert g.constraints["attributes"] == {"style": ["sketch"], "category": ["cat"]}


def test_guidance_with_no_history_and_no_models() -> None:
    g = GuidanceBuilder().build("u2")
    assert g.user_emb is None and g.user_hist is None and g.disliked is None and g.constraints == {}
    g = GuidanceBuilder().build("u2", understanding=Understanding(Intent.CREATE, 1.0, Slots(max_duration_s=5.0)))
    assert g.length_s == 5.0


def test_reference_types_are_plain_records() -> None:
    assert ItemRef(RefKind.ORDINAL, 1).index == 1
