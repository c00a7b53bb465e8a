"""One typed configuration for GeneRec.

Loaded from a TOML file plus ``GENEREC_*`` environment variables (nested keys
use ``__``, e.g. ``GENEREC_STORE__URL=postgresql://...``). Every component is
built from a section of this object, so one file describes a deployment.

Example
-------
>>> from generec.config import Settings
>>> s = Settings(home="/tmp/gr")
>>> s.store.resolved_url(s.home).startswith("sqlite:///")
True
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from generec.errors import ConfigError


def default_home() -> Path:
    """Where GeneRec keeps its store, media and models unless told otherwise."""
    env = os.environ.get("GENEREC_HOME")
    return Path(env) if env else Path.home() / ".generec"


class StoreSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: a SQLite file 'generec.db' in home.",
    )
    echo: bool = False

    def resolved_url(self, home: Path | str) -> str:
        if self.url:
            return self.url
        return f"sqlite:///{Path(home) / 'generec.db'}"


class MediaSettings(BaseModel):
    max_file_bytes: int = Field(default=4 * 1024**3, description="Refuse media files larger than this.")
    max_pixels: int = Field(default=7680 * 4320, description="Refuse frames with more pixels than this (8K).")
    max_duration_s: float = Field(default=6 * 3600, description="Refuse videos longer than this.")


class WorldSettings(BaseModel):
    users: int = 2000
    items: int = 1500
    seed: int = 0


class EncoderSettings(BaseModel):
    backend: str = Field(default="generec", description="Encoder backend name (see generec.encoders).")
    path: str | None = Field(default=None, description="Directory the backend loads from.")


class Settings(BaseSettings):
    """The whole configuration. Construct directly, or with :func:`load_settings`."""

    model_config = SettingsConfigDict(env_prefix="GENEREC_", env_nested_delimiter="__", extra="forbid")

    home: Path = Field(default_factory=default_home)
    store: StoreSettings = Field(default_factory=StoreSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    world: WorldSettings = Field(default_factory=WorldSettings)
    encoder: EncoderSettings = Field(default_factory=EncoderSettings)

    @property
    def media_dir(self) -> Path:
        return Path(self.home) / "media"

    @property
    def models_dir(self) -> Path:
        return Path(self.home) / "models"


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Read settings from a TOML file (optional), then env vars, then ``overrides``.

    Raises :class:`ConfigError` with the offending key when the file is invalid.
    """
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file {p} does not exist")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {p} is not valid TOML: {exc}") from exc
    data.update(overrides)
    try:
        return Settings(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"invalid config value '{where}': {first['msg']}") from exc
