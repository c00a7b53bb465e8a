"""Shared fixtures for the store tests: a real database on each backend, a controllable clock.

Every test that takes ``store_url`` (or ``store`` / ``populated``) runs twice: on a SQLite file in
``tmp_path`` and on a fresh database of a throw-away PostgreSQL server (``postgres_cluster``). The
run ends with the count of store tests that passed on each backend.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from generec.store import MediaStore, Store
from generec.types import Item, Origin, User, Visibility


class FakeClock:
    """A clock tests move by hand (job leases, expiry, token lifetimes)."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "generec.db"


BACKENDS = ("sqlite", "postgresql")
_database_numbers = itertools.count()
_passed: Counter[str] = Counter()


@pytest.fixture(params=BACKENDS)
def store_url(request, db_path: Path) -> str:
    """The URL of an empty store database: a SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{db_path}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    name = f"store_{next(_database_numbers)}"
    yield cluster.create_database(name)
    cluster.drop_database(name)


def backend_of(nodeid: str) -> str | None:
    params = nodeid.partition("[")[2].rstrip("]").split("-")
    return next((b for b in BACKENDS if b in params), None)


def pytest_runtest_logreport(report) -> None:
    if report.when == "call" and report.passed and "tests/store/" in report.nodeid:
        _passed[backend_of(report.nodeid) or "backend-independent"] += 1


def pytest_terminal_summary(terminalreporter) -> None:
    if _passed:
        counts = ", ".join(f"{name} {_passed[name]}" for name in (*BACKENDS, "backend-independent"))
        terminalreporter.write_line(f"store tests passed per backend: {counts}")


@pytest.fixture
def store(store_url: str, clock: FakeClock):
    s = Store.open(store_url, clock=clock)
    yield s
    s.close()


@pytest.fixture
def media_store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


@pytest.fixture
def populated(store: Store) -> Store:
    """Two users, one uploader, two public human items and one AI item private to u1."""
    store.add_users([User(id="u1", name="Ann"), User(id="u2", name="Bob"), User(id="up", name="Uploader")])
    store.add_items(
        [
            Item(id="v1", title="A red car in the snow", uploader_id="up", created_at=1.0),
            Item(id="v2", title="Cats at 100% speed", caption="two cats", uploader_id="up", created_at=2.0),
            Item(
                id="ai1",
                title="red car, made for Ann",
                origin=Origin.AI,
                parent_id="v1",
                visibility=Visibility.PRIVATE,
                visible_to="u1",
                created_at=3.0,
            ),
        ]
    )
    return store


@pytest.fixture
def make_video():
    """Factory for tiny real videos: ``make_video(path, shade=3)``."""
    return write_tiny_video


def write_tiny_video(path: Path, *, frames: int = 16, size: int = 32, fps: int = 8, shade: int = 0) -> Path:
    """A real H.264 MP4 (2 s at 8 fps by default) written with PyAV; ``shade`` changes its bytes."""
    import av
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            img = np.full((size, size, 3), (shade + i * 8) % 256, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
