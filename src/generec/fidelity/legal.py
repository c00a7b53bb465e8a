"""Legal / copyright: near-duplicates of corpus items, uploader consent to AI edits, authorship (paper §5.2).

Near-duplicate detection combines two signals per item, each robust to different edits:

- a 64-bit DCT perceptual hash (``imagehash.phash``) per frame, compared by Hamming distance
  (survives re-encoding, resizing, mild colour changes); corpus frames are also hashed after
  central crops of 90% and 80%, so centred crops match too (off-centre strong crops still miss);
- an embedding cosine: the caller's item features if given, else a "tiny image" descriptor we
  compute (the frame at 16x16 grey, mean-removed, unit norm) -- a simple classic, not a learned
  model, said here so nobody mistakes it for one.

Example
-------
>>> import numpy as np
>>> from generec.fidelity.legal import NearDuplicateIndex
>>> rng = np.random.default_rng(0)
>>> img = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
>>> index = NearDuplicateIndex()
>>> index.add("v1", [img], license="all-rights-reserved")
>>> index.query([img])[0].item_id
'v1'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from generec.fidelity.base import FidelityError, Subject, not_applicable, register_check, verdict
from generec.types import PLATFORM_AUTHOR, Authorship, Item, Verdict

OPEN_LICENSES = frozenset({"cc0", "public-domain", "platform"})
"""Licences that allow a near-copy without the owner's consent."""


def phash(frame: np.ndarray) -> int:
    """64-bit DCT perceptual hash of an RGB frame, as an int."""
    import imagehash
    from PIL import Image

    h = imagehash.phash(Image.fromarray(np.asarray(frame, np.uint8)))
    return int(str(h), 16)


def tiny_embedding(frames: Sequence[np.ndarray]) -> np.ndarray:
    """Mean of the frames' 16x16 grey thumbnails, mean-removed and unit-normalised (256-d)."""
    from PIL import Image

    vecs = [np.asarray(Image.fromarray(np.asarray(f, np.uint8)).convert("L").resize((16, 16), Image.BILINEAR),
                       np.float64).ravel() for f in frames]  # fmt: skip
    v = np.mean(vecs, axis=0)
    v = v - v.mean()
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def _central_crop(frame: np.ndarray, keep: float) -> np.ndarray:
    from PIL import Image

    h, w = frame.shape[:2]
    dy, dx = int(h * (1 - keep) / 2), int(w * (1 - keep) / 2)
    crop = np.asarray(frame, np.uint8)[dy : h - dy, dx : w - dx]
    return np.asarray(Image.fromarray(crop).resize((w, h), Image.BICUBIC))


def _key_frames(frames: Sequence[np.ndarray], n: int = 3) -> list[np.ndarray]:
    if len(frames) <= n:
        return list(frames)
    return [frames[int(i)] for i in np.linspace(0, len(frames) - 1, n).round()]


@dataclasses.dataclass(frozen=True)
class Match:
    """A corpus item an input resembles: Hamming distance of the closest frame hashes, and embedding cosine."""

    item_id: str
    hamming: int
    cosine: float
    owner: str | None
    license: str
    private: bool


@dataclasses.dataclass
class _Entry:
    item_id: str
    hashes: list[int]
    embedding: np.ndarray | None
    owner: str | None
    license: str
    private: bool


class NearDuplicateIndex:
    """An in-memory index of corpus items (hashes + embeddings) for near-copy lookups.

    Parameters
    ----------
    max_hamming : pHash distance (of 64 bits) at or under which two frames are near-copies.
    min_cosine : embedding cosine at or above which two items are near-copies.
    """

    def __init__(self, max_hamming: int = 10, min_cosine: float = 0.95) -> None:
        self.max_hamming = max_hamming
        self.min_cosine = min_cosine
        self._entries: list[_Entry] = []

    def __len__(self) -> int:
        return len(self._entries)

    def add(
        self,
        item_id: str,
        frames: Sequence[np.ndarray] | None = None,
        *,
        embedding: np.ndarray | None = None,
        owner: str | None = None,
        license: str = "",
        private: bool = False,
    ) -> None:
        """Index an item by its frames (hashed) and/or an embedding; ``owner``: who may see it if ``private``."""
        if not frames and embedding is None:
            raise FidelityError(f"item {item_id!r}: give frames or an embedding to index it")
        keys = _key_frames(frames or [])
        emb = embedding if embedding is not None else (tiny_embedding(keys) if keys else None)
        if emb is not None:
            emb = np.asarray(emb, np.float64) / max(float(np.linalg.norm(emb)), 1e-12)
        # Central 90% / 80% crops are hashed too, so a copy cropped by up to ~20% still matches one of them.
        variants = [v for f in keys for v in (f, _central_crop(f, 0.9), _central_crop(f, 0.8))]
        self._entries.append(_Entry(item_id, [phash(f) for f in variants], emb, owner, license.lower(), private))

    def add_item(self, item: Item, frames: Sequence[np.ndarray] | None = None, embedding=None) -> None:
        """Index a stored item: owner, licence and privacy come from the record."""
        private = item.visibility.value == "private"
        owner = item.visible_to if private else item.uploader_id
        self.add(item.id, frames, embedding=embedding, owner=owner, license=item.license, private=private)

    def query(self, frames: Sequence[np.ndarray] | None = None, embedding: np.ndarray | None = None) -> list[Match]:
        """Corpus items that are near-copies of the input, closest first."""
        keys = _key_frames(frames or [])
        hashes = [phash(f) for f in keys]
        emb = embedding if embedding is not None else (tiny_embedding(keys) if keys else None)
        if emb is not None:
            emb = np.asarray(emb, np.float64) / max(float(np.linalg.norm(emb)), 1e-12)
        found = []
        for e in self._entries:
            ham = min((bin(a ^ b).count("1") for a in hashes for b in e.hashes), default=64)
            cos = float(emb @ e.embedding) if emb is not None and e.embedding is not None and \
                emb.shape == e.embedding.shape else -1.0  # fmt: skip
            if ham <= self.max_hamming or cos >= self.min_cosine:
                found.append(Match(e.item_id, ham, cos, e.owner, e.license, e.private))
        return sorted(found, key=lambda m: (m.hamming, -m.cosine))


def _lineage(subject: Subject) -> set[str]:
    prov = subject.provenance
    parents = set(prov.parents) if prov else set()
    return parents | ({subject.item.parent_id} if subject.item.parent_id else set()) | {subject.item.id}


@register_check("copyright")
class CopyrightCheck:
    """Block generated items that near-copy a corpus item (other than their own parents) under a closed licence."""

    name = "copyright"

    def __init__(self, index: NearDuplicateIndex | None = None, open_licenses: frozenset[str] = OPEN_LICENSES):
        self.index = index
        self.open_licenses = open_licenses

    def check(self, subject: Subject) -> Verdict:
        if self.index is None or len(self.index) == 0:
            return not_applicable(self.name, subject, "no corpus index configured")
        if not subject.item.is_ai:
            return not_applicable(self.name, subject, "human uploads are checked at upload, not here")
        if not subject.frames and subject.features is None:
            return not_applicable(self.name, subject, "no frames or features to compare")
        own = _lineage(subject)
        matches = [m for m in self.index.query(subject.frames, subject.features) if m.item_id not in own]
        closed = [m for m in matches if m.license not in self.open_licenses]
        if closed:
            m = closed[0]
            return verdict(self.name, subject, False, 0.0,
                           f"near-copy of {m.item_id!r} (pHash distance {m.hamming}/64, cosine {m.cosine:.2f}, "
                           f"licence {m.license or 'unspecified'!r})", matches=[m.item_id for m in closed])  # fmt: skip
        note = f"; resembles open-licence {[m.item_id for m in matches]}" if matches else ""
        return verdict(self.name, subject, True, 1.0, f"no near-copy of a closed-licence corpus item{note}")


def expected_authorship(parents: Sequence[Item], requested_by: str | None) -> tuple[Authorship, str]:
    """Paper §5.2: the platform owns what it creates; an uploader owns AI edits of their own items."""
    if parents and requested_by and all(p.uploader_id == requested_by for p in parents):
        return Authorship.UPLOADER, requested_by
    return Authorship.PLATFORM, PLATFORM_AUTHOR


@register_check("consent")
class ConsentCheck:
    """AI edits only of items whose uploader allows them; authorship recorded as paper §5.2 says.

    ``lookup(item_id)`` returns a parent item (e.g. ``lambda i: store.get_item(i, system=True)``).
    """

    name = "consent"

    def __init__(self, lookup: Callable[[str], Item | None] | None = None) -> None:
        self.lookup = lookup

    def check(self, subject: Subject) -> Verdict:
        item, prov = subject.item, subject.provenance
        if not item.is_ai:
            return not_applicable(self.name, subject, "not an AI item")
        parent_ids = sorted(_lineage(subject) - {item.id})
        if parent_ids and self.lookup is None:
            return verdict(self.name, subject, False, 0.0, "edit of " + ", ".join(parent_ids)
                           + " but no way to look up the parents' consent; configure a lookup")  # fmt: skip
        parents = [p for p in (self.lookup(i) for i in parent_ids) if p is not None] if parent_ids else []
        problems = [f"parent {i!r} not found" for i in parent_ids if i not in {p.id for p in parents}]
        problems += [f"uploader {p.uploader_id!r} does not allow AI edits of {p.id!r}" for p in parents
                     if not p.allow_ai_edits]  # fmt: skip
        want = expected_authorship(parents, prov.requested_by if prov else None)
        if prov is None:
            problems.append("no provenance record, so authorship is not recorded")
        elif (prov.authorship, prov.author_id) != want:
            problems.append(f"authorship recorded as {prov.authorship.value}/{prov.author_id}, "
                            f"rule says {want[0].value}/{want[1]}")  # fmt: skip
        evidence = (
            "; ".join(problems)
            or (f"consent given by uploaders of {parent_ids}; " if parent_ids else "created from noise; ")
            + f"authorship {want[0].value}/{want[1]}"
        )
        return verdict(self.name, subject, not problems, 0.0 if problems else 1.0, evidence)
