"""The diffusers adapters on tiny randomly initialised pipelines that the tests build and save_pretrained."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from generec.editor.diffusers_adapters import DiffusersImageCreator, DiffusersImageReviser, DiffusersVideoCreator
from generec.errors import ConfigError, DataError, MissingExtraError, ModelError
from generec.types import Guidance


def _text_parts(root: Path):
    """A character-level CLIP tokenizer (no merges, needs no download) and a one-layer CLIP text model."""
    import torch
    import transformers

    chars = [chr(c) for c in range(33, 127)]
    tokens = ["<|startoftext|>", "<|endoftext|>", *chars, *(c + "</w>" for c in chars)]
    (root / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (root / "merges.txt").write_text("#version: 0.2\n")
    tok = transformers.CLIPTokenizer(str(root / "vocab.json"), str(root / "merges.txt"), model_max_length=16)
    torch.manual_seed(0)
    config = transformers.CLIPTextConfig(
        vocab_size=len(tokens), hidden_size=16, intermediate_size=32, num_attention_heads=2, num_hidden_layers=1,
        max_position_embeddings=16, projection_dim=16, bos_token_id=0, eos_token_id=1, pad_token_id=1,
    )  # fmt: skip
    return tok, transformers.CLIPTextModel(config)


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny Stable Diffusion (text-to-image) and text-to-video pipelines, saved as their folders."""
    diffusers = pytest.importorskip("diffusers")
    root = tmp_path_factory.mktemp("tiny_diffusers")
    tok, text = _text_parts(root)
    vae = diffusers.AutoencoderKL(
        in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(8, 8), latent_channels=4,
        norm_num_groups=4, layers_per_block=1, sample_size=32,
    )  # fmt: skip
    common = {"sample_size": 16, "in_channels": 4, "out_channels": 4, "layers_per_block": 1,
              "block_out_channels": (8, 16), "cross_attention_dim": 16, "norm_num_groups": 4,
              "attention_head_dim": 2}  # fmt: skip
    unet = diffusers.UNet2DConditionModel(
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        **common,
    )
    unet3d = diffusers.UNet3DConditionModel(
        down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"),
        up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"),
        **common,
    )
    sched = diffusers.DDIMScheduler(
        beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False, steps_offset=1
    )
    sd = diffusers.StableDiffusionPipeline(
        vae=vae, text_encoder=text, tokenizer=tok, unet=unet, scheduler=sched, safety_checker=None,
        feature_extractor=None, requires_safety_checker=False,
    )  # fmt: skip
    sd.save_pretrained(root / "sd")
    diffusers.TextToVideoSDPipeline(
        vae=vae, text_encoder=text, tokenizer=tok, unet=unet3d, scheduler=sched
    ).save_pretrained(root / "t2v")
    return {"sd": root / "sd", "t2v": root / "t2v"}


def test_bad_directories_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a directory"):
        DiffusersImageCreator.load(tmp_path / "nowhere")
    with pytest.raises(ModelError, match="model_index.json"):
        DiffusersImageCreator.load(tmp_path)
    (tmp_path / "model_index.json").write_text("{broken")
    with pytest.raises(ModelError, match="not readable JSON"):
        DiffusersImageReviser.load(tmp_path)
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "KandinskyPipeline"}))
    with pytest.raises(ModelError, match="holds a KandinskyPipeline"):
        DiffusersVideoCreator.load(tmp_path)


def test_missing_extra_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}))
    monkeypatch.setitem(sys.modules, "diffusers", None)  # `import diffusers` now fails as if not installed
    with pytest.raises(MissingExtraError, match=r"generec\[diffusers\]"):
        DiffusersImageCreator.load(tmp_path)


def test_text_to_image_and_image_to_image(pipelines: dict[str, Path]) -> None:
    creator = DiffusersImageCreator.load(pipelines["sd"], steps=2)
    images = creator.create("a red car", n=2, seed=3)
    assert images.shape == (2, 32, 32, 3) and images.dtype == np.uint8
    assert np.array_equal(DiffusersImageCreator.load(pipelines["sd"], steps=2).create("a red car", n=2, seed=3), images)
    assert not np.array_equal(creator.create("a red car", n=2, seed=4), images)
    assert creator.create(Guidance(instruction_text="a red car"), n=2, seed=3).shape == images.shape
    with pytest.raises(ConfigError, match="instruction_text"):
        creator.create(Guidance(user_hist=np.ones(4)))
    with pytest.raises(ConfigError, match="multiple of 2"):
        creator.create("a red car", size=33)

    reviser = DiffusersImageReviser.load(pipelines["sd"], steps=4)  # img2img loads a text-to-image folder too
    source = np.random.default_rng(0).integers(0, 256, (40, 24, 3), dtype=np.uint8)
    revised = reviser.revise(source, "the same at night", strength=0.5, seed=1)
    assert revised.shape == (32, 32, 3) and revised.dtype == np.uint8
    assert np.array_equal(reviser.revise(source, "the same at night", strength=0.5, seed=1), revised)
    with pytest.raises(DataError, match="uint8 image"):
        reviser.revise(source.astype(np.float32), "x")
    with pytest.raises(ConfigError, match="strength"):
        reviser.revise(source, "x", strength=0.0)


def test_text_to_video_and_wrong_pipeline_kind(pipelines: dict[str, Path]) -> None:
    creator = DiffusersVideoCreator.load(pipelines["t2v"], steps=2)
    clip = creator.create("a dog running", frames=3, seed=0)
    assert clip.shape == (3, 32, 32, 3) and clip.dtype == np.uint8
    assert np.array_equal(creator.create("a dog running", frames=3, seed=0), clip)
    with pytest.raises(ConfigError, match="frames"):
        creator.create("a dog", frames=0)
    with pytest.raises(ModelError, match="holds a StableDiffusionPipeline"):
        DiffusersVideoCreator.load(pipelines["sd"])


def test_broken_weights_raise_model_error(pipelines: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "sd"
    shutil.copytree(pipelines["sd"], broken)
    for f in (broken / "unet").glob("diffusion_pytorch_model*"):
        f.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="cannot load"):
        DiffusersImageCreator.load(broken)
