"""GeneRec's exception types.

Every error a user can cause derives from :class:`GeneRecError` and carries a
message that says what was wrong and what to do. The CLI prints such errors as
one line and exits non-zero; the service turns them into JSON bodies.
"""

from __future__ import annotations


class GeneRecError(Exception):
    """Base class for errors a user can act on."""

    exit_code = 1


class ConfigError(GeneRecError):
    """A configuration file or value is invalid."""


class MediaError(GeneRecError):
    """A media file is missing, corrupt, truncated, not a video/image, or too large."""


class DataError(GeneRecError):
    """A dataset or importer input is malformed (missing columns, unknown ids, bad paths)."""


class StoreError(GeneRecError):
    """The store could not complete an operation (schema mismatch, missing record)."""


class NotFoundError(StoreError):
    """A requested record does not exist (or is not visible to the caller)."""


class ModelError(GeneRecError):
    """A model could not be loaded, trained or applied."""


class MissingExtraError(GeneRecError):
    """An optional dependency is needed; the message names the extra to install."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(f"{purpose} needs the '{package}' package: install it with `pip install 'generec[{extra}]'`")
        self.package = package
        self.extra = extra


def require(module: str, extra: str, purpose: str):
    """Import an optional dependency lazily, or raise :class:`MissingExtraError`."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError(module.split(".")[0], extra, purpose) from exc
