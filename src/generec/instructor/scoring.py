"""Judging an understanding against labelled instructions: intent accuracy and slot F1.

Labelled rows follow the GeneRec-Sim instruction contract
(:func:`generec.data.sim.instructions.generate_instructions`): ``text``,
``intent`` and ``slots``, a dict whose attribute keys map to canonical values,
``item_ref`` to ``"this"``, ``"last"`` or a 1-based position, and
``duration_s`` / ``max_duration_s`` / ``duration`` (``"shorter"``/``"longer"``)
to lengths. Slot F1 is micro-averaged over ``(key, value)`` pairs.

Example
-------
>>> from generec.instructor.schema import Intent, Understanding, Slots
>>> u = Understanding(Intent.DISLIKE, 1.0, Slots(attributes={"category": ("cat",)}))
>>> score([u], [{"text": "no cats", "intent": "dislike", "slots": {"category": "cat"}}])["slot_f1"]
1.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from generec.instructor.schema import RefKind, Understanding


def predicted_pairs(u: Understanding) -> set[tuple[str, str]]:
    """An understanding as ``(key, value)`` pairs in the labelled-slot format."""
    pairs = {(a, v) for a, v in u.pairs()} | {(c.attribute, c.value) for c in u.constraints}
    s = u.slots
    if s.duration_s is not None:
        pairs.add(("duration_s", f"{s.duration_s:g}"))
    if s.max_duration_s is not None:
        pairs.add(("max_duration_s", f"{s.max_duration_s:g}"))
    if s.length_change:
        pairs.add(("duration", s.length_change))
    for ref in u.references[:1]:
        if ref.kind is RefKind.DEICTIC:
            pairs.add(("item_ref", "this"))
        elif ref.kind is RefKind.ORDINAL:
            pairs.add(("item_ref", "last" if ref.index < 0 else str(ref.index + 1)))
    return pairs


def gold_pairs(slots: Mapping[str, Any]) -> set[tuple[str, str]]:
    """Labelled slots as ``(key, value)`` pairs (numbers normalised like :func:`predicted_pairs`)."""
    out = set()
    for key, value in slots.items():
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            out.add((key, f"{v:g}" if isinstance(v, float) else str(v)))
    return out


def score(predictions: Sequence[Understanding], rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Intent accuracy and micro slot precision / recall / F1 of ``predictions`` on labelled ``rows``."""
    if len(predictions) != len(rows):
        raise ValueError(f"{len(predictions)} predictions for {len(rows)} rows")
    correct = tp = n_pred = n_gold = 0
    for u, row in zip(predictions, rows, strict=True):
        correct += u.intent.value == row["intent"]
        pred, gold = predicted_pairs(u), gold_pairs(row.get("slots") or {})
        tp += len(pred & gold)
        n_pred += len(pred)
        n_gold += len(gold)
    p = tp / n_pred if n_pred else 1.0
    r = tp / n_gold if n_gold else 1.0
    return {
        "n": float(len(rows)),
        "intent_accuracy": correct / len(rows) if rows else 0.0,
        "slot_precision": p,
        "slot_recall": r,
        "slot_f1": 2 * p * r / (p + r) if p + r else 0.0,
    }
