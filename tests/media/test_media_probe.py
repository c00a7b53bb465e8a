"""probe / media_record, and every kind of bad input giving a MediaError that names the file."""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from media_artefacts import moving_square, sine

from generec.config import MediaSettings
from generec.errors import GeneRecError, MediaError
from generec.media import cut, iter_frames, media_record, probe, read_frame, sample_frames, write_image, write_video


def test_probe_video_with_audio(make_video) -> None:
    p = make_video("a.mp4", n=24, fps=12, audio_s=2.0)
    info = probe(p)
    assert (info.width, info.height, info.fps, info.frames) == (64, 48, 12.0, 24)
    assert info.duration == pytest.approx(2.0, abs=0.02)
    assert info.has_audio and info.codec == "h264" and info.mime == "video/mp4" and not info.is_image


def test_media_record_hash_is_streamed_sha256(make_video) -> None:
    p = make_video("b.webm", n=8, fps=8)
    rec = media_record(p)
    assert rec.hash == hashlib.sha256(p.read_bytes()).hexdigest()
    assert (rec.mime, rec.size_bytes, rec.width, rec.height, rec.frames, rec.fps) == (
        "video/webm", p.stat().st_size, 64, 48, 8, 8.0,
    )  # fmt: skip
    assert rec.duration == pytest.approx(1.0, abs=0.02) and not rec.has_audio


@pytest.mark.parametrize(("suffix", "mime"), [(".png", "image/png"), (".jpg", "image/jpeg")])
def test_probe_and_record_images(tmp_path: Path, suffix: str, mime: str) -> None:
    p = write_image(moving_square(1, 40, 30)[0], tmp_path / f"i{suffix}")
    info = probe(p)
    assert (info.width, info.height, info.frames, info.mime, info.is_image) == (40, 30, 1, mime, True)
    rec = media_record(p)
    assert rec.mime == mime and rec.fps is None and rec.duration is None
    frames = list(iter_frames(p, size=20))
    assert len(frames) == 1 and frames[0].image.shape == (15, 20, 3)


# -- bad inputs ---------------------------------------------------------------------------------------


def _truncate(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def _audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as c:
        a = c.add_stream("aac", rate=44100, layout="mono")
        frame = av.AudioFrame.from_ndarray(sine(1.0)[None], format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 44100, 0, Fraction(1, 44100)
        c.mux(a.encode(frame))
        c.mux(a.encode(None))
    return path


def _index_at_end(path: Path) -> Path:
    """An MP4 whose index (moov) is written after the data, as most cameras do."""
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=8)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        for i, f in enumerate(moving_square(40)):
            frame = av.VideoFrame.from_ndarray(f, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 8)
            c.mux(v.encode(frame))
        c.mux(v.encode(None))
    return path


def _corrupt_middle(src: Path, dst: Path) -> Path:
    data = bytearray(src.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 3000] = np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    dst.write_bytes(bytes(data))
    return dst


def bad_file(kind: str, tmp_path: Path, make_video) -> Path:
    if kind == "missing":
        return tmp_path / "nope.mp4"
    if kind == "directory":
        (tmp_path / "folder.mp4").mkdir()
        return tmp_path / "folder.mp4"
    if kind == "empty":
        (tmp_path / "empty.mp4").write_bytes(b"")
        return tmp_path / "empty.mp4"
    if kind == "text":
        (tmp_path / "notes.mp4").write_text("this is a text file, not a video\n" * 20)
        return tmp_path / "notes.mp4"
    if kind == "audio_only":
        return _audio_only(tmp_path / "song.mp4")
    if kind == "truncated_mp4":
        return _truncate(make_video("full.mp4", n=80, audio_s=10), tmp_path / "half.mp4")
    if kind == "truncated_webm":
        return _truncate(make_video("full.webm", n=80), tmp_path / "half.webm")
    if kind == "truncated_index_at_end":
        return _truncate(_index_at_end(tmp_path / "cam.mp4"), tmp_path / "cam_half.mp4")
    if kind == "corrupt":
        return _corrupt_middle(make_video("ok.mp4", n=80), tmp_path / "corrupt.mp4")
    raise AssertionError(kind)


CASES = {
    "missing": "does not exist",
    "directory": "is a directory",
    "empty": "is empty",
    "text": "not a readable video",
    "audio_only": "no video stream",
    "truncated_mp4": "truncated",
    "truncated_webm": "truncated",
    "truncated_index_at_end": "not a readable video",
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_bad_inputs_raise_media_error(kind: str, tmp_path: Path, make_video) -> None:
    path = bad_file(kind, tmp_path, make_video)
    readers = [
        lambda: probe(path),
        lambda: media_record(path),
        lambda: sample_frames(path, 4),
        lambda: list(iter_frames(path)),
        lambda: read_frame(path, 0.5),
        lambda: cut(path, tmp_path / "out.mp4", 0.5, 1.5),
    ]
    for read in readers:
        with pytest.raises(MediaError, match=CASES[kind]) as err:
            read()
        assert path.name in str(err.value)
        assert isinstance(err.value, GeneRecError) and "\n" not in str(err.value)
    assert not (tmp_path / "out.mp4").exists()


def test_corrupt_data_fails_when_decoded(tmp_path: Path, make_video) -> None:
    """Damage inside the data is only visible when decoding: the headers are fine, the frames are not."""
    path = bad_file("corrupt", tmp_path, make_video)
    assert probe(path).frames == 80
    with pytest.raises(MediaError, match="corrupt.mp4: video is corrupt"):
        list(iter_frames(path))
    with pytest.raises(MediaError, match="corrupt"):
        cut(path, tmp_path / "out.mp4", 1.0, 9.0)
    assert not (tmp_path / "out.mp4").exists()


def test_limits_from_settings(make_video, tmp_path: Path) -> None:
    p = make_video("a.mp4", n=16, fps=8)
    with pytest.raises(MediaError, match="over the limit of 100 bytes"):
        probe(p, settings=MediaSettings(max_file_bytes=100))
    with pytest.raises(MediaError, match="64x48 has more than 1000 pixels"):
        probe(p, settings=MediaSettings(max_pixels=1000))
    with pytest.raises(MediaError, match="lasts 2.0 s, over the limit of 1 s"):
        list(iter_frames(p, settings=MediaSettings(max_duration_s=1)))
    img = write_image(np.zeros((40, 40, 3), np.uint8), tmp_path / "big.png")
    with pytest.raises(MediaError, match="big.png.*more than 100 pixels"):
        probe(img, settings=MediaSettings(max_pixels=100))
    assert probe(p, settings=MediaSettings()).frames == 16


def test_bad_ranges(make_video, tmp_path: Path) -> None:
    p = make_video("a.mp4", n=16, fps=8)
    with pytest.raises(MediaError, match="empty time range"):
        list(iter_frames(p, start=1.5, end=1.0))
    with pytest.raises(MediaError, match="either count= or fps="):
        list(iter_frames(p, count=2, fps=2))
    with pytest.raises(MediaError, match="count must be positive"):
        sample_frames(p, 0)
    with pytest.raises(MediaError, match="outside the video"):
        read_frame(p, 5.0)
    with pytest.raises(MediaError, match="need 0 <= start < end"):
        cut(p, tmp_path / "o.mp4", 1.5, 1.0)
    assert write_video(moving_square(2), tmp_path / "ok.mp4", fps=2).exists()
