"""Writing videos and images: deterministic bytes, read-back, atomicity, bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from media_artefacts import moving_square, sine

from generec.errors import MediaError
from generec.media import VideoWriter, probe, read_image, write_image, write_video
from generec.media.frames import iter_frames


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])
def test_rewrite_is_byte_identical(tmp_path: Path, suffix: str) -> None:
    frames = moving_square(12)
    a = write_video(iter(frames), tmp_path / f"a{suffix}", fps=8, audio=(sine(1.5), 44100))
    b = write_video(iter(frames), tmp_path / f"b{suffix}", fps=8, audio=(sine(1.5), 44100))
    assert sha(a) == sha(b)
    c = write_video(iter(moving_square(12, seed=1)), tmp_path / f"c{suffix}", fps=8)
    assert sha(c) != sha(a)


@pytest.mark.parametrize("side", [48, 64, 200])
def test_repeated_writes_are_identical(tmp_path: Path, side: int) -> None:
    """x264's AVX-512 kernels once gave 2-4 different files in 10 writes at these sizes; never again."""
    frames = moving_square(8, side, side)
    digests = {sha(write_video(frames, tmp_path / f"r{i}.mp4", fps=8)) for i in range(6)}
    assert len(digests) == 1


@pytest.mark.parametrize(("suffix", "codec", "mime"), [(".mp4", "h264", "video/mp4"), (".webm", "vp9", "video/webm")])
def test_written_video_reads_back(tmp_path: Path, suffix: str, codec: str, mime: str) -> None:
    frames = moving_square(20, width=64, height=48)
    out = write_video((f for f in frames), tmp_path / f"v{suffix}", fps=10)
    info = probe(out)
    assert (info.width, info.height, info.fps, info.codec, info.mime) == (64, 48, 10.0, codec, mime)
    assert info.frames == 20 and info.duration == pytest.approx(2.0, abs=0.05) and not info.has_audio
    decoded = list(iter_frames(out))
    assert len(decoded) == 20
    assert [f.index for f in decoded] == list(range(20))
    # lossy, but close: the brightness patch tells each frame apart
    for i in (0, 7, 19):
        assert abs(int(decoded[i].image[:4, :4].mean()) - i * 8) <= 6
        assert np.abs(decoded[i].image.astype(int) - frames[i]).mean() < 12


def test_odd_sizes_are_padded_to_even(tmp_path: Path) -> None:
    out = write_video(moving_square(4, width=33, height=17), tmp_path / "odd.mp4", fps=4)
    assert (probe(out).width, probe(out).height) == (34, 18)


def test_fractional_fps(tmp_path: Path) -> None:
    out = write_video(moving_square(30), tmp_path / "ntsc.mp4", fps=30000 / 1001)
    assert probe(out).fps == pytest.approx(29.97, abs=0.01)


def test_audio_track_is_written(tmp_path: Path) -> None:
    for suffix in (".mp4", ".webm"):
        out = write_video(moving_square(16), tmp_path / f"av{suffix}", fps=8, audio=(sine(3.0), 44100))
        info = probe(out)
        assert info.has_audio
        assert info.duration == pytest.approx(2.0, abs=0.1)  # audio cut to the video's length


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        ([], "no frames"),
        ([np.zeros((8, 8, 3), np.float32)], "uint8"),
        ([np.zeros((8, 8, 5), np.uint8)], "HxWx3"),
        ([np.zeros((8, 8, 3), np.uint8), np.zeros((10, 8, 3), np.uint8)], "one size"),
    ],
)
def test_bad_frames_raise_and_leave_nothing(tmp_path: Path, frames: list, message: str) -> None:
    dst = tmp_path / "bad.mp4"
    with pytest.raises(MediaError, match=message):
        write_video(frames, dst, fps=8)
    assert not dst.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_failed_rewrite_keeps_the_old_file(tmp_path: Path) -> None:
    dst = write_video(moving_square(4), tmp_path / "keep.mp4", fps=4)
    before = sha(dst)

    def broken():
        yield from moving_square(3)
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        write_video(broken(), dst, fps=4)
    assert sha(dst) == before


def test_bad_suffix_and_fps(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="suffix"):
        write_video(moving_square(2), tmp_path / "x.gif", fps=4)
    with pytest.raises(MediaError, match="fps"):
        write_video(moving_square(2), tmp_path / "x.mp4", fps=0)


def test_writer_without_audio_rejects_audio(tmp_path: Path) -> None:
    w = VideoWriter(tmp_path / "a.mp4", fps=4)
    with pytest.raises(MediaError, match="no audio track"):
        w.write_audio(sine(0.1))
    w.abort()


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_image_roundtrip_and_determinism(tmp_path: Path, suffix: str) -> None:
    img = moving_square(1, width=40, height=30)[0]
    a = write_image(img, tmp_path / f"a{suffix}")
    b = write_image(img, tmp_path / f"b{suffix}")
    assert sha(a) == sha(b)
    back = read_image(a)
    assert back.shape == (30, 40, 3) and back.dtype == np.uint8
    if suffix == ".png":
        assert np.array_equal(back, img)
    else:
        assert np.abs(back.astype(int) - img).mean() < 8


def test_image_accepts_gray_and_rgba(tmp_path: Path) -> None:
    assert read_image(write_image(np.full((5, 7), 200, np.uint8), tmp_path / "g.png")).shape == (5, 7, 3)
    assert read_image(write_image(np.zeros((5, 7, 4), np.uint8), tmp_path / "a.png")).shape == (5, 7, 3)


def test_image_bad_input(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="suffix"):
        write_image(np.zeros((4, 4, 3), np.uint8), tmp_path / "x.tiff")
    with pytest.raises(MediaError, match="uint8"):
        write_image(np.zeros((4, 4, 3)), tmp_path / "x.png")
    text = tmp_path / "fake.png"
    text.write_text("hello")
    with pytest.raises(MediaError, match="fake.png.*not a readable image"):
        read_image(text)
    half = tmp_path / "half.png"
    full = write_image(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8), tmp_path / "f.png")
    half.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(MediaError, match="half.png.*corrupt or truncated"):
        read_image(half)


def test_bytes_identical_across_processes(tmp_path: Path) -> None:
    """The world builder may render in worker processes: bytes must not depend on the process."""
    import subprocess
    import sys

    code = (
        "import sys; sys.path.insert(0, sys.argv[2]); from media_artefacts import moving_square, sine;"
        "from generec.media import write_video;"
        "write_video(moving_square(10, 64, 64), sys.argv[1], fps=8, audio=(sine(1.2), 44100))"
    )
    here = str(Path(__file__).parent)
    for name in ("p1.mp4", "p2.mp4"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name), here], check=True, timeout=60)
    local = write_video(moving_square(10, 64, 64), tmp_path / "local.mp4", fps=8, audio=(sine(1.2), 44100))
    assert sha(tmp_path / "p1.mp4") == sha(tmp_path / "p2.mp4") == sha(local)
