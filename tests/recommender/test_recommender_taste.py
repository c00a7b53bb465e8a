"""The attribute taste: population weights from everyone's impressions and clicks, a user's own shrunk to them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from generec.errors import DataError, ModelError
from generec.recommender.taste import TASTE_FILE, AttributeTaste, favourite_values

COLOURS = ("red", "blue", "green", "pink")
SCENES = ("city", "beach", "snow")


def _catalogue() -> dict[str, list[tuple[str, str]]]:
    return {f"i{c}{s}": [("colour", colour), ("scene", scene)]
            for c, colour in enumerate(COLOURS) for s, scene in enumerate(SCENES)}  # fmt: skip


def _world(seed: int = 0) -> tuple[dict, list, list]:
    """200 users each shown every item once; everyone clicks red more often, beach a little more."""
    rng = np.random.default_rng(seed)
    items = _catalogue()
    shown, clicked = [], []
    for u in range(200):
        for item, pairs in items.items():
            p = 0.1 + 0.5 * (("colour", "red") in pairs) + 0.15 * (("scene", "beach") in pairs)
            shown.append((f"u{u}", item))
            if rng.random() < p:
                clicked.append((f"u{u}", item))
    return items, shown, clicked


def _green_city_user() -> tuple[AttributeTaste, np.ndarray]:
    """The taste of :func:`_world` and the weights of a user who liked only green city items, each seen ten times."""
    items, shown, clicked = _world()
    taste = AttributeTaste(shrinkage=1.0).fit(items, shown, clicked)
    rows = taste.encode(list(items.values()))
    labels = [float(("colour", "green") in pairs and ("scene", "city") in pairs) for pairs in items.values()]
    return taste, taste.user_weights(np.vstack([rows] * 10), labels * 10)


def _score(taste: AttributeTaste, w: np.ndarray, pairs: list[tuple[str, str]]) -> float:
    return float(taste.encode([pairs])[0] @ w)


def test_population_weights_follow_what_everyone_clicks() -> None:
    items, shown, clicked = _world()
    taste = AttributeTaste().fit(items, shown, clicked)
    w = dict(zip(taste.vocabulary_, taste.weights_, strict=True))
    assert w[("colour", "red")] > max(w[("colour", c)] for c in COLOURS[1:]) + 1.0
    assert w[("scene", "beach")] > max(w[("scene", "city")], w[("scene", "snow")])


def test_a_made_item_of_a_users_favourite_values_ranks_above_one_against_them() -> None:
    # The population loves red; this user clicks only green city items and ignores the rest.
    taste, w = _green_city_user()
    favourite = [("colour", "green"), ("scene", "city")]
    against = [("colour", "pink"), ("scene", "snow")]
    assert _score(taste, w, favourite) > _score(taste, w, against)
    # ... and their own evidence moves them off the population's favourite.
    assert _score(taste, w, favourite) > _score(taste, w, [("colour", "red"), ("scene", "city")])


def test_few_events_keep_a_user_near_the_population_and_shrinkage_sets_how_near() -> None:
    items, shown, clicked = _world()
    one_click = [items["i2" + "0"]]  # a green city item, clicked once
    for shrinkage, expected_red_first in ((100.0, True), (0.05, False)):
        taste = AttributeTaste(shrinkage=shrinkage).fit(items, shown, clicked)
        w = taste.user_weights(taste.encode(one_click), [1.0])
        red_first = _score(taste, w, [("colour", "red"), ("scene", "city")]) > _score(taste, w, one_click[0])
        assert red_first is expected_red_first
    taste = AttributeTaste().fit(items, shown, clicked)
    no_events = taste.user_weights(np.zeros((0, len(taste.vocabulary_))), [])
    np.testing.assert_allclose(no_events, taste.weights_)  # nothing known: the population's taste


def test_an_item_without_an_attribute_scores_as_the_average_item_does_on_it() -> None:
    # One scale for items described fully and partly: a missing attribute contributes 0, which is the
    # item-weighted mean of that attribute's values, not the worst of them.
    items, shown, clicked = _world()
    taste = AttributeTaste().fit(items, shown, clicked)
    w = taste.weights_
    red_only = _score(taste, w, [("colour", "red")])
    city_red = _score(taste, w, [("colour", "red"), ("scene", "city")])
    beach_red = _score(taste, w, [("colour", "red"), ("scene", "beach")])
    assert city_red < red_only < beach_red
    assert _score(taste, w, []) == 0.0
    scenes = [_score(taste, w, [("scene", s)]) for s in SCENES]
    assert abs(float(np.mean(scenes))) < 1e-9  # values on equally many items: centred at 0


def test_a_like_says_more_than_a_click() -> None:
    # Red and blue items are clicked equally often; only red ones are also liked.
    items = _catalogue()
    shown = [(f"u{u}", i) for u in range(50) for i in items]
    clicked = [(u, i) for u, i in shown if int(u[1:]) % 2 == 0 and ("colour", "green") not in items[i]]
    liked = [(u, i) for u, i in clicked if ("colour", "red") in items[i]]
    taste = AttributeTaste().fit(items, shown, clicked, liked)
    w = dict(zip(taste.vocabulary_, taste.weights_, strict=True))
    assert w[("colour", "red")] > w[("colour", "blue")] > w[("colour", "green")]
    one = taste.encode([items["i0" + "0"]])  # a red city item
    assert _score(taste, taste.user_weights(one, [1.0]), items["i00"]) > _score(
        taste, taste.user_weights(one, [0.5]), items["i00"]
    )


def test_without_impressions_there_is_nothing_to_contrast_and_weights_are_zero() -> None:
    items, _, clicked = _world()
    taste = AttributeTaste().fit(items, shown=[], clicked=clicked, liked=clicked)  # every shown item was liked
    assert not taste.weights_.any()


def test_rare_pairs_and_a_feature_cap_bound_the_vocabulary() -> None:
    items = {**_catalogue(), "odd": [("colour", "teal"), ("scene", "city")]}
    taste = AttributeTaste(max_features=5).fit(items, [], [])
    assert ("colour", "teal") not in taste.vocabulary_  # on one item only
    assert len(taste.vocabulary_) == 5
    assert taste.encode([[("colour", "teal")]]).tolist() == [[0.0] * 5]  # an unknown value adds nothing
    # A catalogue where no value is on two items: nothing to learn on, and nothing breaks.
    alone = AttributeTaste().fit({"a": [("colour", "red")], "b": [("colour", "blue")]}, [("u", "a")], [("u", "b")])
    assert alone.vocabulary_ == [] and alone.encode([[("colour", "red")]]).shape == (1, 0)
    assert alone.user_weights(alone.encode([[("colour", "red")]]), [1.0]).shape == (0,)


def test_save_and_load_give_the_same_scores(tmp_path: Path) -> None:
    items, shown, clicked = _world()
    taste = AttributeTaste(shrinkage=3.0).fit(items, shown, clicked)
    taste.save(tmp_path)
    again = AttributeTaste.load(tmp_path)
    rows = taste.encode(list(items.values()))
    w1 = taste.user_weights(rows[:4], [1, 0, 0, 1])
    w2 = again.user_weights(again.encode(list(items.values()))[:4], [1, 0, 0, 1])
    np.testing.assert_allclose(w1, w2)
    assert again.shrinkage == 3.0 and again.vocabulary_ == taste.vocabulary_


def test_bad_input_and_broken_files_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="needs items with attributes"):
        AttributeTaste().fit({}, [], [])
    with pytest.raises(ModelError, match="shrinkage > 0"):
        AttributeTaste(shrinkage=0).fit(_catalogue(), [], [])
    with pytest.raises(ModelError, match="not fitted"):
        AttributeTaste().encode([[("colour", "red")]])
    taste = AttributeTaste().fit(*_world())
    with pytest.raises(DataError, match="encode"):
        taste.user_weights(np.ones((2, 3)), [1.0, 0.0])
    with pytest.raises(DataError, match="one outcome per shown row"):
        taste.user_weights(taste.encode([[("colour", "red")]]), [1.0, 0.0])
    with pytest.raises(DataError, match=r"in \[0, 1\]: 0 passed over, 0.5 clicked, 1 liked"):
        taste.user_weights(taste.encode([[("colour", "red")]]), [2.0])
    with pytest.raises(ModelError, match="retrain the recommender"):
        AttributeTaste.load(tmp_path)  # nothing saved there
    taste.save(tmp_path)
    state = json.loads((tmp_path / TASTE_FILE).read_text())
    state["weights"] = state["weights"][:-1]
    (tmp_path / TASTE_FILE).write_text(json.dumps(state))
    with pytest.raises(ModelError, match="differ in length"):
        AttributeTaste.load(tmp_path)


def test_leanings_weigh_each_open_attributes_values_and_respect_what_is_avoided() -> None:
    taste, w = _green_city_user()
    choices = {"colour": COLOURS, "scene": SCENES}

    def favourites(weights: np.ndarray, choices: dict, avoid: frozenset = frozenset()) -> dict[str, str]:
        return favourite_values(taste.leanings(weights, choices, avoid))

    assert favourites(w, choices) == {"colour": "green", "scene": "city"}
    assert favourites(taste.weights_, choices) == {"colour": "red", "scene": "beach"}  # the population's
    # A standing "no green": the next best value; a value the vocabulary lacks is never picked.
    assert favourites(w, {"colour": COLOURS}, avoid=frozenset({("colour", "green")}))["colour"] != "green"
    assert taste.leanings(w, {"colour": ("green", "gold")}) == {}  # one known choice: nothing to compare
    assert taste.leanings(w, {"size": ("big", "small")}) == {}  # an attribute the taste never saw
    with pytest.raises(DataError, match="one value per vocabulary pair"):
        taste.leanings(w[:2], choices)
    # Every allowed known value with its weight, ordered as the taste orders them.
    lean = taste.leanings(w, choices, avoid={("colour", "green")})
    assert "green" not in lean["colour"] and set(lean["colour"]) <= set(COLOURS)
    assert lean["colour"] == {v: float(w[taste.index_[("colour", v)]]) for v in lean["colour"]}
