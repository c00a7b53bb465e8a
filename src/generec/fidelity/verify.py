"""Did a file come from this GeneRec deployment, and is it unmodified? (``generec verify FILE``)

Two pieces of evidence are weighed: the C2PA manifest (:mod:`generec.fidelity.manifest`: signed
by this deployment's key, and unmodified if its hash still matches) and the item-id watermark in
the pixels (:mod:`generec.fidelity.watermark`, read after undoing rotations, rescaling and
crops). Each is checked against the other: a valid-looking manifest pasted onto other pixels
is reported as a mismatch, naming what the pixels carry (read blind). A file that is not an
image or video at all, or one from a machine with no deployment keys, is simply "not ours".

Exit codes: :data:`VERIFIED` (0) made here and unmodified; :data:`MODIFIED` (2) made here but
changed, stripped of its manifest, or in a format that cannot carry one (WebM); :data:`NOT_OURS`
(3) no sign of this deployment, or not the item asked about.

Example
-------
>>> from generec.fidelity.verify import NOT_OURS, VERIFIED
>>> VERIFIED, NOT_OURS
(0, 3)
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path

from generec.errors import GeneRecError
from generec.fidelity.keys import DeploymentKeys
from generec.fidelity.manifest import MIME_BY_SUFFIX, ManifestReport, read_manifest
from generec.fidelity.watermark import BlindReading, Scan, Watermarker, WatermarkResult, read_frames

VERIFIED, MODIFIED, NOT_OURS = 0, 2, 3
"""Exit codes of ``generec verify``: verified, came from us but modified, no sign of us."""
NO_MANIFEST_FORMAT = "format cannot carry a manifest"


@dataclasses.dataclass(frozen=True)
class VerifyReport:
    """The answer of :func:`verify_file`: one headline, an exit code and the details behind it."""

    code: int
    headline: str
    item_id: str | None
    manifest: ManifestReport
    watermark: WatermarkResult | None
    details: tuple[str, ...]
    blind: BlindReading | None = None

    @property
    def verified(self) -> bool:
        return self.code == VERIFIED


@dataclasses.dataclass
class _Evidence:
    manifest: ManifestReport
    scan: Scan | None
    readable: bool
    asked: str | None
    known: list[str]

    def pixels_item(self) -> tuple[str | None, WatermarkResult | None]:
        """The item whose watermark the pixels carry, among the one asked about, the manifest's and the known."""
        if self.scan is None:
            return None, None
        ids = list(dict.fromkeys(i for i in (self.asked, self.manifest.item_id, *self.known) if i))
        return self.scan.best_of(ids) if ids else (None, None)  # no item to compare with: only the blind reading


def _manifest_of(path: Path, keys: DeploymentKeys | None) -> ManifestReport:
    if path.suffix.lower() not in MIME_BY_SUFFIX:
        return ManifestReport(present=False, state=NO_MANIFEST_FORMAT, verified=False)
    return read_manifest(path, keys)


def _gather(path: Path, keys, asked, known, wm: Watermarker, max_frames: int) -> _Evidence:
    manifest = _manifest_of(path, keys)
    try:
        frames = read_frames(path, max_frames=max_frames)
    except GeneRecError:  # not an image or video we can decode: no pixels to look at
        frames = []
    # frames too small to carry a tile cannot carry our watermark either
    usable = [f for f in frames if min(f.shape[:2]) >= 64]
    scan = wm.scan(usable) if usable else None
    return _Evidence(manifest, scan, bool(frames), asked, list(known))


def _details(ev: _Evidence, found: str | None, res: WatermarkResult | None, blind: BlindReading | None) -> list[str]:
    m = ev.manifest
    lines = [f"manifest: {m.state}" + (f" ({'; '.join(m.failures)})" if m.failures else "")]
    if m.present and m.signer:
        lines.append(f"signer: {m.signer}")
    if not ev.readable:
        lines.append("pixels: not a readable image or video")
    elif ev.scan is None:
        lines.append("pixels: too small to carry a watermark")
    if res is not None:
        who = f"item {found!r}" if found else "the closest of the items asked about or known here (none matched)"
        lines.append(f"watermark: {res.confidence:.0%} bit agreement over {res.frames} frame(s) with {who} "
                     f"({res.geometry})")  # fmt: skip
    if blind is not None:
        lines.append(f"watermark read blind: payload {blind.payload}, sync {blind.sync:.2f}"
                     + ("" if blind.present else " (too weak: no watermark)"))  # fmt: skip
    if m.present and m.item_id:
        lines.append("signature covers: PNG all chunks but caBX; JPEG all but APP11; MP4 all top-level boxes but "
                     "the manifest box and free/skip padding, whose layout is signed too")  # fmt: skip
    return lines


def _decide(ev: _Evidence, found: str | None, blind: BlindReading | None, keys: bool) -> tuple[int, str]:
    """Exit code and headline; ``found``: the item whose watermark the pixels carry (None: none matched)."""
    m, asked = ev.manifest, ev.asked
    foreign = any(f.startswith("signingCredential.untrusted") for f in m.failures)
    ours = m.present and m.item_id is not None and not foreign  # a GeneRec manifest, valid or not
    if m.verified:
        if asked and asked != m.item_id:
            return NOT_OURS, f"NOT ITEM {asked}: this file is item {m.item_id} of this deployment (valid manifest)"
        return VERIFIED, f"VERIFIED: made by this GeneRec deployment (item {m.item_id}), unmodified"
    if ours and m.info.get("watermarked") and ev.scan is not None and found != m.item_id:
        # a manifest of ours on pixels that do not carry its item's watermark: pasted onto other pixels
        head = f"MISMATCH: the manifest names item {m.item_id} but the pixels"
        if found is not None:
            return MODIFIED, f"{head} carry item {found}'s watermark"
        read = f"they carry payload {blind.payload}" if blind is not None and blind.present else "no watermark found"
        return NOT_OURS, f"{head} do not carry its watermark ({read})"
    if ours and not keys:
        return NOT_OURS, (f"NOT VERIFIED: a GeneRec manifest (item {m.item_id}) is present, but this machine has no "
                          "deployment keys to check it against (pass --home)")  # fmt: skip
    if ours:
        if asked and asked != m.item_id:
            return NOT_OURS, f"NOT ITEM {asked}: the (modified) manifest names item {m.item_id}"
        return MODIFIED, f"MODIFIED: signed by this deployment (item {m.item_id}) but changed since"
    if found is not None:
        if asked and found != asked:
            return NOT_OURS, f"NOT ITEM {asked}: the pixels carry the watermark of item {found}"
        if m.state == NO_MANIFEST_FORMAT:
            return MODIFIED, (f"WATERMARKED: made by this deployment (item {found}); this format carries no signed "
                              "manifest, so whether it was modified cannot be checked")  # fmt: skip
        return MODIFIED, f"MODIFIED: watermark of item {found} found but no valid manifest (stripped or re-encoded)"
    if foreign:
        return NOT_OURS, "NOT VERIFIED: the manifest is signed by someone else, not this deployment"
    if blind is not None and blind.present:
        return NOT_OURS, f"NOT VERIFIED: a GeneRec watermark (payload {blind.payload}) names no item known here"
    return NOT_OURS, "NOT VERIFIED: no GeneRec provenance found"


def verify_file(
    path: str | os.PathLike[str],
    keys: DeploymentKeys | None,
    *,
    item_id: str | None = None,
    known_item_ids: Iterable[str] = (),
    watermarker: Watermarker | None = None,
    max_frames: int = 16,
) -> VerifyReport:
    """Did ``path`` come from this deployment (manifest signed by ``keys`` and/or our watermark), unmodified?

    ``keys=None`` (a machine with no deployment): no manifest can be trusted, the watermark is still read.
    ``item_id``: the item the caller asks about (checked against the manifest and the pixels);
    ``known_item_ids``: items the watermark may belong to (e.g. every AI item in the store).
    ``max_frames``: frames of a video searched (evenly spaced; the search costs ~0.1-0.2 s a 256 px frame).
    """
    wm = watermarker or Watermarker()
    ev = _gather(Path(path), keys, item_id, list(known_item_ids), wm, max_frames)
    found, res = ev.pixels_item()
    blind = ev.scan.blind() if ev.scan is not None and found is None else None
    code, head = _decide(ev, found, blind, keys is not None)
    item = ev.manifest.item_id or found
    return VerifyReport(code, head, item, ev.manifest, res, tuple(_details(ev, found, res, blind)), blind)
