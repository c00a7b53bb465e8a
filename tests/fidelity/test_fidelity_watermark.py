"""The item-id watermark on real-photo frames at our smallest output size, on files, and its failure paths."""

from __future__ import annotations

import numpy as np
import pytest

from generec.fidelity.base import FidelityError
from generec.fidelity.evalset import attack
from generec.fidelity.watermark import Watermarker, payload_bits, read_frames, watermark_file
from generec.media import write_image, write_video


def test_payload_is_tied_to_the_item_id():
    a, b = payload_bits("item-1"), payload_bits("item-2")
    assert a.shape == (32,) and set(np.unique(a)) <= {0, 1}
    assert np.array_equal(a, payload_bits("item-1"))
    assert not np.array_equal(a, b)


def test_clean_frames_at_64px_are_all_detected_and_unmarked_ones_never(photos64):
    wm = Watermarker()
    marked = [wm.embed(f, f"g{i}") for i, f in enumerate(photos64)]
    assert all(wm.detect(m, f"g{i}").detected for i, m in enumerate(marked))
    assert all(wm.detect(m, f"g{i}").confidence == 1.0 for i, m in enumerate(marked))
    # unmarked frames, and marked frames asked for another item's payload, are not detected
    assert not any(wm.detect(f, f"g{i}").detected for i, f in enumerate(photos64))
    assert not any(wm.detect(m, f"g{i + 1}").detected for i, m in enumerate(marked))


def test_watermark_is_invisible_enough_and_deterministic(photos64):
    wm = Watermarker()
    f = photos64[0]
    m1, m2 = wm.embed(f, "x"), wm.embed(f, "x")
    assert np.array_equal(m1, m2)
    mse = np.mean((m1.astype(float) - f.astype(float)) ** 2)
    assert 10 * np.log10(255**2 / mse) > 35  # PSNR in dB


def test_saturated_frames_are_still_marked():
    # pure black/white regions clip the chroma change; the re-embedding loop must recover every bit
    frame = np.zeros((64, 64, 3), np.uint8)
    frame[:, 32:] = 255
    wm = Watermarker()
    assert wm.detect(wm.embed(frame, "sat"), "sat").detected


def test_survives_resize_and_noise_at_128px(photos64):
    from PIL import Image

    wm = Watermarker()
    frames = [np.asarray(Image.fromarray(f).resize((128, 128), Image.BICUBIC)) for f in photos64[:10]]
    for name in ("resize50", "noise"):
        rate = np.mean([wm.detect(attack(wm.embed(f, f"r{i}"), name), f"r{i}").detected for i, f in enumerate(frames)])
        assert rate >= 0.8, name


def test_video_file_every_frame_marked_and_pooled_detection(tmp_path, photos64):
    clip = [np.roll(photos64[3], i, axis=1) for i in range(8)]
    src = write_video(clip, tmp_path / "clip.mp4", fps=8)
    out = watermark_file(src, tmp_path / "marked.mp4", "vid-1")
    frames = read_frames(out)
    assert len(frames) == 8
    res = Watermarker().detect_frames(frames, "vid-1")
    assert res.detected and res.frames == 8
    assert not Watermarker().detect_frames(read_frames(src), "vid-1").detected


def test_lossless_video_frames_detected_one_by_one(tmp_path, photos64):
    # the frames as generated (before H.264) carry the payload in every single frame
    wm = Watermarker()
    res = wm.detect_frames([wm.embed(f, "v") for f in photos64[:8]], "v")
    assert res.frame_rate == 1.0


def test_image_file_roundtrip_and_identify(tmp_path, photos64):
    src = write_image(photos64[5], tmp_path / "a.png")
    out = watermark_file(src, tmp_path / "b.png", "img-7")
    found, res = Watermarker().identify(read_frames(out), ["img-1", "img-7", "img-9"])
    assert found == "img-7" and res.confidence == 1.0
    assert Watermarker().identify(read_frames(src), ["img-1", "img-7"])[0] is None


@pytest.mark.parametrize(
    "frame",
    [np.zeros((16, 16, 3), np.uint8), np.zeros((64, 64), np.uint8), np.zeros((64, 64, 3), np.float32)],
    ids=["too-small", "grey", "float"],
)
def test_bad_frames_are_refused_with_a_clear_error(frame):
    with pytest.raises(FidelityError, match="watermark"):
        Watermarker().embed(frame, "x")


def test_bad_settings_and_empty_input():
    with pytest.raises(FidelityError):
        Watermarker(strength=0)
    with pytest.raises(FidelityError, match="no frames"):
        Watermarker().detect_frames([], "x")


# ------------------------------------------------------------ synchronisation
@pytest.fixture(scope="module")
def marked256():
    from generec.fidelity.evalset import photo_frames

    frame = photo_frames(1, 256, seed=21)[0]
    return frame, Watermarker().embed(frame, "sync-1")


@pytest.mark.parametrize(
    "change",
    [
        lambda f: np.rot90(f, 1),
        lambda f: np.rot90(f, 2),
        lambda f: f[37:237, 11:216],  # an off-grid 20% crop
        lambda f: np.asarray(__import__("PIL.Image").Image.fromarray(f).resize((128, 128))),  # 50% downscale
    ],
    ids=["rot90", "rot180", "crop", "downscale"],
)
def test_geometric_changes_are_undone_by_the_search(marked256, change):
    frame, marked = marked256
    wm = Watermarker()
    res = wm.detect(np.ascontiguousarray(change(marked)), "sync-1")
    assert res.detected and res.confidence >= 0.9, res.geometry
    assert not wm.detect(np.ascontiguousarray(change(frame)), "sync-1").detected
    assert not wm.detect(np.ascontiguousarray(change(marked)), "sync-2").detected


def test_blind_reading_recovers_the_payload_without_the_item_id(marked256):
    frame, marked = marked256
    reading = Watermarker().read([np.rot90(marked, 3)])
    assert reading.present and np.array_equal(reading.bits, payload_bits("sync-1"))
    assert not Watermarker().read([frame]).present
    found, _ = Watermarker().identify([np.rot90(marked, 1)], ["a", "sync-1", "b"])
    assert found == "sync-1"
