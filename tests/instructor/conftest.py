"""Shared fixtures: one fitted offline understanding per test session (MiniLM loads once per process)."""

from __future__ import annotations

import pytest

from generec.data.sim.instructions import generate_instructions
from generec.instructor.understanding import OfflineUnderstanding
from generec.instructor.vocabulary import Vocabulary

N_TRAIN_ROWS = 240  # world instructions to draw the training split from (about 190 train rows)


@pytest.fixture(scope="session")
def vocab() -> Vocabulary:
    return Vocabulary.from_sim()


@pytest.fixture(scope="session")
def world_train() -> list[dict]:
    return [r for r in generate_instructions(n=N_TRAIN_ROWS, seed=11) if r["split"] == "train"]


@pytest.fixture(scope="session")
def nlu(vocab: Vocabulary, world_train: list[dict]) -> OfflineUnderstanding:
    """Seeds + the world's training instructions (a different seed from every evaluation set)."""
    return OfflineUnderstanding(vocab).fit((r["text"], r["intent"]) for r in world_train)
