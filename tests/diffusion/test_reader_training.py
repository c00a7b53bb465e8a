"""The attribute reader's training: a run split by a kill equals one run; a checkpoint of other settings is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from generec.errors import ModelError
from generec.evaluation.attribute_reader import READER_TRAINER_STATE, AttributeReader, ReaderConfig, _augment

CONFIG = ReaderConfig(frames=4, size=16, width=8, arch="detail")


class Killed(Exception):
    pass


def _die_after_a_checkpoint(monkeypatch) -> None:  # noqa: ANN001
    """The process is killed right after it writes a checkpoint (the checkpoint itself is the real one)."""
    original = AttributeReader._checkpoint

    def checkpoint_then_die(self, path, *args):  # noqa: ANN001, ANN202
        original(self, path, *args)
        raise Killed

    monkeypatch.setattr(AttributeReader, "_checkpoint", checkpoint_then_die)


def _weights(reader: AttributeReader) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in reader.net.state_dict().items()}


def test_a_run_killed_after_a_checkpoint_goes_on_to_the_same_weights(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    whole = AttributeReader(CONFIG, seed=1).fit(24, 6, batch_size=8, progress=False, out=tmp_path / "one")

    _die_after_a_checkpoint(monkeypatch)
    with pytest.raises(Killed):
        AttributeReader(CONFIG, seed=1).fit(
            24, 6, batch_size=8, progress=False, out=tmp_path / "two", checkpoint_every=4
        )
    monkeypatch.undo()
    assert (tmp_path / "two" / READER_TRAINER_STATE).is_file()
    assert not (tmp_path / "two" / "weights.pt").exists()  # nothing claims to be a finished reader

    resumed = AttributeReader(CONFIG, seed=1).fit(24, 6, batch_size=8, progress=False, out=tmp_path / "two")
    for name, value in _weights(whole).items():
        assert torch.allclose(value.float(), resumed.net.state_dict()[name].float(), atol=1e-6), name
    assert not (tmp_path / "two" / READER_TRAINER_STATE).exists()  # finished: the reader is saved, the state gone
    clips = np.random.default_rng(0).integers(0, 255, (3, 4, 16, 16, 3), dtype=np.uint8)
    assert AttributeReader.load(tmp_path / "two").read(clips) == whole.read(clips)


def test_a_checkpoint_of_other_settings_is_refused(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    _die_after_a_checkpoint(monkeypatch)
    with pytest.raises(Killed):
        AttributeReader(CONFIG, seed=1).fit(24, 6, batch_size=8, progress=False, out=tmp_path, checkpoint_every=2)
    monkeypatch.undo()
    with pytest.raises(ModelError, match="other settings"):
        AttributeReader(CONFIG, seed=1).fit(24, 9, batch_size=8, progress=False, out=tmp_path)
    (tmp_path / READER_TRAINER_STATE).write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="delete it to start over"):
        AttributeReader(CONFIG, seed=1).fit(24, 6, batch_size=8, progress=False, out=tmp_path)


def test_augmentation_mirrors_some_clips_and_turns_their_sideways_motion() -> None:
    from generec.data.sim.vocab import VOCAB

    motion = VOCAB["motion"]
    x = torch.linspace(-1, 1, 16).expand(64, 2, 3, 16, 16).clone()
    y = torch.zeros(64, 6, dtype=torch.long)
    y[:, 3] = torch.tensor([motion.index(m) for m in ("left_to_right", "right_to_left", "circling", "static")] * 16)
    out, labels = _augment(x, y, torch.Generator().manual_seed(0), noise=0.0)
    mirrored = out[:, 0, 0, 0, 0] > 0  # the left edge now holds what was the right edge
    assert 0 < mirrored.sum() < 64  # some clips read right to left, some left to right
    swap = {motion.index("left_to_right"): motion.index("right_to_left"),
            motion.index("right_to_left"): motion.index("left_to_right")}  # fmt: skip
    for i in range(64):
        before = int(y[i, 3])
        assert int(labels[i, 3]) == (swap.get(before, before) if mirrored[i] else before)
    assert torch.equal(labels[:, [0, 1, 2, 4, 5]], y[:, [0, 1, 2, 4, 5]])  # nothing else changes
