"""The evaluation set is built honestly and `generec reproduce fidelity` prints its tables."""

from __future__ import annotations

import numpy as np
import pytest

from generec.cli import main
from generec.fidelity import evalset
from generec.fidelity.evaluate import check_rates, watermark_robustness


def test_photos_are_real_deterministic_and_sized():
    a, b = evalset.photo_frames(5, 96, seed=3), evalset.photo_frames(5, 96, seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert {f.shape for f in a} == {(96, 96, 3)}
    assert len(evalset.photos()) >= 15 and all(p.dtype == np.uint8 for p in evalset.photos())


def test_pii_texts_carry_valid_formats():
    texts = evalset.pii_texts(seed=0)
    cards = [t for t, _ in texts if "card" in t]
    digits = [int(c) for c in cards[0].split("card ")[1].split(",")[0].replace(" ", "")]
    total = sum(d if i % 2 == 0 else sum(divmod(d * 2, 10)) for i, d in enumerate(reversed(digits)))
    assert total % 10 == 0  # Luhn-valid, like a real card number
    iban = next(t for t, _ in texts if "IBAN" in t).split("IBAN ")[1].split(" please")[0].replace(" ", "")
    assert int("".join(str(int(c, 36)) for c in iban[4:] + iban[:4])) % 97 == 1  # mod-97 valid
    assert any(not label for _, label in texts)


def test_attacks_change_the_frame_but_keep_its_shape():
    f = evalset.photo_frames(1, 64, seed=0)[0]
    for name in ("jpeg75", "jpeg50", "resize50", "noise", "brightness"):
        g = evalset.attack(f, name)
        assert g.shape == f.shape and not np.array_equal(g, f), name
    with pytest.raises(ValueError):
        evalset.attack(f, "rotate")


def test_watermark_table_row_small():
    (row,) = watermark_robustness(sizes=(64,), n_frames=6, attacks=("clean", "jpeg75"))
    assert row["clean"] == 1.0 and row["false_positive"] == 0.0 and row["psnr_db"] > 35


@pytest.mark.slow
def test_reproduce_fidelity_cli_prints_both_tables(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one table row per line
    code = main(["reproduce", "fidelity", "--frames", "8", "--sizes", "64,64>256", "--clips", "1", "--unmarked", "4"])
    out = capsys.readouterr().out
    assert code == 0
    assert "privacy (PII)" in out and "Watermark robustness" in out and "64px shown at 256px" in out
    assert "safety (toxic text), held-out" in out and "privacy (PII), held-out" in out
    assert "Near-copies, held-out" in out and "crf35 (clips)" in out and "unmarked frames" in out


@pytest.mark.slow
def test_check_rates_on_the_evaluation_set():
    rows = {r["check"]: r for r in check_rates()}
    assert rows["privacy (PII)"]["detection"] >= 0.9 and rows["privacy (PII)"]["false_positive"] <= 0.1
    assert rows["copyright (near-copy)"]["detection"] >= 0.9
    assert rows["provenance (verify: edited after signing)"]["detection"] == 1.0


def test_reproduce_rejects_bad_sizes(capsys):
    assert main(["reproduce", "fidelity", "--sizes", "32", "--skip-checks"]) == 1
    assert ">= 64" in capsys.readouterr().err
