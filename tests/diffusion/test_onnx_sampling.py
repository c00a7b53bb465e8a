"""Sampling through ONNX Runtime: the same numbers as PyTorch, a cache per weights, PyTorch when it cannot run."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
import torch

from generec.diffusion import DiffusionModel, onnx_runtime
from generec.diffusion.presets import image_config, video_config
from generec.errors import ModelError


def _files() -> list[Path]:
    return sorted(onnx_runtime.cache_dir().glob("denoiser-*.onnx"))


def test_a_video_denoiser_gives_pytorchs_numbers_with_conditions_and_known_frames() -> None:
    model = DiffusionModel(video_config("tiny", cond_dim=8))
    net, shape = model.ema.model, model.config.shape
    for p in net.parameters():  # a trained-looking net: zero-initialised layers would hide mistakes
        p.data.normal_(0, 0.05)
    run = onnx_runtime.onnx_denoiser(net, shape)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, *shape.sample_shape, generator=gen)
    t, cond, keep = torch.tensor([3, 400, 990]), torch.randn(3, 8, generator=gen), torch.tensor([True, False, True])
    known, mask = torch.randn(x.shape, generator=gen), torch.tensor([[1.0] + [0.0] * (x.shape[1] - 1)] * 3)
    with torch.no_grad():
        for args, kw in [((x, t, cond, keep), {"known": known, "mask": mask}), ((x, t, cond, keep), {}), ((x, t), {})]:
            assert torch.allclose(run(*args, **kw), net(*args, **kw), atol=1e-5), (len(args), sorted(kw))
        assert not torch.allclose(run(x, t, cond, keep), net(x, t, cond, ~keep), atol=1e-3)  # the graph reads keep
        one = (x, t[:1], cond[:1], keep[:1])  # one timestep and condition for the batch, as samplers may pass
        assert torch.allclose(run(*one), net(*one), atol=1e-5)


def test_an_unconditional_image_denoiser_gives_pytorchs_numbers_for_any_batch() -> None:
    model = DiffusionModel(image_config("tiny", cond_dim=0))
    net, shape = model.ema.model, model.config.shape
    for p in net.parameters():
        p.data.normal_(0, 0.05)
    run = onnx_runtime.onnx_denoiser(net, shape)
    for batch in (1, 5):
        x, t = torch.randn(batch, *shape.sample_shape), torch.full((batch,), 500)
        with torch.no_grad():
            assert torch.allclose(run(x, t), net(x, t), atol=1e-5)


def test_each_set_of_weights_is_exported_once_and_sampling_uses_it() -> None:
    model = DiffusionModel(video_config("tiny", cond_dim=8))
    before = _files()
    a = model.sample(torch.ones(2, 8), steps=3, guidance=2.0, seed=1)
    after = _files()
    assert len(after) == len(before) + 1  # the first sampling exported the EMA denoiser
    model.sample(torch.ones(2, 8), steps=3, guidance=2.0, seed=1)
    assert _files() == after  # the same weights: the same file
    for p in model.ema.model.parameters():
        p.data.add_(0.01)
    model.sample(torch.ones(2, 8), steps=3, guidance=2.0, seed=1)
    assert len(_files()) == len(after) + 1  # new weights (training went on): a new export
    for p in model.ema.model.parameters():
        p.data.sub_(0.01)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENEREC_SAMPLER", "torch")
        assert not onnx_runtime.wanted()
        b = model.sample(torch.ones(2, 8), steps=3, guidance=2.0, seed=1)
    assert torch.allclose(a, b, atol=1e-4)  # PyTorch and ONNX Runtime make the same samples


def test_a_denoiser_that_cannot_be_exported_is_an_error_and_sampling_falls_back(caplog) -> None:  # noqa: ANN001
    model = DiffusionModel(video_config("tiny", cond_dim=8))
    wrong = dataclasses.replace(model.config.shape, size=model.config.shape.size + 3)
    with pytest.raises(ModelError, match="ONNX Runtime"):
        onnx_runtime.onnx_denoiser(model.ema.model, wrong)
    assert not any("denoiser-" in p.name and p.suffix == ".tmp" for p in onnx_runtime.cache_dir().glob("*"))


def test_sampling_falls_back_to_pytorch_and_says_so_where_the_cache_cannot_be_written(tmp_path, caplog) -> None:  # noqa: ANN001
    model = DiffusionModel(video_config("tiny", cond_dim=8))
    expected = model.sample(torch.ones(1, 8), steps=2, guidance=2.0, seed=3)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    for p in model.ema.model.parameters():  # other weights: nothing cached for them yet
        p.data.add_(0.02)
    with pytest.MonkeyPatch.context() as mp, caplog.at_level(logging.WARNING, logger="generec.diffusion.model"):
        mp.setenv("GENEREC_CACHE_DIR", str(blocker))
        out = model.sample(torch.ones(1, 8), steps=2, guidance=2.0, seed=3)
    assert any("sampling with PyTorch" in r.getMessage() for r in caplog.records)
    assert out.shape == expected.shape and not torch.allclose(out, expected)  # sampled, with the new weights


def test_a_long_running_process_keeps_a_bounded_number_of_sessions() -> None:
    model = DiffusionModel(image_config("tiny", cond_dim=0))
    for k in range(onnx_runtime.MAX_SESSIONS + 2):
        for p in model.ema.model.parameters():
            p.data.add_(0.001 * (k + 1))  # new weights each time, as a model retrained and swapped in
        onnx_runtime.onnx_denoiser(model.ema.model, model.config.shape)
    assert len(onnx_runtime._SESSIONS) <= onnx_runtime.MAX_SESSIONS


def test_a_session_made_while_torch_ran_on_one_thread_does_not_keep_one_thread() -> None:
    model = DiffusionModel(image_config("tiny", cond_dim=0))
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)  # as a chat turn's text encoding does for a moment
        onnx_runtime.onnx_denoiser(model.ema.model, model.config.shape)
        torch.set_num_threads(2)
        onnx_runtime.onnx_denoiser(model.ema.model, model.config.shape)
    finally:
        torch.set_num_threads(before)
    threads = sorted(s.get_session_options().intra_op_num_threads for s in list(onnx_runtime._SESSIONS.values())[-2:])
    assert threads == [1, 2]
