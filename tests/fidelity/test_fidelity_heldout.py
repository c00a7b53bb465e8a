"""The text checks meet their rates on held-out sets written apart from their training and development texts.

The held-out sets (``tests/fidelity/heldout/*.json``) were written before the models and are
never tuned on; the goals: toxic text >= 18/20 caught, <= 1/20 benign flagged; stereotypes
>= 10/12, <= 1/12; contradicted claims >= 12/14, <= 1/8 true texts flagged; PII >= 24/25,
<= 1/25 benign flagged.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from generec.fidelity import text_corpus
from generec.fidelity.base import FidelityError
from generec.fidelity.evaluate import heldout_dir, heldout_text_rates
from generec.fidelity.text_model import normalise

HELDOUT = Path(__file__).parent / "heldout"
GOALS = {  # row -> (least caught, most falsely flagged), as counts
    "safety (toxic text), held-out": (18, 1),
    "wording (stereotypes), held-out": (10, 1),
    "authenticity (contradicted claims), held-out": (12, 1),
    "privacy (PII), held-out": (24, 1),
}
TRAINING_AND_DEV = [
    *text_corpus.TOXIC_TRAIN, *text_corpus.BENIGN_TRAIN, *text_corpus.TOXIC_DEV, *text_corpus.BENIGN_DEV,
    *text_corpus.STEREOTYPE_TRAIN, *text_corpus.NEUTRAL_TRAIN, *text_corpus.STEREOTYPE_DEV, *text_corpus.NEUTRAL_DEV,
]  # fmt: skip


def _heldout_texts(*names: str) -> list[str]:
    texts = []
    for name in names:
        data = json.loads((HELDOUT / name).read_text(encoding="utf-8"))
        texts += data["positives"] + data["negatives"]
    return texts


@pytest.fixture(scope="module")
def rows() -> dict[str, dict]:
    return {r["check"]: r for r in heldout_text_rates()}


@pytest.mark.parametrize("check", list(GOALS))
def test_heldout_rates_meet_their_goals(rows, check):
    row = rows[check]
    least_caught, most_flagged = GOALS[check]
    caught = round(row["detection"] * row["positives"])
    flagged = round(row["false_positive"] * row["negatives"])
    assert caught >= least_caught, f"{check}: caught {caught}/{row['positives']}"
    assert flagged <= most_flagged, f"{check}: flagged {flagged}/{row['negatives']}"


def test_heldout_sets_are_as_large_as_their_goals_and_found_by_default():
    assert heldout_dir() == HELDOUT.resolve()
    sizes = {name: json.loads((HELDOUT / name).read_text())
             for name in ("toxic.json", "stereotypes.json", "authenticity.json", "pii.json")}  # fmt: skip
    assert [(len(d["positives"]), len(d["negatives"])) for d in sizes.values()] == [(20, 20), (12, 12), (14, 8),
                                                                                    (25, 25)]  # fmt: skip


def test_heldout_texts_are_not_training_or_development_texts():
    held = _heldout_texts("toxic.json", "stereotypes.json")
    assert not {normalise(t) for t in held} & {normalise(t) for t in TRAINING_AND_DEV}
    from generec.encoders.text import MiniLMText

    enc = MiniLMText()
    sims = enc.embed([normalise(t) for t in held]) @ enc.embed([normalise(t) for t in TRAINING_AND_DEV]).T
    assert float(np.max(sims)) < 0.9  # no paraphrase of a training sentence either (max measured: 0.78)


def test_missing_or_malformed_heldout_sets(tmp_path):
    (row,) = heldout_text_rates(tmp_path / "nowhere")
    assert "none in" in row["check"] and row["positives"] == 0
    (tmp_path / "toxic.json").write_text('{"positives": ["x"]}')
    with pytest.raises(FidelityError, match="toxic.json: not a held-out set"):
        heldout_text_rates(tmp_path)
