"""Style transfer: instruction -> style through the text encoder, references, smoothing, a restyled video."""

from __future__ import annotations

import numpy as np
import pytest

from generec.editor.style_transfer import STYLES, StyleTransfer, edge_similarity, flicker, smooth, ssim, style_image
from generec.errors import ConfigError, ModelError


@pytest.fixture(scope="module")
def text_encoder():
    from generec.encoders.dual import DualEncoderConfig, GeneRecEncoder

    # Untrained projection of the frozen MiniLM tower: wide enough to keep MiniLM's text similarities.
    return GeneRecEncoder(DualEncoderConfig(dim=256), seed=0)


@pytest.mark.parametrize(
    ("instruction", "expected"),
    [
        ("make it look like a pencil sketch", "pencil sketch"),
        ("neon lights please", "neon"),
        ("like a stained glass window", "stained glass"),
        ("paint it in watercolour", "watercolour"),
        ("set it on fire", "fire"),
    ],
)
def test_instruction_words_map_to_the_intended_style(text_encoder, instruction, expected):
    name, scores = StyleTransfer(text_encoder).match(instruction)
    assert name == expected
    assert set(scores) == set(STYLES)


def test_matching_needs_an_encoder_and_words(text_encoder):
    with pytest.raises(ModelError, match="encoder"):
        StyleTransfer().match("a sketch")
    with pytest.raises(ConfigError, match="empty"):
        StyleTransfer(text_encoder).match("  ")


def test_reference_images_are_deterministic_and_distinct():
    sketch = style_image("pencil sketch", size=64)
    assert sketch.shape == (64, 64, 3) and sketch.dtype == np.uint8
    assert np.array_equal(sketch, style_image("pencil sketch", size=64))
    assert not np.array_equal(sketch, style_image("neon", size=64))
    with pytest.raises(ConfigError, match="unknown style"):
        style_image("baroque")


def test_smoothing_removes_flicker_where_the_source_is_still_and_follows_motion():
    rng = np.random.default_rng(0)
    src = [np.full((16, 16, 3), 100, np.uint8) for _ in range(10)]
    for k, f in enumerate(src):
        f[:4, k : k + 4] = 250  # a small moving block
    styled = [np.clip(s.astype(int) + rng.integers(-40, 40, s.shape), 0, 255).astype(np.uint8) for s in src]
    out = list(smooth(zip(src, styled, strict=True), strength=0.8, tau=10.0))
    assert flicker(out) < 0.6 * flicker(styled)
    moved = np.abs(out[-1][:4, 9:13].astype(int) - styled[-1][:4, 9:13]).mean()
    still = np.abs(out[-1][8:].astype(int) - styled[-1][8:]).mean()
    assert moved < still  # moving pixels follow the fresh frame
    with pytest.raises(ConfigError):
        list(smooth([], strength=1.0))


def test_similarity_measures():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
    assert ssim(a, a) == pytest.approx(1.0)
    assert edge_similarity(a, a) == pytest.approx(1.0)
    assert ssim(a, 255 - a) < 0.5


@pytest.mark.slow
def test_restyles_a_video_with_audio_and_reports_its_numbers(text_encoder, planted_video, tmp_path):
    from generec.media import probe

    st = StyleTransfer(text_encoder, size=96)
    res = st.restyle(planted_video, tmp_path / "s.mp4", instruction="a pencil sketch", max_seconds=0.5)
    assert res.style == "pencil sketch"
    info = probe(res.path)
    assert info.has_audio and info.frames == pytest.approx(4, abs=1)
    m = res.metrics
    assert m["flicker_smoothed"] <= m["flicker_raw"] and -1 <= m["edge_similarity"] <= 1
    user_ref = np.zeros((64, 64, 3), np.uint8)
    user_ref[::8] = 255
    res2 = st.restyle(planted_video, tmp_path / "r.mp4", reference_image=user_ref, max_seconds=0.25)
    assert res2.style == "reference image" and res2.path.is_file()
    with pytest.raises(ConfigError):
        st.restyle(planted_video, tmp_path / "x.mp4")


def test_restyles_a_picture(text_encoder, tmp_path):
    from skimage import data

    from generec.errors import MediaError
    from generec.media import read_image, write_image

    src = write_image(data.astronaut(), tmp_path / "astronaut.png")  # 512 x 512, a real photo
    st = StyleTransfer(text_encoder, size=128)
    res = st.restyle_image(src, tmp_path / "styled.png", instruction="a pencil sketch")
    out = read_image(res.path)
    assert res.style == "pencil sketch" and out.shape == (128, 128, 3)
    assert 0 < res.metrics["edge_similarity"] <= 1 and -1 <= res.metrics["ssim"] < 0.99  # changed, recognisably
    with pytest.raises(MediaError, match="restyle_image"):
        st.restyle(src, tmp_path / "x.mp4", instruction="neon")
