import pytest

from generec.config import Settings, load_settings
from generec.errors import ConfigError


def test_defaults_put_sqlite_in_home(tmp_path):
    s = Settings(home=tmp_path)
    assert s.store.resolved_url(s.home) == f"sqlite:///{tmp_path / 'generec.db'}"
    assert s.media_dir == tmp_path / "media"


def test_toml_file_then_env_then_overrides(tmp_path, monkeypatch):
    cfg = tmp_path / "generec.toml"
    cfg.write_text('[store]\nurl = "sqlite:///from-file.db"\n[world]\nusers = 10\n')
    monkeypatch.setenv("GENEREC_WORLD__SEED", "7")
    s = load_settings(cfg, home=str(tmp_path))
    assert s.store.url == "sqlite:///from-file.db"
    assert s.world.users == 10
    assert s.world.seed == 7


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_invalid_toml_is_a_clear_error(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[store\nurl=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(cfg)


def test_wrong_type_names_the_key(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[world]\nusers = "many"\n')
    with pytest.raises(ConfigError, match="world.users"):
        load_settings(cfg)


def test_unknown_key_is_refused(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("colour = 3\n")
    with pytest.raises(ConfigError, match="colour"):
        load_settings(cfg)


def test_creator_candidates_default_env_and_bounds(tmp_path, monkeypatch):
    assert Settings(home=tmp_path).creator.candidates == 4
    monkeypatch.setenv("GENEREC_CREATOR__CANDIDATES", "2")
    assert load_settings(home=str(tmp_path)).creator.candidates == 2
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[creator]\ncandidates = 0\n")
    with pytest.raises(ConfigError, match="creator.candidates"):
        load_settings(cfg)
