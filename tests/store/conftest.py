"""Shared fixtures for the store tests: a real SQLite file in tmp_path, a controllable clock."""

from __future__ import annotations

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


@pytest.fixture
def store(db_path: Path, clock: FakeClock):
    s = Store.open(db_path, clock=clock)
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
