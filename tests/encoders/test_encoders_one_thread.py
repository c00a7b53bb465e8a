"""A chat turn's few texts are encoded on one thread; the process setting is always restored."""

from __future__ import annotations

import pytest
import torch

from generec.encoders.text import SMALL_INPUT, one_thread_if_small


def test_small_inputs_run_on_one_thread_and_the_setting_comes_back() -> None:
    before = torch.get_num_threads()
    with one_thread_if_small(2):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with one_thread_if_small(SMALL_INPUT + 1):  # a corpus keeps every thread
        assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), one_thread_if_small(1):
        raise RuntimeError("a failed forward pass")
    assert torch.get_num_threads() == before
