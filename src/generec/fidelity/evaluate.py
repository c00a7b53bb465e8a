"""Measure the fidelity checks on the evaluation set (``generec reproduce fidelity``).

:func:`watermark_robustness` gives, per frame size, the share of watermarked real-photo
frames whose payload is recovered (>= 90% of bits) after each attack, the false-positive
rate on the same frames unmarked, PSNR, and H.264 results per frame and per 8-frame clip.
:func:`check_rates` gives detection and false-positive rates of the other checks, and
:func:`heldout_text_rates` those of the text checks on held-out sets written apart from
their training and development texts (``tests/fidelity/heldout/`` in a source checkout).

Example
-------
>>> from generec.fidelity.evaluate import watermark_robustness
>>> row = watermark_robustness(sizes=(64,), n_frames=4, attacks=("clean",))[0]
>>> row["clean"], row["false_positive"]
(1.0, 0.0)
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from generec.fidelity import evalset
from generec.fidelity.base import FidelityError, Subject
from generec.fidelity.watermark import Watermarker
from generec.types import Item, Origin


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def _clip(frame: np.ndarray, n: int = 8) -> list[np.ndarray]:
    """``n`` frames panning one pixel a step across ``frame`` (a plausible short generated clip)."""
    return [np.roll(frame, i, axis=1) for i in range(n)]


def _frames_for(spec: int | str, n: int, seed: int) -> tuple[list[np.ndarray], str]:
    """Frames for a size spec: ``64`` (generated at 64 px) or ``"64>256"`` (generated at 64, upsampled to 256)."""
    from PIL import Image

    gen, _, shown = str(spec).partition(">")
    frames = evalset.photo_frames(n, int(gen), seed=seed + int(gen))
    if shown:
        side = int(shown)
        frames = [np.asarray(Image.fromarray(f).resize((side, side), Image.BICUBIC)) for f in frames]
        return frames, f"{gen}px shown at {side}px"
    return frames, f"{gen}px"


def watermark_robustness(
    sizes: Sequence[int | str] = (64, 128, 256, "64>256"),
    n_frames: int = 300,
    attacks: Sequence[str] = evalset.ATTACKS,
    seed: int = 0,
    watermarker: Watermarker | None = None,
    progress: bool = False,
) -> list[dict[str, float]]:
    """One row per size: detection rate per attack, false-positive rate, mean PSNR (see module docstring).

    These attacks keep the geometry, so the default reader does not search (the held-out table of
    :mod:`generec.fidelity.evaluate_media` measures the search).
    A size ``"64>256"`` marks frames generated at 64 px after upsampling them to a 256 px display size.
    """
    wm = watermarker or Watermarker(search=False)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            frames, label = _frames_for(size, n_frames, seed)
            ids = [f"eval-{size}-{i}" for i in range(n_frames)]
            marked = [wm.embed(f, i) for f, i in tqdm(list(zip(frames, ids, strict=True)), disable=not progress,
                                                      desc=f"watermark {label}", leave=False)]  # fmt: skip
            row: dict = {"size": label, "frames": n_frames}
            row["psnr_db"] = float(np.mean([_psnr(a, b) for a, b in zip(frames, marked, strict=True)]))
            for name in attacks:
                if name == "mp4":
                    row.update(_mp4_rates(wm, marked, ids, frames, Path(tmp)))
                    continue
                hits = [wm.detect(evalset.attack(m, name, seed=k), i).detected
                        for k, (m, i) in enumerate(zip(marked, ids, strict=True))]  # fmt: skip
                row[name] = float(np.mean(hits))
            pairs = zip(frames, ids, strict=True)
            agreements = [wm.detect(f, i).confidence for f, i in pairs]
            row["false_positive"] = float(np.mean(np.array(agreements) >= wm.threshold))
            row["unmarked_max_agreement"] = float(np.max(agreements))
            rows.append(row)
    return rows


def _mp4_rates(wm: Watermarker, marked: list, ids: list, frames: list, tmp: Path) -> dict[str, float]:
    decoded = evalset.mp4_roundtrip(marked, tmp)
    per_frame = float(np.mean([wm.detect(d, i).detected for d, i in zip(decoded, ids, strict=True)]))
    n_clips = max(1, len(frames) // 8)
    clip_hits = []
    for k in range(n_clips):
        clip = [wm.embed(f, ids[k]) for f in _clip(frames[k])]
        clip_hits.append(wm.detect_frames(evalset.mp4_roundtrip(clip, tmp), ids[k]).detected)
    return {"mp4": per_frame, "mp4_clip": float(np.mean(clip_hits)), "mp4_clips": n_clips}


def _rate(check, subjects: list[Subject], flagged_when_failed: bool = True) -> float:
    results = [not check.check(s).passed for s in subjects]
    return float(np.mean(results)) if results else float("nan")


def _texts_row(name: str, check, positives: list[str], negatives: list[str]) -> dict:
    subj = lambda t: Subject(Item(id="t", origin=Origin.AI, caption=t))  # noqa: E731
    return {"check": name, "positives": len(positives), "detection": _rate(check, [subj(t) for t in positives]),
            "negatives": len(negatives), "false_positive": _rate(check, [subj(t) for t in negatives])}  # fmt: skip


def check_rates(seed: int = 0, progress: bool = False) -> list[dict]:
    """Detection and false-positive rates of PII, toxic text, NSFW, wording, near-copies, claims, provenance."""
    from generec.fidelity.bias import WordingCheck
    from generec.fidelity.privacy import PIICheck
    from generec.fidelity.safety import SafetyCheck

    steps = tqdm(total=6, disable=not progress, desc="fidelity checks", leave=False)
    pii = evalset.pii_texts(seed=seed)
    rows = [_texts_row("privacy (PII)", PIICheck(), [t for t, y in pii if y], [t for t, y in pii if not y])]
    steps.update()
    rows.append(_texts_row("safety (toxic text)", SafetyCheck(), evalset.TOXIC, evalset.CLEAN_PHRASES))
    safe = [Subject(Item(id=f"p{i}"), frames=[f]) for i, f in enumerate(evalset.photo_frames(30, 256, seed=seed))]
    rows.append({"check": "safety (NSFW image)", "positives": 0, "detection": float("nan"), "negatives": len(safe),
                 "false_positive": _rate(SafetyCheck(), safe)})  # fmt: skip
    steps.update()
    rows.append(_texts_row("wording (stereotypes)", WordingCheck(), evalset.STEREOTYPED, evalset.NEUTRAL))
    steps.update()
    rows.append(_near_copy_row(seed))
    steps.update()
    rows.append(_claims_row())
    steps.update()
    rows.append(_provenance_row())
    steps.update()
    steps.close()
    return rows + heldout_text_rates()


def _near_copy_row(seed: int) -> dict:
    from generec.fidelity.legal import CopyrightCheck, NearDuplicateIndex

    pics = evalset.photos()
    corpus = evalset.photo_frames(len(pics), 128, seed=seed)[:9]  # one crop each of the first 9 photos
    others = [f for i, f in enumerate(evalset.photo_frames(6 * len(pics), 128, seed=seed + 1)) if i % len(pics) >= 9]
    index = NearDuplicateIndex()
    for i, f in enumerate(corpus):
        index.add(f"c{i}", [f], license="all-rights-reserved")
    check = CopyrightCheck(index)
    subj = lambda f: Subject(Item(id="g", origin=Origin.AI), frames=[f])  # noqa: E731
    copies = [subj(evalset.near_copy(f, k)) for f in corpus for k in ("crop", "resize", "jpeg")]
    return {"check": "copyright (near-copy)", "positives": len(copies), "detection": _rate(check, copies),
            "negatives": len(others), "false_positive": _rate(check, [subj(f) for f in others])}  # fmt: skip


CLAIM_CASES = [
    ("Big Buck Bunny, released in 2011, is a classic", True),
    ("Big Buck Bunny was directed by Steven Spielberg", True),
    ("Sintel was filmed in Paris", True),
    ("Sintel, released in 2010, a 15-minute short", False),
    ("Big Buck Bunny: directed by Sacha Goedegebure", False),
    ("Big Buck Bunny, released in 2008", False),
    ("Tears of Steel was filmed in Amsterdam", False),
    ("Tears of Steel, released in 2019", True),
]
"""(text, contradicts the facts) pairs for the authenticity check."""


def demo_facts():
    """The small facts table the authenticity evaluation uses (Blender open movies)."""
    from generec.fidelity.authenticity import FactsStore

    facts = FactsStore(":memory:")
    rows = [
        ("Big Buck Bunny", "year", "2008"),
        ("Big Buck Bunny", "directed_by", "Sacha Goedegebure"),
        ("Big Buck Bunny", "runtime_min", "10"),
        ("Sintel", "year", "2010"),
        ("Sintel", "runtime_min", "15"),
        ("Sintel", "filmed_in", "Blender Studio"),
        ("Tears of Steel", "year", "2012"),
        ("Tears of Steel", "filmed_in", "Amsterdam"),
    ]
    for entity, attr, value in rows:
        facts.add(entity, attr, value, source="Blender Foundation")
    return facts


def _claims_row() -> dict:
    from generec.fidelity.authenticity import AuthenticityCheck

    check = AuthenticityCheck(demo_facts())
    pos = [t for t, y in CLAIM_CASES if y]
    neg = [t for t, y in CLAIM_CASES if not y]
    return _texts_row("authenticity (contradicted claims)", check, pos, neg)


def _provenance_row() -> dict:
    from generec.fidelity.identifiability import verify_file
    from generec.fidelity.keys import DeploymentKeys
    from generec.fidelity.manifest import sign_file
    from generec.media import write_image, write_video

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        keys = DeploymentKeys.ensure(d)
        frames = evalset.photo_frames(8, 128, seed=3)
        sources = [write_image(frames[0], d / "a.png"), write_image(frames[1], d / "b.jpg"),
                   write_video(frames, d / "c.mp4", fps=8)]  # fmt: skip
        signed = [sign_file(s, d / f"signed_{s.name}", Item(id=f"g-{s.stem}", origin=Origin.AI), keys) for s in sources]
        edited = [evalset.tamper_bytes(signed[0], d / "t.png", b"IDAT"),
                  evalset.edit_pixels_keep_jpeg_manifest(signed[1], d / "t.jpg"),
                  evalset.tamper_bytes(signed[2], d / "t.mp4", b"mdat", offset=200),
                  write_image(frames[0], d / "stripped.png")]  # fmt: skip
        caught = [not verify_file(p, keys).verified for p in edited]
        false_alarm = [not verify_file(p, keys).verified for p in signed]
    return {"check": "provenance (verify: edited after signing)", "positives": len(edited),
            "detection": float(np.mean(caught)), "negatives": len(signed),
            "false_positive": float(np.mean(false_alarm))}  # fmt: skip


# ------------------------------------------------------- held-out text sets
HELDOUT_TEXT_SETS = {
    "toxic.json": "safety (toxic text), held-out",
    "stereotypes.json": "wording (stereotypes), held-out",
    "authenticity.json": "authenticity (contradicted claims), held-out",
    "pii.json": "privacy (PII), held-out",
}
"""File in the held-out folder -> the row it gives."""


def heldout_dir() -> Path:
    """Where a source checkout keeps the held-out sets (``tests/fidelity/heldout``)."""
    return Path(__file__).resolve().parents[3] / "tests" / "fidelity" / "heldout"


def _heldout_check(name: str, data: dict):
    from generec.fidelity.authenticity import AuthenticityCheck, FactsStore
    from generec.fidelity.bias import WordingCheck
    from generec.fidelity.privacy import PIICheck
    from generec.fidelity.safety import SafetyCheck

    if name == "authenticity.json":
        facts = FactsStore(":memory:")
        for entity, attribute, value in data["facts"]:
            facts.add(entity, attribute, value, source="held-out facts")
        return AuthenticityCheck(facts)
    return {"toxic.json": SafetyCheck, "stereotypes.json": WordingCheck, "pii.json": PIICheck}[name]()


def heldout_text_rates(directory: Path | None = None) -> list[dict]:
    """Rates of the toxic-text, wording, authenticity and PII checks on the held-out sets in ``directory``.

    Each file holds ``positives`` (must fail the check) and ``negatives`` (must pass); the
    authenticity file also its ``facts``. Without the folder (an installed package has no
    tests) one row says where it was looked for.
    """
    folder = Path(directory) if directory is not None else heldout_dir()
    if not folder.is_dir():
        nan = float("nan")
        return [{"check": f"held-out text sets: none in {folder}", "positives": 0, "detection": nan,
                 "negatives": 0, "false_positive": nan}]  # fmt: skip
    rows = []
    for name, label in HELDOUT_TEXT_SETS.items():
        path = folder / name
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            positives, negatives = list(data["positives"]), list(data["negatives"])
            check = _heldout_check(name, data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise FidelityError(f"{path}: not a held-out set (need JSON with 'positives' and 'negatives'"
                                f"{' and facts' if name == 'authenticity.json' else ''}): {exc}") from exc  # fmt: skip
        rows.append(_texts_row(label, check, positives, negatives))
    return rows
