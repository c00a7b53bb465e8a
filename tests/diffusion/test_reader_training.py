"""The attribute reader's training: a run split by a kill equals one run; a checkpoint of other settings is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from generec.data.sim.reader import READER_TRAINER_STATE, AttributeReader, ReaderConfig, _augment
from generec.data.sim.reader_net import READ_ATTRIBUTES
from generec.errors import ModelError

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


def test_a_reader_learns_from_labelled_clips_and_resumes_only_on_the_same_data(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import pandas as pd

    from generec.data.sim.reader import render_labelled, value_indices
    from generec.data.sim.vocab import VOCAB
    from generec.errors import DataError

    clips, labels = render_labelled(12, 4, 16, seed=3)
    table = pd.DataFrame({a: [VOCAB[a][i] for i in labels[:, k]] for k, a in enumerate(READ_ATTRIBUTES)})
    assert np.array_equal(value_indices(table), labels)  # a catalogue's table of values -> the same labels
    with pytest.raises(DataError, match="vocabulary"):
        value_indices(table.assign(category="unicorn"))
    reader = AttributeReader(CONFIG, seed=1).fit(
        data=(clips, labels), data_name="12 renders", steps=4, batch_size=4, progress=False, out=tmp_path,
        checkpoint_every=2,
    )  # fmt: skip
    assert reader.fit_info_["data"] == "12 renders" and reader.fit_info_["n_clips"] == 12
    assert AttributeReader.load(tmp_path).fit_info_["data"] == "12 renders"
    with pytest.raises(DataError, match="as many labels"):
        AttributeReader(CONFIG).fit(data=(clips, labels[:5]), steps=1, progress=False)
    # a run stopped on one catalogue does not go on with another
    _die_after_a_checkpoint(monkeypatch)
    with pytest.raises(Killed):
        AttributeReader(CONFIG, seed=1).fit(data=(clips, labels), data_name="12 renders", steps=4, batch_size=4,
                                            progress=False, out=tmp_path / "more", checkpoint_every=2)  # fmt: skip
    monkeypatch.undo()
    with pytest.raises(ModelError, match="other settings"):
        AttributeReader(CONFIG, seed=1).fit(data=(clips, labels), data_name="another catalogue", steps=4,
                                            batch_size=4, progress=False, out=tmp_path / "more")  # fmt: skip
