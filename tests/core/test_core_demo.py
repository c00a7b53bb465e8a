import pytest

from generec.cli import main


@pytest.mark.slow
def test_demo_builds_then_reuses_the_world_and_store(tmp_path, capsys):
    args = [
        "demo",
        "--home",
        str(tmp_path),
        "--users",
        "30",
        "--items",
        "12",
        "--seed",
        "3",
        "--quiet",
        "--no-serve",
        "--encoder-steps",
        "3",
    ]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "building the demo world" in first
    assert "really likes" in first
    assert (tmp_path / "generec.db").is_file()
    assert any((tmp_path / "media").rglob("*.mp4"))
    assert (tmp_path / "models" / "encoder" / "model.safetensors").is_file()
    assert "trained version" in first and (tmp_path / "models" / "recommender" / "CURRENT").is_file()

    assert main(args) == 0
    second = capsys.readouterr().out
    assert "reusing the demo world" in second
    assert "reusing the store" in second
    assert "reusing the encoder" in second
    assert "reusing the recommender" in second  # the feed's ranker is trained once


def test_demo_rejects_a_bad_world_size(tmp_path, capsys):
    assert main(["demo", "--home", str(tmp_path), "--users", "0", "--quiet", "--no-serve"]) != 0
    err = capsys.readouterr().err
    assert "--users must be at least 1" in err
    assert "Traceback" not in err
