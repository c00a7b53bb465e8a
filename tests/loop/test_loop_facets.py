"""Facet satisfaction: simulated users rate style, length and cover from their hidden preferences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from generec.data.sim.simulator import UserSimulator
from generec.data.sim.vocab import ATTRIBUTE_SLICES, VOCAB
from generec.errors import DataError
from generec.evaluation.facets import FacetJudge, facet_satisfaction
from generec.types import Event, EventKind, Facet


@pytest.fixture(scope="module")
def judge(loop_world) -> FacetJudge:
    return FacetJudge(UserSimulator(loop_world))


def _extremes(judge: FacetJudge, user: str, attribute: str) -> tuple[str, str]:
    w = judge.sim.weights[judge.sim.user_index([user])[0], ATTRIBUTE_SLICES[attribute]]
    return VOCAB[attribute][int(w.argmax())], VOCAB[attribute][int(w.argmin())]


def test_each_facet_follows_the_users_hidden_taste(judge: FacetJudge) -> None:
    user = str(judge.sim.user_ids[0])
    best, worst = _extremes(judge, user, "style")
    fav, least = _extremes(judge, user, "category")
    items = [{"category": fav, "style": best, "duration_s": 3.0}, {"category": fav, "style": worst, "duration_s": 60.0}]
    covers = [{"category": fav, "style": best}, {"category": least, "style": best}]
    p = judge.rate([user, user], items, covers)
    assert p["style"][0] > 0.5 > p["style"][1]  # the style they like most / least
    assert p["length"][0] > p["length"][1]  # a minute of the same content asks more of them than 3 s
    assert p["thumbnail"][0] > p["thumbnail"][1]  # a cover showing their favourite subject wins the click
    assert all(((v >= 0) & (v <= 1)).all() for v in p.values())


def test_pairs_must_align(judge: FacetJudge) -> None:
    user = str(judge.sim.user_ids[0])
    with pytest.raises(DataError, match="aligned"):
        judge.rate([user], [{"category": "cat"}, {"category": "dog"}])
    with pytest.raises(DataError, match="covers"):
        judge.rate([user], [{"category": "cat"}], covers=[])


def test_facet_satisfaction_per_method_from_events_or_probabilities() -> None:
    like, dislike = EventKind.LIKE, EventKind.DISLIKE
    ev = [Event("u", "a", like, 1, facet=Facet.LENGTH), Event("u", "a", dislike, 2, facet=Facet.STYLE),
          Event("u", "b", like, 3, facet=Facet.STYLE), Event("u", "b", like, 4),  # no facet: ignored
          Event("u", "z", like, 5, facet=Facet.STYLE)]  # an item no method showed  # fmt: skip
    got = facet_satisfaction(ev, {"a": "GeneRec", "b": "GeneRec", "c": "retrieval"})
    assert got[["method", "facet", "n", "liked"]].values.tolist() == [["GeneRec", "style", 2, 0.5],
                                                                      ["GeneRec", "length", 1, 1.0]]  # fmt: skip
    frame = pd.DataFrame({"method": ["retrieval"] * 2 + ["GeneRec"] * 2, "facet": ["thumbnail"] * 4,
                          "liked": [0.2, 0.4, 0.9, 0.7]})  # fmt: skip
    got = facet_satisfaction(frame)
    assert got["method"].tolist() == ["retrieval", "GeneRec"] and np.allclose(got["liked"], [0.3, 0.8])
    with pytest.raises(DataError, match="method_of"):
        facet_satisfaction(ev)
