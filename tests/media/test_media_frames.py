"""Frame streaming: the right frames (checked against decoding everything), sizes, ranges, seeking."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from media_artefacts import moving_square

from generec.media import iter_frames, read_frame, sample_frames, write_video
from generec.media.frames import sample_times
from generec.media.probe import probe


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s at 8 fps, a keyframe every 2 s and B-frames: sampling must seek and reorder correctly."""
    out = tmp_path_factory.mktemp("frames") / "long.mp4"
    return write_video(moving_square(160, 64, 48), out, fps=8, gop=16)


def naive_frames(path: Path) -> list[tuple[float, np.ndarray]]:
    """The baseline: decode every frame in order (what iter_frames must agree with)."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return [(float(f.pts * s.time_base), f.to_ndarray(format="rgb24")) for f in c.decode(s)]


def shown_at(frames: list[tuple[float, np.ndarray]], t: float) -> int:
    return max(i for i, (ft, _) in enumerate(frames) if ft <= t + 1e-6)


@pytest.mark.parametrize("kwargs", [{"count": 7}, {"fps": 0.7}, {"count": 5, "start": 3.3, "end": 17.1}])
def test_sampled_frames_match_full_decode(long_clip: Path, kwargs: dict) -> None:
    reference = naive_frames(long_clip)
    got = list(iter_frames(long_clip, **kwargs))
    times = sample_times(probe(long_clip), **kwargs)
    assert len(got) == len(times)
    for frame, t in zip(got, times, strict=True):
        want = shown_at(reference, t)
        assert frame.index == want and frame.time == pytest.approx(reference[want][0])
        assert np.abs(frame.image.astype(int) - reference[want][1]).mean() < 1.0


def test_every_frame_in_range(long_clip: Path) -> None:
    frames = list(iter_frames(long_clip, start=4.0, end=6.0))
    assert [f.index for f in frames] == list(range(32, 48))
    assert frames[0].time == pytest.approx(4.0)
    assert len(list(iter_frames(long_clip))) == 160


def test_count_sampling_is_evenly_spaced(long_clip: Path) -> None:
    times, frames = sample_frames(long_clip, 10)
    assert frames.shape == (10, 48, 64, 3) and frames.dtype == np.uint8
    assert np.allclose(np.diff(times), 2.0, atol=0.13)
    assert times[0] == pytest.approx(1.0, abs=0.13)


def test_fps_sampling_repeats_frames_above_source_rate(make_video) -> None:
    p = make_video("a.mp4", n=8, fps=4)
    idx = [f.index for f in iter_frames(p, fps=8)]
    assert idx == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]


@pytest.mark.parametrize(("size", "shape"), [(32, (24, 32, 3)), ((20, 10), (10, 20, 3)), (None, (48, 64, 3))])
def test_resize_on_decode(long_clip: Path, size, shape) -> None:
    _, frames = sample_frames(long_clip, 3, size=size)
    assert frames.shape == (3, *shape)


def test_read_frame_is_exact(long_clip: Path) -> None:
    reference = naive_frames(long_clip)
    for t in (0.0, 3.1, 9.99, 19.9):
        f = read_frame(long_clip, t)
        assert f.index == shown_at(reference, t)
        assert np.abs(f.image.astype(int) - reference[f.index][1]).mean() < 1.0


def test_webm_sampling(make_video) -> None:
    p = make_video("a.webm", n=24, fps=8)
    assert [f.index for f in iter_frames(p, count=3)] == [4, 12, 20]


def test_iter_frames_is_lazy(long_clip: Path) -> None:
    it = iter_frames(long_clip)
    first = next(it)
    assert first.index == 0
    it.close()  # closing early releases the file: no decoding of the rest
