"""cut keeps the right segment of video and sound; thumbnails; read_audio; image helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from media_artefacts import moving_square

from generec.errors import MediaError
from generec.media import (
    contact_sheet,
    cut,
    iter_frames,
    probe,
    read_audio,
    read_image,
    resize,
    thumbnail,
    write_image,
    write_video,
)  # fmt: skip


def two_tone(seconds: float, rate: int = 44100, switch: float = 2.0) -> np.ndarray:
    """440 Hz before ``switch`` seconds, 1320 Hz after: the sound tells where a cut came from."""
    t = np.arange(int(seconds * rate)) / rate
    return (0.4 * np.sin(2 * np.pi * np.where(t < switch, 440.0, 1320.0) * t)).astype(np.float32)


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.mean(0)))
    return float(np.fft.rfftfreq(samples.shape[1], 1 / rate)[spectrum.argmax()])


@pytest.fixture(scope="module")
def av_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cut") / "av.mp4"
    return write_video(moving_square(40, 64, 48), out, fps=8, audio=(two_tone(5.0), 44100), gop=8)


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])
def test_cut_keeps_audio_and_duration(av_clip: Path, tmp_path: Path, suffix: str) -> None:
    out = cut(av_clip, tmp_path / f"seg{suffix}", 2.5, 4.0)
    info = probe(out)
    assert info.has_audio and info.fps == 8.0 and (info.width, info.height) == (64, 48)
    assert info.frames == 12 and info.duration == pytest.approx(1.5, abs=0.03)
    frames = list(iter_frames(out))
    assert frames[0].time == 0.0  # timestamps restart at 0
    # the first frame of the cut is source frame 20 (2.5 s x 8 fps): its patch brightness says so
    assert [round(f.image[:4, :4].mean() / 8) for f in frames[:3]] == [20, 21, 22]
    audio = read_audio(out)
    assert audio.samples.shape[1] / audio.rate == pytest.approx(1.5, abs=0.03)
    assert dominant_hz(audio.samples, audio.rate) == pytest.approx(1320, abs=5)  # from after the switch


def test_cut_audio_segment_matches_source(av_clip: Path, tmp_path: Path) -> None:
    out = cut(av_clip, tmp_path / "early.mp4", 0.5, 1.75)
    audio = read_audio(out)
    assert dominant_hz(audio.samples, audio.rate) == pytest.approx(440, abs=5)
    src = read_audio(av_clip, start=0.5, end=1.75)
    n = min(src.samples.shape[1], audio.samples.shape[1])
    # AAC is lossy, but the waveform lines up sample for sample (no shift at the cut)
    assert np.corrcoef(src.samples[0, 1000 : n - 1000], audio.samples[0, 1000 : n - 1000])[0, 1] > 0.95


def test_cut_without_audio_resized_and_clamped(make_video, tmp_path: Path) -> None:
    src = make_video("silent.mp4", n=16, fps=8)
    out = cut(src, tmp_path / "small.mp4", 1.0, 99.0, size=32)
    info = probe(out)
    assert not info.has_audio and (info.width, info.height) == (32, 24) and info.frames == 8


def test_cut_is_deterministic(av_clip: Path, tmp_path: Path) -> None:
    a = cut(av_clip, tmp_path / "a.mp4", 1.0, 3.0).read_bytes()
    assert cut(av_clip, tmp_path / "b.mp4", 1.0, 3.0).read_bytes() == a


def test_cut_refuses_images(tmp_path: Path) -> None:
    img = write_image(np.zeros((8, 8, 3), np.uint8), tmp_path / "i.png")
    with pytest.raises(MediaError, match="is an image"):
        cut(img, tmp_path / "o.mp4", 0, 1)


def test_read_audio_without_track(make_video) -> None:
    with pytest.raises(MediaError, match="no audio stream"):
        read_audio(make_video("silent.mp4", n=8))


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_thumbnail(av_clip: Path, tmp_path: Path, suffix: str) -> None:
    out = thumbnail(av_clip, tmp_path / f"t{suffix}", time=1.0, size=32)
    img = read_image(out)
    assert img.shape == (24, 32, 3)
    mid = read_image(thumbnail(av_clip, tmp_path / "mid.png"))  # default: the middle frame (index 20)
    assert mid.shape == (48, 64, 3) and round(mid[:4, :4].mean() / 8) == 20


def test_resize_and_contact_sheet() -> None:
    img = moving_square(1, 64, 48)[0]
    assert resize(img, 32).shape == (24, 32, 3)
    assert resize(img, (10, 20)).shape == (20, 10, 3)
    assert resize(img, 64) is img or np.array_equal(resize(img, 64), img)
    sheet = contact_sheet([img] * 5, cols=3, cell=32, pad=2)
    assert sheet.shape == (2 * 24 + 2, 3 * 32 + 4, 3)
    assert sheet[-1, -1].tolist() == [0, 0, 0]  # the empty sixth cell stays background
    with pytest.raises(MediaError, match="at least one image"):
        contact_sheet([])
    with pytest.raises(MediaError, match="positive"):
        resize(img, 0)
