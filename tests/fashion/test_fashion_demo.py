"""``generec demo --domain fashion``: the fashion world built, loaded, learnt from and shown, then reused."""

from __future__ import annotations

import json

import pytest

from generec.cli import main


@pytest.mark.slow
def test_fashion_demo_builds_then_reuses_the_world_and_store(fashion_files, tmp_path, capsys) -> None:
    args = ["demo", "--domain", "fashion", "--home", str(tmp_path), "--users", "30", "--items", "40",
            "--quiet", "--no-serve", "--encoder-steps", "3"]  # fmt: skip
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "building the demo world (fashion: 30 users, 40 items" in first
    assert "brightness" in first and "texture" in first  # items and a shopper's taste in the fashion vocabulary
    assert "really likes" in first
    assert len(list((tmp_path / "media").rglob("*.png"))) >= 40  # the photos (and their thumbnails) are stored
    assert not any((tmp_path / "media").rglob("*.mp4"))
    assert "trained version" in first and (tmp_path / "models" / "recommender" / "CURRENT").is_file()
    assert json.loads((tmp_path / "demo.json").read_text())["domain"] == "fashion"
    assert "installed the product creator" in first  # the packaged image model: the home creates products
    assert (tmp_path / "models" / "creation_image" / "config.json").is_file()

    assert main(args) == 0
    second = capsys.readouterr().out
    assert "reusing the demo world" in second and "reusing the store" in second
    assert "reusing the recommender" in second


def test_demo_refuses_a_home_that_holds_the_other_domain(tmp_path, capsys) -> None:
    (tmp_path / "demo.json").write_text('{"domain": "video"}\n')
    assert main(["demo", "--domain", "fashion", "--home", str(tmp_path), "--quiet", "--no-serve"]) != 0
    err = capsys.readouterr().err
    assert "holds the video demo" in err and "its own --home" in err and "Traceback" not in err
    assert not (tmp_path / "generec.db").exists()  # nothing was built into it


def test_demo_names_the_domains_it_knows(tmp_path, capsys) -> None:
    assert main(["demo", "--domain", "shoes", "--home", str(tmp_path), "--quiet", "--no-serve"]) != 0
    err = capsys.readouterr().err
    assert "unknown domain 'shoes'" in err and "fashion" in err


def test_fashion_demo_without_the_photos_says_which_package_to_install(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GENEREC_FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    assert main(["demo", "--domain", "fashion", "--home", str(tmp_path / "home"), "--quiet", "--no-serve"]) != 0
    err = capsys.readouterr().err
    assert "dataset-fashion-mnist" in err and "Traceback" not in err
    assert not any((tmp_path / "home" / "worlds").glob("*/world.json"))  # nothing half-built
