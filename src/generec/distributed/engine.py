"""Where batch work runs: in this process (``local``) or on a Ray cluster (``ray``).

An engine maps a function over shards and returns the results in shard order. The
Ray engine runs each shard as a task (one CPU each) on a local cluster it starts, or on
an existing one (``address="auto"``, ``"ray://host:10001"``, ``"host:6379"``); large
inputs shared by every shard (the item features, the model's embeddings) go into Ray's
object store once and are read without copying. Results stream back as shards finish,
so a caller that writes each shard away (``on_result``) never holds them all.

Example
-------
>>> engine = get_engine("local")
>>> engine.map(lambda shard, scale: shard * scale, [1, 2, 3], shared={"scale": 10})
[10, 20, 30]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from generec.errors import ConfigError, MissingExtraError

ENGINES = ("local", "ray")


class Engine(Protocol):
    """Runs ``fn(shard, **shared)`` for every shard; results in shard order."""

    name: str
    workers: int

    def map(
        self,
        fn: Callable[..., Any],
        shards: Sequence[Any],
        shared: dict[str, Any] | None = None,
        on_result: Callable[[int, Any], None] | None = None,
    ) -> list[Any]: ...

    def close(self) -> None: ...


class LocalEngine:
    """Every shard in this process, one after another: the single-process path."""

    name = "local"
    workers = 1

    def map(self, fn, shards, shared=None, on_result=None):  # noqa: ANN001, ANN201 - see Engine
        out = []
        for n, shard in enumerate(shards):
            result = fn(shard, **(shared or {}))
            if on_result is not None:
                on_result(n, result)
                result = None
            out.append(result)
        return out

    def close(self) -> None:
        pass


class RayEngine:
    """Shards as Ray tasks on a local cluster (started here) or an existing one (``address``).

    ``workers``: CPUs of a local cluster (default: all of this machine's); on an existing cluster,
    its own CPUs decide. Each task asks for one CPU, so at most ``workers`` shards run at once.
    """

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError as exc:
            raise MissingExtraError("ray", "ray", "--engine ray") from exc
        self._ray = ray
        self.address = address
        self._started = not ray.is_initialized()
        if self._started:
            kwargs: dict[str, Any] = {"address": address, "include_dashboard": False, "log_to_driver": False}
            if address is None:
                kwargs["num_cpus"] = workers or os.cpu_count() or 1
            try:
                ray.init(**kwargs)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise ConfigError(f"cannot reach the Ray cluster at {address!r}: {exc}") from exc
        self.workers = int(ray.cluster_resources().get("CPU", 1))
        if self.address is None:
            self.address = ray.get_runtime_context().gcs_address

    def map(self, fn, shards, shared=None, on_result=None):  # noqa: ANN001, ANN201 - see Engine
        ray = self._ray
        refs = {k: ray.put(v) for k, v in (shared or {}).items()}  # once, not once per shard
        task = ray.remote(num_cpus=1, max_retries=2)(_call)
        pending = {task.remote(fn, shard, refs): n for n, shard in enumerate(shards)}
        out: list[Any] = [None] * len(pending)
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            n = pending.pop(done[0])
            result = ray.get(done[0])
            if on_result is not None:
                on_result(n, result)
            else:
                out[n] = result
        return out

    def close(self) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()


def _call(fn: Callable[..., Any], shard: Any, shared: dict[str, Any]) -> Any:
    # Ray resolves object references only at the top level of a task's arguments; these sit in a dict.
    import ray

    return fn(shard, **{k: ray.get(v) for k, v in shared.items()})


def get_engine(name: str = "local", address: str | None = None, workers: int | None = None) -> Engine:
    """The engine ``name`` (``local`` or ``ray``); ``address`` and ``workers`` are for Ray.

    Raises :class:`ConfigError` for an unknown name or an address given to the local engine, and
    :class:`MissingExtraError` (naming the ``ray`` extra) when Ray is not installed.
    """
    if name not in ENGINES:
        raise ConfigError(f"unknown engine {name!r}; use one of {', '.join(ENGINES)}")
    if name == "local":
        if address is not None:
            raise ConfigError("--address is for --engine ray (a Ray cluster); the local engine runs here")
        return LocalEngine()
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    return RayEngine(address, workers)
