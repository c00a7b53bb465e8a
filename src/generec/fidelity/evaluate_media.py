"""Held-out rates of the media checks: near-copies and the synchronised watermark (``generec reproduce fidelity``).

:func:`watermark_heldout` marks each held-out clip with :func:`~generec.fidelity.identifiability.mark_media`
(generated at 64 px, marked at the 256 px display size, H.264 MP4 CRF 23), attacks the file
(:func:`~generec.fidelity.distortions.attack_clip`), and counts the clips whose payload is found with
the full geometric search on; it also writes the clip as WebM through ``mark_media`` and counts those.
False positives: unmarked real-photo frames, each tested (search on) against an item id.
:func:`near_copy_heldout` indexes the spec's corpus and counts the copies caught and the unrelated
images flagged.

Example
-------
>>> from generec.fidelity.evaluate_media import CLIP_ATTACKS
>>> CLIP_ATTACKS
('downscale50', 'crop20', 'rot90', 'crf35')
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from generec.fidelity import distortions, evalset
from generec.fidelity.watermark import Watermarker
from generec.types import Item, Origin

CLIP_ATTACKS = ("downscale50", "crop20", "rot90", "crf35")


def _mark(case: dict[str, Any], d: Path, suffix: str, wm: Watermarker) -> Path:
    from generec.fidelity.identifiability import mark_media
    from generec.media import write_video

    src = write_video(distortions.clip_frames(case), d / f"src-{case['id']}{suffix}", fps=8)
    return mark_media(src, d / f"marked-{case['id']}{suffix}", Item(id=case["id"], origin=Origin.AI), None,
                      watermarker=wm)  # fmt: skip


def watermark_heldout(
    spec: dict[str, Any], watermarker: Watermarker | None = None, clips: int | None = None,
    unmarked: int | None = None, progress: bool = False,
) -> list[dict[str, Any]]:  # fmt: skip
    """One row per attack (clips detected) and one for false positives on unmarked frames."""
    from generec.fidelity.watermark import read_frames

    wm = watermarker or Watermarker()
    cases = spec["watermark"]["clips"][:clips]
    hits: dict[str, list[bool]] = {a: [] for a in ("none", *CLIP_ATTACKS, "webm")}
    seconds: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for case in tqdm(cases, disable=not progress, desc="watermark clips", leave=False):
            marked = _mark(case, d, ".mp4", wm)
            for attack in hits:
                if attack == "webm":
                    path = _mark(case, d, ".webm", wm)
                elif attack == "none":
                    path = marked
                else:
                    path = distortions.attack_clip(marked, attack, case, d / f"{attack}-{case['id']}.mp4")
                frames = read_frames(path)
                start = time.perf_counter()
                hits[attack].append(wm.detect_frames(frames, case["id"]).detected)
                seconds.append((time.perf_counter() - start) / len(frames))
    rows = [{"case": f"{a} (clips)", "n": len(h), "rate": float(np.mean(h))} for a, h in hits.items()]
    rows.append(_false_positive_row(spec, wm, unmarked, progress))
    rows[-1]["search_ms_per_frame"] = 1000 * float(np.median(seconds))
    return rows


def _false_positive_row(spec: dict[str, Any], wm: Watermarker, unmarked: int | None, progress: bool) -> dict:
    n = unmarked or int(spec["watermark"]["unmarked_frames"])
    frames = evalset.photo_frames(n, int(spec["watermark"]["unmarked_size"]), seed=4242)
    found, syncs = [], []
    for k, f in enumerate(tqdm(frames, disable=not progress, desc="unmarked frames", leave=False)):
        res = wm.detect(f, f"unmarked-{k}")
        found.append(res.detected)
        syncs.append(res.sync)
    return {"case": "unmarked frames (false positives)", "n": n, "rate": float(np.mean(found)),
            "max_sync": float(np.max(syncs))}  # fmt: skip


def near_copy_heldout(spec: dict[str, Any], progress: bool = False) -> dict[str, Any]:
    """Copies caught (per edit and overall) and unrelated images flagged by :class:`NearDuplicateIndex`."""
    from generec.fidelity.legal import NearDuplicateIndex

    nc, size = spec["near_copy"], int(spec["image_size"])
    index = NearDuplicateIndex()
    sources = {}
    for c in nc["corpus"]:
        sources[c["id"]] = distortions.render_source(c["source"], size)
        index.add(c["id"], [sources[c["id"]]], license="all-rights-reserved")
    per_edit: dict[str, list[bool]] = {}
    for case in tqdm(nc["copies"], disable=not progress, desc="near-copies", leave=False):
        copy = distortions.edit_image(sources[case["of"]], case)
        per_edit.setdefault(case["edit"], []).append(case["of"] in {m.item_id for m in index.query([copy])})
    flagged = [bool(index.query([distortions.render_source(u["source"], size)])) for u in nc["unrelated"]]
    caught = [h for hs in per_edit.values() for h in hs]
    return {"copies": len(caught), "caught": int(sum(caught)), "unrelated": len(flagged), "flagged": int(sum(flagged)),
            "per_edit": {k: (int(sum(v)), len(v)) for k, v in per_edit.items()},
            "flagged_ids": [u["id"] for u, f in zip(nc["unrelated"], flagged, strict=True) if f]}  # fmt: skip
