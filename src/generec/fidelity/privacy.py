"""Privacy: PII in visible text (presidio, offline), faces in media (OpenCV Haar), no cross-user leakage.

PII uses presidio-analyzer's pattern recognizers with the no-op NLP engine (the default one
downloads a spaCy model) and an offline public-suffix list for e-mail validation. Presidio
finds e-mail, cards, IBAN, IP, SSN and (with ``phonenumbers``) phone numbers of the regions
in :data:`PHONE_REGIONS`; we add patterns for street addresses (English and German style),
UK National Insurance numbers, passport numbers and a date of birth ("born 3 June 2001",
"DOB 02/11/1979"). Numbers that are product or book codes are not PII: a match right after
"ISBN", "SKU", "EAN", "part", "order", "invoice", "version" ... or a valid ISBN is dropped.
Names alone, and free-form addresses without a house number, are not found.

Example
-------
>>> from generec.types import Item
>>> from generec.fidelity.base import Subject
>>> from generec.fidelity.privacy import PIICheck
>>> PIICheck().check(Subject(Item(id="a", caption="write to jane.doe@example.com"))).passed
False
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import numpy as np

from generec.fidelity.base import Subject, not_applicable, register_check, verdict
from generec.fidelity.legal import NearDuplicateIndex
from generec.types import Verdict, Visibility

PII_ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN", "US_ITIN",
                "US_BANK_NUMBER", "US_PASSPORT", "US_DRIVER_LICENSE", "UK_NHS", "CRYPTO", "MEDICAL_LICENSE",
                "MAC_ADDRESS", "STREET_ADDRESS", "UK_NINO", "PASSPORT", "DATE_OF_BIRTH")  # fmt: skip
"""What counts as PII here. URLs and dates are left out: they are everywhere in normal captions."""

PHONE_REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR", "AU", "NZ", "IE", "ES", "IT", "NL", "BE", "AT", "CH",
                 "PL", "SE", "DK", "NO", "JP", "NG", "ZA", "MX")  # fmt: skip
"""Regions whose national phone formats are recognised (international ``+CC`` numbers are found for any)."""

_STREET_TYPES = ("Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Court|Ct|Way|Place|Pl|Square|Sq|"
                 "Crescent|Close|Terrace|Gardens|Grove|Mews|Parade|Row|Highway|Hwy|Parkway")  # fmt: skip
_DE_STREET_TYPES = "straße|strasse|str\\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|markt"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_NINO_DIGITS = r"\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"
_GAP = r"(?:[\w,]+\s+){0,4}?"  # "born in Lagos on 3 June 2001"
_FULL_DATE = (rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|"
              r"\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})\b|\d{4}-\d{2}-\d{2})")  # fmt: skip
PII_PATTERNS: dict[str, list[tuple[str, str, float]]] = {
    "STREET_ADDRESS": [
        ("house number, street", rf"\b\d{{1,5}}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){{1,3}}(?:{_STREET_TYPES})\b\.?", 0.6),
        ("German street, house number",
         rf"\b(?:[A-ZÄÖÜ][a-zäöüß]+(?:{_DE_STREET_TYPES})|[A-ZÄÖÜ][a-zäöüß]+\s+(?i:{_DE_STREET_TYPES}))"
         r"\s*\d{1,4}\s?[a-zA-Z]?\b(?:,?\s+\d{5}\s+[A-ZÄÖÜ][\wäöüß\-]+)?", 0.6),
    ],
    "UK_NINO": [
        ("NI number", rf"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]{_NINO_DIGITS}", 0.5),
        ("NI number after its name",
         rf"\b(?i:national insurance|NI|NINO)\b[^.\d]{{0,20}}?\b[A-Z]{{2}}{_NINO_DIGITS}", 0.6),
    ],
    "PASSPORT": [
        ("passport number", r"\b(?i:passport)\b[^\n]{0,16}?\b(?=[A-Z]*\d)[A-Z0-9]{6,10}\b", 0.6),
    ],
    "DATE_OF_BIRTH": [
        ("date of birth",
         rf"\b(?i:born|dob|d\.o\.b\.?|date of birth|birth ?date|geboren|geb\.)\W{{0,3}}{_GAP}{_FULL_DATE}",
         0.6),
    ],
}  # fmt: skip
"""Our pattern recognizers: entity -> ``(name, regex, score)``."""

_CODE_BEFORE = re.compile(
    r"\b(?:isbn(?:-1[03])?|issn|sku|ean|upc|gtin|asin|part|order|invoice|model|cat(?:alogue)?|ref(?:erence)?|item|"
    r"serial|art|product|version|ver|firmware|build|release|v)\b[\s.:#-]*(?:no\.?|number|nr\.?)?[\s\d.:#/-]*$",
    re.I,
)  # fmt: skip


def _valid_isbn(digits: str) -> bool:
    if len(digits) == 13 and digits[:3] in ("978", "979"):
        return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
    if len(digits) == 10 and digits[:9].isdigit():
        check = 10 if digits[9] in "Xx" else int(digits[9]) if digits[9].isdigit() else -1
        return check >= 0 and (sum((10 - i) * int(d) for i, d in enumerate(digits[:9])) + check) % 11 == 0
    return False


def is_code(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a product, book or version code rather than personal data."""
    if _CODE_BEFORE.search(text[max(0, start - 24) : start]):
        return True
    span = text[start:end]
    return not span.startswith("+") and _valid_isbn(re.sub(r"[\s-]", "", span))


@functools.cache
def analyzer():
    """A presidio AnalyzerEngine that runs fully offline (built once per process: ~1 s)."""
    import tldextract
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import EmailRecognizer, PhoneRecognizer

    # suffix_list_urls=() : use the snapshot bundled with tldextract, never the network
    extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return extract(pattern_text.rsplit("@", 1)[-1]).fqdn != ""

    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
    registry.remove_recognizer("EmailRecognizer")
    registry.add_recognizer(OfflineEmailRecognizer())
    registry.remove_recognizer("PhoneRecognizer")
    registry.add_recognizer(PhoneRecognizer(supported_regions=PHONE_REGIONS))
    for entity, patterns in PII_PATTERNS.items():
        ours = [Pattern(name, regex, score) for name, regex, score in patterns]
        registry.add_recognizer(PatternRecognizer(supported_entity=entity, patterns=ours))
    return AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])


def find_pii(text: str, min_score: float = 0.35) -> list[tuple[str, str, float]]:
    """``(entity, matched text, score)`` for each PII span in ``text``."""
    results = analyzer().analyze(text, language="en", entities=list(PII_ENTITIES), score_threshold=min_score)
    kept = [r for r in sorted(results, key=lambda r: r.start) if not is_code(text, r.start, r.end)]
    return [(r.entity_type, text[r.start : r.end], float(r.score)) for r in kept]


def _mask(span: str) -> str:
    # evidence must not repeat the PII it reports in full
    return span[:2] + "***" + span[-2:] if len(span) > 6 else "***"


@register_check("privacy")
class PIICheck:
    """Fail an item whose visible text (title, caption, subtitles, instruction echo ...) carries PII."""

    name = "privacy"

    def __init__(self, min_score: float = 0.35) -> None:
        self.min_score = min_score

    def check(self, subject: Subject) -> Verdict:
        texts = subject.texts()
        if not texts:
            return not_applicable(self.name, subject, "no text")
        found = [(field, ent, span, s) for field, t in texts.items() for ent, span, s in find_pii(t, self.min_score)]
        if not found:
            return verdict(self.name, subject, True, 1.0, f"no PII in {', '.join(texts)}")
        listed = "; ".join(f"{ent} in {field} ({_mask(span)}, {s:.2f})" for field, ent, span, s in found)
        return verdict(self.name, subject, False, 1.0 - max(s for *_, s in found), f"PII found: {listed}",
                       entities=sorted({ent for _, ent, _, _ in found}))  # fmt: skip


@functools.cache
def _face_cascade():
    import cv2

    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def detect_faces(frame: np.ndarray, min_size: int = 20) -> list[tuple[int, int, int, int]]:
    """Frontal faces ``(x, y, w, h)`` in an RGB frame (Haar cascade; small frames are upsampled to 256 px)."""
    import cv2

    grey = cv2.cvtColor(np.asarray(frame, np.uint8), cv2.COLOR_RGB2GRAY)
    scale = max(1.0, 256 / max(grey.shape))
    if scale > 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    boxes = _face_cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(min_size, min_size))
    return [tuple(int(v / scale) for v in b) for b in boxes]


FacePolicy = Callable[[Subject, list[tuple[int, list[tuple[int, int, int, int]]]]], bool]
"""Hook deciding whether faces found in an item are allowed: ``(subject, [(frame index, boxes)]) -> ok``."""


def report_only(subject: Subject, faces: list) -> bool:
    """Default face policy: faces are reported in the evidence, never blocked."""
    return True


@register_check("faces")
class FaceCheck:
    """Report faces in generated media; a policy hook decides whether they block (e.g. no faces for kids)."""

    name = "faces"

    def __init__(self, policy: FacePolicy = report_only, max_frames: int = 8) -> None:
        self.policy = policy
        self.max_frames = max_frames

    def check(self, subject: Subject) -> Verdict:
        frames = list(subject.frames or [])
        if not frames:
            return not_applicable(self.name, subject, "no frames")
        idx = np.unique(np.linspace(0, len(frames) - 1, min(self.max_frames, len(frames))).round().astype(int))
        found = [(int(i), b) for i in idx if (b := detect_faces(frames[i]))]
        ok = bool(self.policy(subject, found))
        n = sum(len(b) for _, b in found)
        evidence = f"{n} face(s) in {len(found)} of {len(idx)} frames checked" + ("" if ok else "; blocked by policy")
        return verdict(self.name, subject, ok, 1.0 if ok else 0.0, evidence, faces=[[i, b] for i, b in found])


@register_check("leakage")
class LeakageCheck:
    """No cross-user leakage.

    An item generated from a user's private history (``provenance.params['private_history']``
    or ``item.attributes['from_private_history']``) must be private to that user; an item that
    near-copies another user's private item (``private_index``) is blocked.
    """

    name = "leakage"

    def __init__(self, private_index: NearDuplicateIndex | None = None) -> None:
        self.private_index = private_index

    def check(self, subject: Subject) -> Verdict:
        item, prov = subject.item, subject.provenance
        if not item.is_ai:
            return not_applicable(self.name, subject, "not an AI item")
        requester = prov.requested_by if prov else None
        problems = []
        from_private = bool(
            (prov and prov.params.get("private_history")) or item.attributes.get("from_private_history")
        )
        if from_private and (item.visibility is not Visibility.PRIVATE or item.visible_to != requester):
            seen_by = "everyone" if item.visibility is Visibility.PUBLIC else repr(item.visible_to)
            problems.append(f"made from {requester!r}'s private history but visible to {seen_by}")
        if self.private_index is not None and (subject.frames or subject.features is not None):
            owner = item.visible_to if item.visibility is Visibility.PRIVATE else requester
            for m in self.private_index.query(subject.frames, subject.features):
                if m.private and m.owner != owner and m.item_id not in {item.id, item.parent_id}:
                    problems.append(f"near-copy of {m.item_id!r}, private to another user "
                                    f"(pHash {m.hamming}/64, cosine {m.cosine:.2f})")  # fmt: skip
                    break
        evidence = "; ".join(problems) or ("private history kept private" if from_private else "no private source")
        return verdict(self.name, subject, not problems, 0.0 if problems else 1.0, evidence)
