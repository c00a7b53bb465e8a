"""Fidelity checks: every generated item is checked, watermarked, signed and labelled before anyone sees it.

One module per check, each a class with ``name`` and ``check(subject) -> Verdict``
(score + evidence a person can read), registered by name (:func:`build_check`):

================  ==========================================================================
identifiability   AI label + item-id watermark in every frame + C2PA manifest (identifiability.py)
safety            NSFW frames, toxic text (learned, text_model.py); thresholds per audience (safety.py)
privacy           PII in text (presidio offline + our patterns) (privacy.py)
faces             faces in media, reported; a policy hook may block (privacy.py)
leakage           private history stays private; no near-copy of others' private items (privacy.py)
wording           stereotyped wording about a group (learned, text_model.py) (bias.py)
exposure          exposure share of AI vs human items and uploader groups in a ranking (bias.py)
authenticity      claims (claims.py) vs the platform's facts store (authenticity.py)
copyright         near-duplicates of corpus items (pHash + embedding cosine) (legal.py)
consent           uploader consent to AI edits; authorship per paper §5.2 (legal.py)
quality           black / frozen / flickering frames, resolution, blur (quality.py)
relevance         cosine between the item's features and its guidance (quality.py)
memorisation      no near-copy of the generator's training images, calibrated on held-out real ones (memorisation.py)
================  ==========================================================================

:class:`FidelityPolicy` runs the enabled checks, records every verdict in the store and
sets the item's :class:`~generec.types.ItemStatus`: ``ACTIVE`` if all passed, else ``BLOCKED``
(never shown, kept for audit). ``generec verify FILE`` checks provenance.

Example
-------
>>> from generec.fidelity import FidelityPolicy, Subject
>>> from generec.types import Item, Origin
>>> policy = FidelityPolicy.build(checks=["privacy", "wording"])
>>> policy.check(Subject(Item(id="g1", origin=Origin.AI, title="Sunset at the lake"))).passed
True
"""

from generec.fidelity.base import AI_LABEL, Check, FidelityError, Subject, available_checks, build_check, register_check
from generec.fidelity.identifiability import (
    IdentifiabilityCheck,
    VerifyReport,
    label_item,
    mark_media,
    verify_file,
)
from generec.fidelity.keys import DeploymentKeys
from generec.fidelity.manifest import ManifestReport, read_manifest, sign_file
from generec.fidelity.policy import FidelityPolicy, PolicyResult, ensure_checked, is_blocked
from generec.fidelity.watermark import Watermarker, WatermarkResult, payload_bits

__all__ = [
    "AI_LABEL",
    "Check",
    "DeploymentKeys",
    "FidelityError",
    "FidelityPolicy",
    "IdentifiabilityCheck",
    "ManifestReport",
    "PolicyResult",
    "Subject",
    "VerifyReport",
    "WatermarkResult",
    "Watermarker",
    "available_checks",
    "build_check",
    "ensure_checked",
    "is_blocked",
    "label_item",
    "mark_media",
    "payload_bits",
    "read_manifest",
    "register_check",
    "sign_file",
    "verify_file",
]
