"""Legal / copyright: near-duplicates of corpus items, uploader consent to AI edits, authorship (paper §5.2).

Near-duplicate detection compares a small, colour-aware layout descriptor of each frame
(:func:`layout_descriptor`): the 16x16 lightness thumbnail normalised by its median and
inter-quartile range (the *structure*, blind to brightness and contrast changes) and the 8x8
thumbnail of the a*b* chroma planes in CIE Lab (the *colour*, compared under the best of a few
gains, since a brightness or contrast change scales the chroma too). Two frames are near-copies when
both agree: structure within ``max_structure`` and colour within ``max_colour``, each a trimmed
mean over cells (the worst quarter is ignored, so a caption bar or logo pasted over a sixth of
the frame does not break the match). Copies are compared as given and mirrored; corpus frames
are also described after a central 90% and 80% crop and four corner 90% crops, so flips, crops
of up to ~20% anywhere, small rotations and text overlays match. A 64-bit pHash (``imagehash``)
is a second structure signal (it too must agree with the colour). A caller's embeddings (e.g.
encoder features) match by cosine on their own.

Held-out rates: ``generec reproduce fidelity`` (cases in ``tests/fidelity/heldout/media.json``).

Example
-------
>>> import numpy as np
>>> from generec.fidelity.legal import NearDuplicateIndex
>>> rng = np.random.default_rng(0)
>>> img = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
>>> index = NearDuplicateIndex()
>>> index.add("v1", [img], license="all-rights-reserved")
>>> index.query([img[:, ::-1]])[0].item_id
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

Layout = tuple[np.ndarray, np.ndarray]
_CHROMA_GAINS = (0.8, 0.9, 1.0, 1.1, 1.25)


def phash(frame: np.ndarray) -> int:
    """64-bit DCT perceptual hash of an RGB frame, as an int."""
    import imagehash
    from PIL import Image

    h = imagehash.phash(Image.fromarray(np.asarray(frame, np.uint8)))
    return int(str(h), 16)


def layout_descriptor(frame: np.ndarray) -> Layout:
    """(structure 16x16, colour 8x8x2) of an RGB frame (see the module docstring)."""
    import cv2

    small = cv2.resize(np.asarray(frame, np.uint8), (16, 16), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    q1, med, q3 = np.percentile(lab[..., 0], [25, 50, 75])
    # flat frames have no structure to normalise: a floor of 2 L* units keeps them near zero
    structure = (lab[..., 0] - med) / max((q3 - q1) / 1.35, 2.0)
    colour = cv2.resize(np.ascontiguousarray(lab[..., 1:]), (8, 8), interpolation=cv2.INTER_AREA)
    return structure, colour


def _trimmed_mean(errors: np.ndarray, keep: float = 0.75) -> float:
    e = np.sort(errors.ravel())
    return float(e[: max(1, int(len(e) * keep))].mean())


def layout_distance(a: Layout, b: Layout) -> tuple[float, float]:
    """(structure distance in robust-z units, colour distance in a*b* units) of two descriptors."""
    structure = _trimmed_mean(np.abs(a[0] - b[0]))
    # a brightness/contrast gain scales the chroma too: compare under the best of a few gains
    colour = min(_trimmed_mean(np.sqrt(((a[1] - g * b[1]) ** 2).sum(-1))) for g in _CHROMA_GAINS)
    return structure, colour


def _crop(frame: np.ndarray, keep: float, anchor_y: float, anchor_x: float) -> np.ndarray:
    h, w = frame.shape[:2]
    ch, cw = int(h * keep), int(w * keep)
    y, x = int((h - ch) * anchor_y), int((w - cw) * anchor_x)
    return np.asarray(frame, np.uint8)[y : y + ch, x : x + cw]


def corpus_variants(frame: np.ndarray) -> list[np.ndarray]:
    """The frame, its central 90% and 80% crops and its four corner 90% crops."""
    corners = [_crop(frame, 0.9, ay, ax) for ay in (0.0, 1.0) for ax in (0.0, 1.0)]
    return [np.asarray(frame, np.uint8), _crop(frame, 0.9, 0.5, 0.5), _crop(frame, 0.8, 0.5, 0.5), *corners]


def _key_frames(frames: Sequence[np.ndarray], n: int = 3) -> list[np.ndarray]:
    if len(frames) <= n:
        return list(frames)
    return [frames[int(i)] for i in np.linspace(0, len(frames) - 1, n).round()]


def _unit(embedding: np.ndarray | None) -> np.ndarray | None:
    if embedding is None:
        return None
    emb = np.asarray(embedding, np.float64)
    return emb / max(float(np.linalg.norm(emb)), 1e-12)


@dataclasses.dataclass(frozen=True)
class Match:
    """A corpus item an input resembles, with the distances that say so.

    ``structure`` / ``colour``: closest layout-descriptor distances; ``hamming``: closest pHash
    distance (of 64 bits); ``cosine``: of the caller's embeddings (NaN when none were given).
    """

    item_id: str
    hamming: int
    cosine: float
    owner: str | None
    license: str
    private: bool
    structure: float = float("nan")
    colour: float = float("nan")


@dataclasses.dataclass
class _Entry:
    item_id: str
    hashes: list[int]
    layouts: list[Layout]
    embedding: np.ndarray | None
    owner: str | None
    license: str
    private: bool


class NearDuplicateIndex:
    """An in-memory index of corpus items (layout descriptors, hashes, embeddings) for near-copy lookups.

    Parameters
    ----------
    max_structure : structure distance at or under which two frames have the same layout.
    max_colour : colour distance (a*b* units, under the best chroma gain) at or under which two frames share colours.
    max_hamming : pHash distance (of 64 bits) that also counts as the same layout.
    min_cosine : cosine of the caller's embeddings at or above which two items are near-copies.
    """

    def __init__(
        self, max_structure: float = 0.55, max_colour: float = 2.5, max_hamming: int = 10, min_cosine: float = 0.95
    ) -> None:
        self.max_structure = max_structure
        self.max_colour = max_colour
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
        """Index an item by its frames and/or an embedding; ``owner``: who may see it if ``private``."""
        if not frames and embedding is None:
            raise FidelityError(f"item {item_id!r}: give frames or an embedding to index it")
        variants = [v for f in _key_frames(frames or []) for v in corpus_variants(f)]
        self._entries.append(_Entry(item_id, [phash(v) for v in variants], [layout_descriptor(v) for v in variants],
                                    _unit(embedding), owner, license.lower(), private))  # fmt: skip

    def add_item(self, item: Item, frames: Sequence[np.ndarray] | None = None, embedding=None) -> None:
        """Index a stored item: owner, licence and privacy come from the record."""
        private = item.visibility.value == "private"
        owner = item.visible_to if private else item.uploader_id
        self.add(item.id, frames, embedding=embedding, owner=owner, license=item.license, private=private)

    def _match(self, e: _Entry, hashes: list[int], layouts: list[Layout], emb: np.ndarray | None) -> Match | None:
        ham = min((bin(a ^ b).count("1") for a in hashes for b in e.hashes), default=64)
        pairs = [layout_distance(q, c) for q in layouts for c in e.layouts]
        worst = lambda p: max(p[0] / self.max_structure, p[1] / self.max_colour)  # noqa: E731
        structure, colour = min(pairs, key=worst, default=(np.inf, np.inf))
        same_colour = min((c for _, c in pairs), default=np.inf) <= self.max_colour
        cos = float(emb @ e.embedding) if emb is not None and e.embedding is not None and \
            emb.shape == e.embedding.shape else float("nan")  # fmt: skip
        same_layout = structure <= self.max_structure and colour <= self.max_colour
        if same_layout or (ham <= self.max_hamming and same_colour) or cos >= self.min_cosine:
            return Match(e.item_id, ham, cos, e.owner, e.license, e.private, structure, colour)
        return None

    def query(self, frames: Sequence[np.ndarray] | None = None, embedding: np.ndarray | None = None) -> list[Match]:
        """Corpus items that are near-copies of the input (as given or mirrored), closest first."""
        keys = [np.asarray(f, np.uint8) for f in _key_frames(frames or [])]
        views = [v for f in keys for v in (f, np.ascontiguousarray(f[:, ::-1]))]
        hashes, layouts = [phash(v) for v in views], [layout_descriptor(v) for v in views]
        found = [self._match(e, hashes, layouts, _unit(embedding)) for e in self._entries]
        return sorted((m for m in found if m is not None), key=lambda m: (m.structure, m.colour, -m.cosine))


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
            evidence = (f"near-copy of {m.item_id!r} (layout distance {m.structure:.2f}, colour {m.colour:.1f}, "
                        f"pHash {m.hamming}/64, licence {m.license or 'unspecified'!r})")  # fmt: skip
            return verdict(self.name, subject, False, 0.0, evidence, matches=[m.item_id for m in closed])
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
