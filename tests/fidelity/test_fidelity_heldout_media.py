"""Held-out media rates: near-copies (colour-aware, flips/crops/rotations/overlays) and the synchronised watermark.

The cases live in ``tests/fidelity/heldout/media.json``, written apart from the development set in
``generec.fidelity.evalset`` (other crops, seeds, captions and synthetic images).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generec.fidelity import distortions
from generec.fidelity.base import FidelityError
from generec.fidelity.evaluate_media import near_copy_heldout, watermark_heldout

SPEC = Path(__file__).parent / "heldout" / "media.json"


@pytest.fixture(scope="module")
def spec() -> dict:
    return distortions.load_spec(SPEC)


def test_near_copies_are_caught_and_unrelated_images_are_not(spec):
    res = near_copy_heldout(spec)
    assert res["copies"] == 60 and res["unrelated"] == 18
    assert res["caught"] >= 55, res["per_edit"]
    assert res["flagged"] <= 1, res["flagged_ids"]
    for edit in ("hflip", "crop", "rotate", "overlay"):
        hit, n = res["per_edit"][edit]
        assert hit >= n - 1, (edit, hit, n)


def test_a_gradient_in_other_colours_is_not_a_copy(spec):
    from generec.fidelity.legal import NearDuplicateIndex

    index = NearDuplicateIndex()
    blue_green = {"gradient": [[20, 60, 200], [40, 200, 90]], "angle": 30}
    index.add("g", [distortions.render_source(blue_green, 160)])
    red_yellow = distortions.render_source({**blue_green, "gradient": [[200, 30, 20], [240, 210, 40]]}, 160)
    assert index.query([red_yellow]) == []
    mirrored = distortions.edit_image(distortions.render_source(blue_green, 160), {"edit": "hflip"})
    assert [m.item_id for m in index.query([mirrored])] == ["g"]


@pytest.mark.slow
def test_watermarked_clips_survive_downscale_crop_rotation_crf35_and_webm(spec):
    rows = watermark_heldout(spec, clips=4, unmarked=40)
    rates = {r["case"]: r["rate"] for r in rows}
    for case in ("none", "downscale50", "crop20", "rot90", "crf35", "webm"):
        assert rates[f"{case} (clips)"] >= 0.9, (case, rates)
    assert rates["unmarked frames (false positives)"] == 0.0


def test_bad_spec_and_unknown_edits_are_refused(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(FidelityError, match="held-out spec"):
        distortions.load_spec(tmp_path / "bad.json")
    with pytest.raises(FidelityError, match="unknown edit"):
        distortions.edit_image(np.zeros((8, 8, 3), np.uint8), {"edit": "melt"})
    with pytest.raises(FidelityError, match="unknown source"):
        distortions.render_source({"hologram": 1}, 8)
