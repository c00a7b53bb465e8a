"""The content-addressed media store."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from generec.config import MediaSettings
from generec.errors import MediaError, NotFoundError, StoreError
from generec.store import MediaStore


def test_put_bytes_is_content_addressed_and_sharded(media_store: MediaStore) -> None:
    data = b"some bytes"
    media = media_store.put_bytes(data, ".bin")
    digest = hashlib.sha256(data).hexdigest()
    assert media.hash == digest and media.size_bytes == len(data)
    path = media_store.path_for(digest)
    assert path == media_store.root / digest[:2] / digest[2:4] / f"{digest}.bin"
    assert path.read_bytes() == data
    with media_store.open(digest) as f:
        assert f.read() == data
    assert media_store.exists(digest) and media_store.verify(digest)


def test_same_content_is_stored_once(media_store: MediaStore, tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_bytes(b"hello")
    first = media_store.put_file(src)
    second = media_store.put_bytes(b"hello", "txt")
    assert first == second and first.mime == "text/plain"
    assert media_store.usage() == (1, 5)
    assert list(media_store.iter_hashes()) == [first.hash]
    assert not any((media_store.root / ".tmp").iterdir())  # no temp files left behind


@pytest.mark.parametrize(
    "bad",
    ["../../etc/passwd", "/etc/passwd", "ab/../../x", "A" * 64, "ab" * 31, "ab" * 32 + "/..", "", "ab" * 32 + "\x00"],
)
def test_path_traversal_and_malformed_hashes_are_refused(media_store: MediaStore, bad: str) -> None:
    for call in (media_store.path_for, media_store.exists, media_store.open):
        with pytest.raises(StoreError, match="not a media hash"):
            call(bad)


def test_bad_suffixes_are_refused(media_store: MediaStore) -> None:
    for suffix in ("/../x", ".mp4/..", ". mp4", ".averyveryverylongsuffix"):
        with pytest.raises(StoreError, match="suffix"):
            media_store.put_bytes(b"x", suffix)


def test_missing_files_and_hashes(media_store: MediaStore, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no such file"):
        media_store.put_file(tmp_path / "missing.mp4")
    with pytest.raises(MediaError, match="no such file"):
        media_store.put_file(tmp_path)
    with pytest.raises(NotFoundError, match="not in the media store"):
        media_store.path_for("0" * 64)
    assert not media_store.exists("0" * 64)


def test_oversized_files_are_refused_without_leftovers(tmp_path: Path) -> None:
    small = MediaStore(tmp_path / "m", MediaSettings(max_file_bytes=1000))
    with pytest.raises(MediaError, match="larger than the limit"):
        small.put_bytes(b"x" * 3 * 1024 * 1024, ".bin")
    assert small.usage() == (0, 0)
    assert not any((small.root / ".tmp").iterdir())


def test_videos_are_probed_and_fake_videos_refused(media_store: MediaStore, tmp_path: Path, make_video) -> None:
    video = make_video(tmp_path / "clip.mp4")
    media = media_store.put_file(video)
    assert media.mime.startswith("video/")
    assert (media.width, media.height) == (32, 32)
    assert media.fps == pytest.approx(8.0) and media.duration == pytest.approx(2.0, abs=0.2)
    assert media_store.path_for(media.hash).suffix == ".mp4"
    fake = tmp_path / "notes.mp4"
    fake.write_text("a text file renamed to .mp4\n" * 20)
    with pytest.raises(MediaError, match="notes.mp4"):
        media_store.put_file(fake)
    assert media_store.usage()[0] == 1  # the fake never entered the store


def test_batch_puts_are_synced_together_and_usable(media_store: MediaStore) -> None:
    with media_store.batch():
        with media_store.batch():  # nested batches join the outer one
            first = media_store.put_bytes(b"one", ".bin")
        second = media_store.put_bytes(b"two", ".bin")
        assert media_store.exists(first.hash)  # readable before the batch ends
    assert media_store._pending is None
    assert media_store.verify(first.hash) and media_store.verify(second.hash)
    with pytest.raises(StoreError), media_store.batch():
        media_store.put_bytes(b"three", "../x")
    assert media_store._pending is None  # a failed batch still ends cleanly
