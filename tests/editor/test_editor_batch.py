"""Batch personalization equals the per-item loop, in bounded chunks."""

from __future__ import annotations

import numpy as np
import pytest

from generec.editor import PackedFrames, batch_clip, batch_select, loop_clip, loop_select
from generec.errors import ConfigError, ModelError


@pytest.fixture
def case():
    rng = np.random.default_rng(3)
    users = rng.normal(size=(37, 16)).astype(np.float32)
    items = [rng.normal(size=(n, 16)).astype(np.float32) for n in (1, 5, 8, 9, 30, 17, 3)]
    return users, items


def test_batch_select_equals_loop(case):
    users, items = case
    packed = PackedFrames.pack(items)
    expected = loop_select(users, items)
    assert np.array_equal(batch_select(users, packed), expected)
    # A tiny memory budget forces one user per chunk: same answer.
    assert np.array_equal(batch_select(users, packed, chunk_bytes=1), expected)


@pytest.mark.parametrize(("clip_len", "stride"), [(4, 1), (8, 3), (32, 2)])
def test_batch_clip_equals_loop(case, clip_len, stride):
    users, items = case
    packed = PackedFrames.pack(items)
    got = batch_clip(users, packed, clip_len, stride, chunk_bytes=4096)
    assert np.array_equal(got, loop_clip(users, items, clip_len, stride))
    lengths = packed.lengths
    assert (got[:, lengths <= clip_len] == 0).all()
    assert (got % stride == 0).all() and (got + np.minimum(clip_len, lengths) <= lengths).all()


def test_bad_batch_input(case):
    users, items = case
    with pytest.raises(ModelError, match="empty"):
        PackedFrames.pack([])
    with pytest.raises(ModelError, match="widths"):
        PackedFrames.pack([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ModelError, match="no frame"):
        PackedFrames.pack([np.zeros((0, 3))])
    with pytest.raises(ModelError, match="user vectors"):
        batch_select(users[:, :3], PackedFrames.pack(items))
    with pytest.raises(ConfigError):
        batch_clip(users, PackedFrames.pack(items), clip_len=0)
