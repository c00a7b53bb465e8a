"""Random shots and (frame, caption) pairs straight from the vocabulary, no world needed.

For training and testing encoders and attribute readers: every attribute value
is drawn uniformly (a world's items follow uploaders' habits instead), and each
pair carries its ground-truth shot so a reader's output can be checked value by value.

Example
-------
>>> from generec.data.sim.samples import frame_caption_pairs
>>> frame, caption, shot = next(frame_caption_pairs(1, seed=0))
>>> frame.shape, caption == shot["caption"]
((64, 64, 3), True)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from generec.data.sim.render import DEFAULT_SIZE, render_shot
from generec.data.sim.vocab import SHOT_ATTRIBUTES, SUBJECT_ATTRIBUTES, VOCAB, caption_shot


def _value(rng: np.random.Generator, attr: str) -> str:
    values = VOCAB[attr]
    return values[int(rng.integers(len(values)))]


def sample_shot(rng: np.random.Generator, second_subject: float = 0.3) -> dict[str, Any]:
    """A uniformly random shot (one subject, or two with probability ``second_subject``) with its caption."""
    subjects = [{a: _value(rng, a) for a in SUBJECT_ATTRIBUTES}]
    if rng.random() < second_subject:
        other = {a: _value(rng, a) for a in SUBJECT_ATTRIBUTES}
        if (other["category"], other["colour"]) != (subjects[0]["category"], subjects[0]["colour"]):
            subjects.append(other)
    shot: dict[str, Any] = {a: _value(rng, a) for a in SHOT_ATTRIBUTES}
    shot["subjects"] = subjects
    shot["caption"] = caption_shot(shot)
    return shot


def frame_caption_pairs(
    n: int, seed: int, size: int = DEFAULT_SIZE, n_frames: int = 8, second_subject: float = 0.3
) -> Iterator[tuple[np.ndarray, str, dict[str, Any]]]:
    """Yield ``n`` triples ``(frame [size, size, 3] uint8, caption, shot)``, deterministic for ``seed``.

    Each frame is a random frame of a rendered ``n_frames``-long shot, so motion
    positions vary too. Frames render lazily: ask for millions if you like.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 6]))
    for _ in range(n):
        shot = sample_shot(rng, second_subject)
        clip = render_shot(shot, n_frames, size, int(rng.integers(2**31)))
        yield clip[int(rng.integers(n_frames))], shot["caption"], shot
