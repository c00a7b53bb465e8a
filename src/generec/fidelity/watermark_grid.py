"""The geometry of the item-id watermark: a tiled block code and a search that re-synchronises it.

Layout. The frame's V (red-difference chroma) plane is cut into ``BLOCK`` x ``BLOCK`` pixel
blocks; the mean of each block is quantised (quantisation index modulation, step ``strength``)
to carry one of ``TILE`` x ``TILE`` = 64 code positions, repeated over the frame as a tile.
32 positions carry a fixed *sync* pattern (the same in every marked frame), the other 32 the
item's payload. Each position has its own fixed dither (an offset of the quantisation lattice),
so flat regions do not all look alike.

Search. A copy of a marked file may be rotated, rescaled, cropped or re-encoded. For every
rotation in :data:`ROTATIONS` and scale in :data:`SCALES` we resample the V plane, take the
mean of the 16x16 window at every second pixel (an integral image), and sum the windows' lattice
phasors ``exp(2 pi i mean / strength)`` per (pixel offset, tile position). That gives, for each
of the 8x8 offsets x 8x8 cyclic tile shifts, the correlation with the sync pattern in one einsum.
Videos pool the phasor sums over frames (all frames share one geometry). The best-synchronised
hypotheses are then read for the payload (see :mod:`generec.fidelity.watermark`).

Example
-------
>>> import numpy as np
>>> from generec.fidelity.watermark_grid import block_targets, hypotheses_of
>>> block_targets(np.zeros(32, np.uint8), 8, 8).shape
(8, 8)
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

BLOCK = 16
"""Block side (px) the detector reads; frames under 128 px are marked with 8 px blocks (read at scale 2)."""
PHASE_STEP = 2
"""Pixel offsets are tried every PHASE_STEP px: a 1 px misalignment of a 16 px block costs little."""
TILE = 8
POSITIONS = TILE * TILE
SYNC = 32
ROTATIONS = (0, 1, 2, 3)
"""Quarter turns (counter-clockwise, as ``np.rot90``) the detector undoes."""
SCALES = (1.0, 2.0, 1.25, 0.8, 0.5)
"""Resampling factors the detector tries: 2 undoes a 50% downscale, 1.25 a 20% crop shown at the old size."""


@functools.cache
def _code() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(sync positions, payload positions, sync bits, dither per position) -- fixed, the same everywhere."""
    rng = np.random.default_rng(0x6E7EC)
    order = rng.permutation(POSITIONS)
    sync_bits = rng.permutation(np.repeat(np.array([0, 1], np.uint8), SYNC // 2))
    dither = rng.random(POSITIONS)
    return order[:SYNC], order[SYNC:], sync_bits, dither


def position_bits(payload: np.ndarray) -> np.ndarray:
    """The 64 code bits of a tile: sync bits at their positions, ``payload`` (repeated) at the others."""
    sync_pos, pay_pos, sync_bits, _ = _code()
    bits = np.zeros(POSITIONS, np.uint8)
    bits[sync_pos] = sync_bits
    bits[pay_pos] = np.resize(np.asarray(payload, np.uint8), len(pay_pos))
    return bits


def embed_block(height: int, width: int) -> int:
    """Block side used to mark a frame: ``BLOCK``, or half of it when a whole tile would not fit."""
    return BLOCK if min(height, width) >= BLOCK * TILE else BLOCK // 2


def block_targets(payload: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """Lattice phase (in cycles, [0, 1)) each block of an ``n_rows`` x ``n_cols`` grid must take."""
    dither = _code()[3]
    phase = (dither + 0.5 * position_bits(payload)) % 1.0
    rows, cols = np.arange(n_rows) % TILE, np.arange(n_cols) % TILE
    return phase.reshape(TILE, TILE)[rows[:, None], cols[None, :]]


def block_means(plane: np.ndarray, block: int) -> np.ndarray:
    """Mean of each aligned ``block`` x ``block`` block of ``plane`` (partial blocks at the edges dropped)."""
    h, w = plane.shape[0] // block, plane.shape[1] // block
    return plane[: h * block, : w * block].reshape(h, block, w, block).mean(axis=(1, 3))


def _window_means(plane: np.ndarray) -> np.ndarray:
    """Mean of the BLOCK x BLOCK window starting at every PHASE_STEP-th pixel."""
    ii = np.zeros((plane.shape[0] + 1, plane.shape[1] + 1))
    ii[1:, 1:] = plane.cumsum(0).cumsum(1)
    b, s = BLOCK, PHASE_STEP
    sums = ii[b::s, b::s] - ii[:-b:s, b::s] - ii[b::s, :-b:s] + ii[:-b:s, :-b:s]
    return (sums / (b * b)).astype(np.float32)


def phasor_sums(plane: np.ndarray, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """Per (row phase, col phase, tile row, tile col): sum of block phasors and count of blocks.

    Both arrays have shape (P, P, TILE, TILE) with P = BLOCK / PHASE_STEP phases; the tile index is
    relative to the first whole block at that phase (the search tries every cyclic shift of it).
    """
    means = _window_means(plane)
    phases = BLOCK // PHASE_STEP
    span = phases * TILE
    rows = -(-means.shape[0] // span) * span
    cols = -(-means.shape[1] // span) * span
    angle = (2 * np.pi / strength) * means
    z = np.zeros((rows, cols), np.complex64)
    z[: means.shape[0], : means.shape[1]] = np.cos(angle) + 1j * np.sin(angle)
    n = np.zeros((rows, cols), np.float32)
    n[: means.shape[0], : means.shape[1]] = 1.0
    shape = (rows // span, TILE, phases, cols // span, TILE, phases)  # (k, tile row, phase, l, tile col, phase)
    zs = z.reshape(shape).sum(axis=(0, 3)).transpose(1, 3, 0, 2)
    ns = n.reshape(shape).sum(axis=(0, 3)).transpose(1, 3, 0, 2)
    return zs, ns


@functools.cache
def _rolled(kind: str) -> np.ndarray:
    """(shift row, shift col, tile row, tile col) arrays of the code rolled by every cyclic shift.

    ``kind``: ``sync`` (conjugate expected phasor at sync positions, 0 elsewhere) or ``sync_mask``.
    """
    sync_pos, _, sync_bits, dither = _code()
    base = np.zeros(POSITIONS, np.complex128)
    if kind == "sync":
        base[sync_pos] = np.exp(-2j * np.pi * dither[sync_pos]) * (1 - 2.0 * sync_bits)
    else:
        base[sync_pos] = 1.0
    tile = base.reshape(TILE, TILE)
    out = np.empty((TILE, TILE, TILE, TILE), np.complex128)
    for ty in range(TILE):
        for tx in range(TILE):
            # block at relative tile index (a, b) sits at true position (a + ty, b + tx)
            out[ty, tx] = np.roll(tile, (-ty, -tx), axis=(0, 1))
    return out


def sync_scores(zs: np.ndarray, ns: np.ndarray) -> np.ndarray:
    """Sync correlation in [-1, 1] for every (row phase, col phase, shift row, shift col)."""
    num = np.einsum("pqab,stab->pqst", zs, _rolled("sync")).real
    den = np.einsum("pqab,stab->pqst", ns, _rolled("sync_mask").real)
    return num / np.maximum(den, 1.0)


def _true_soft(zs_at: np.ndarray, shift: tuple[int, int]) -> np.ndarray:
    ty, tx = shift
    at_true = np.roll(zs_at, (ty, tx), axis=(0, 1))  # index by true tile position
    return (at_true.ravel() * np.exp(-2j * np.pi * _code()[3])).real


def payload_soft(zs_at: np.ndarray, shift: tuple[int, int], n_bits: int) -> np.ndarray:
    """Soft value of each payload bit (sum over its repeats): > 0 reads as 0, < 0 as 1."""
    pay_pos = _code()[1]
    soft = _true_soft(zs_at, shift)[pay_pos]
    return np.bincount(np.arange(len(pay_pos)) % n_bits, weights=soft, minlength=n_bits)


@dataclasses.dataclass(frozen=True)
class Hypothesis:
    """One geometry: quarter turns, resampling scale, pixel phase and tile shift, and its sync score."""

    rotation: int
    scale: float
    phase: tuple[int, int]
    shift: tuple[int, int]
    sync: float

    def describe(self) -> str:
        offset = (self.phase[0] * PHASE_STEP, self.phase[1] * PHASE_STEP)
        return f"rotated {90 * self.rotation} deg, scale x{self.scale:g}, offset {offset}, tile shift {self.shift}"


def hypotheses_of(pooled: dict[tuple[int, float], tuple[np.ndarray, np.ndarray]], top: int) -> list[Hypothesis]:
    """The ``top`` best-synchronised hypotheses over every analysed (rotation, scale)."""
    cands = []
    for (rot, scale), (zs, ns) in pooled.items():
        scores = sync_scores(zs, ns)
        flat = np.argsort(scores, axis=None)[::-1][:top]
        for idx in flat:
            py, px, ty, tx = np.unravel_index(idx, scores.shape)
            cands.append(Hypothesis(rot, scale, (int(py), int(px)), (int(ty), int(tx)), float(scores[py, px, ty, tx])))
    return sorted(cands, key=lambda h: -h.sync)[:top]
