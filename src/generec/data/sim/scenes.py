"""Procedural backgrounds for GeneRec-Sim's scenes, vectorised over frames.

Each scene is a static textured layer (sky, ground, buildings, trees...) plus an
animated layer of particles (snowflakes, bubbles, twinkling stars, waves) drawn
by fancy indexing so that a whole shot costs a few numpy calls. Everything is a
pure function of the random generator handed in, so a shot's seed fixes it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Background = Callable[[np.random.Generator, int, int], np.ndarray]


def _rgb(*c: float) -> np.ndarray:
    return np.asarray(c, dtype=np.float32) / 255.0


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in [0, 1): ``y`` down, ``x`` right, each ``[H, W]``."""
    c = (np.arange(size, dtype=np.float32) + 0.5) / size
    y, x = np.meshgrid(c, c, indexing="ij")
    return y, x


def _vgradient(size: int, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    y, _ = _grid(size)
    return top * (1 - y[..., None]) + bottom * y[..., None]


def _noise(rng: np.random.Generator, size: int, amount: float) -> np.ndarray:
    return rng.normal(0.0, amount, (size, size, 1)).astype(np.float32)


def _particles(
    frames: np.ndarray,
    rng: np.random.Generator,
    n: int,
    colour: np.ndarray,
    velocity: tuple[float, float],
    region: tuple[float, float] = (0.0, 1.0),
    twinkle: bool = False,
) -> None:
    """Draw ``n`` one-pixel particles moving at ``velocity`` (frame sides per frame) into ``frames``."""
    t_count, size = frames.shape[0], frames.shape[1]
    y0 = rng.uniform(region[0], region[1], n)
    x0 = rng.uniform(0, 1, n)
    t = np.arange(t_count, dtype=np.float64)[:, None]
    ys = region[0] + np.mod(y0 - region[0] + velocity[0] * t, region[1] - region[0])
    xs = np.mod(x0 + velocity[1] * t + 0.01 * np.sin(t * 0.7 + x0 * 9), 1.0)
    yi = np.clip((ys * size).astype(np.int64), 0, size - 1)
    xi = np.clip((xs * size).astype(np.int64), 0, size - 1)
    ti = np.broadcast_to(np.arange(t_count)[:, None], yi.shape)
    if twinkle:
        on = rng.random((t_count, n)) < 0.7
        ti, yi, xi = ti[on], yi[on], xi[on]
    frames[ti, yi, xi] = colour


def snow(rng: np.random.Generator, t: int, size: int) -> np.ndarray:
    y, x = _grid(size)
    horizon = 0.45 + 0.05 * np.sin(x * 6 + rng.uniform(0, 6))
    img = np.where(
        (y < horizon)[..., None], _vgradient(size, _rgb(170, 185, 205), _rgb(215, 222, 232)), _rgb(245, 248, 252)
    )
    img = img + _noise(rng, size, 0.02)
    frames = np.repeat(img[None], t, axis=0)
    _particles(frames, rng, 3 * size // 4, _rgb(255, 255, 255), (0.02, 0.004))
    return frames


def beach(rng: np.random.Generator, t: int, size: int) -> np.ndarray:
    y, x = _grid(size)
    img = _vgradient(size, _rgb(90, 170, 240), _rgb(170, 215, 250))
    sea = (y >= 0.4) & (y < 0.58)
    img = np.where(sea[..., None], _rgb(20, 90, 170), img)
    sand = y >= 0.58 + 0.02 * np.sin(x * 11)
    img = np.where(sand[..., None], _rgb(235, 205, 140), img) + _noise(rng, size, 0.03)
    frames = np.repeat(img[None], t, axis=0)
    _particles(frames, rng, size // 3, _rgb(230, 245, 255), (0.0, 0.01), region=(0.42, 0.57))
    return frames


def forest(rng: np.random.Generator, t: int, size: int) -> np.ndarray:
    y, x = _grid(size)
    img = _vgradient(size, _rgb(25, 80, 35), _rgb(60, 110, 40))
    for cx in rng.uniform(0, 1, 6):
        w = rng.uniform(0.02, 0.04)
        img = np.where((np.abs(x - cx) < w)[..., None], _rgb(80, 50, 25), img)
        tri = (y > 0.05) & (y < 0.55) & (np.abs(x - cx) < (y - 0.05) * 0.35)
        img = np.where(tri[..., None], _rgb(15, 60 + 40 * cx, 25), img)
    img = np.where((y > 0.85)[..., None], _rgb(70, 55, 30), img) + _noise(rng, size, 0.04)
    return np.repeat(img[None], t, axis=0)


def city(rng: np.random.Generator, t: int, size: int) -> np.ndarray:
    y, x = _grid(size)
    img = _vgradient(size, _rgb(150, 160, 175), _rgb(200, 190, 180))
    edges = np.sort(rng.uniform(0, 1, 7))
    for left, right in zip(np.r_[0.0, edges], np.r_[edges, 1.0], strict=True):
        top = rng.uniform(0.15, 0.55)
        shade = rng.uniform(70, 120)
        building = (x >= left) & (x < right - 0.01) & (y >= top)
        img = np.where(building[..., None], _rgb(shade, shade, shade + 10), img)
        windows = building & (np.mod(x * size, 4) < 2) & (np.mod(y * size, 5) < 2)
        img = np.where(windows[..., None], _rgb(250, 220, 110), img)
    img = np.where((y > 0.9)[..., None], _rgb(55, 55, 60), img) + _noise(rng, size, 0.02)
    return np.repeat(img[None], t, axis=0)


def night(rng: np.random.Generator, t: int, size: int) -> np.ndarray:
    y, x = _grid(size)
    img = _vgradient(size, _rgb(5, 8, 30), _rgb(25, 30, 70))
    mx, my = rng.uniform(0.15, 0.85), rng.uniform(0.1, 0.25)
    moon = (x - mx) ** 2 + (y - my) ** 2 < 0.008
    img = np.where(moon[..., None], _rgb(245, 240, 200), img) + _noise(rng, size, 0.01)
    frames = np.repeat(img[None], t, axis=0)
    _particles(frames, rng, size // 2, _rgb(255, 255, 230), (0.0, 0.0), twinkle=True)
    return frames


def desert(rng: np.random.Generator, t: int, size: int) -> np.ndarray:
    y, x = _grid(size)
    img = _vgradient(size, _rgb(250, 170, 70), _rgb(250, 220, 150))
    sx = rng.uniform(0.2, 0.8)
    img = np.where(((x - sx) ** 2 + (y - 0.18) ** 2 < 0.006)[..., None], _rgb(255, 250, 200), img)
    for k, base in enumerate((0.5, 0.65, 0.8)):
        dune = y > base + 0.06 * np.sin(x * (5 + k) + rng.uniform(0, 6))
        img = np.where(dune[..., None], _rgb(220 - 25 * k, 160 - 25 * k, 80 - 15 * k), img)
    return np.repeat((img + _noise(rng, size, 0.03))[None], t, axis=0)


def indoor(rng: np.random.Generator, t: int, size: int) -> np.ndarray:
    y, x = _grid(size)
    img = np.where((np.mod(x * size, 8) < 4)[..., None], _rgb(225, 205, 170), _rgb(210, 190, 155))
    wx = rng.uniform(0.1, 0.6)
    window = (x > wx) & (x < wx + 0.3) & (y > 0.12) & (y < 0.4)
    img = np.where(window[..., None], _rgb(160, 210, 245), img)
    floor = y > 0.68
    img = np.where(floor[..., None], _rgb(140, 90, 50), img)
    img = np.where((floor & (np.mod(y * size, 6) < 1))[..., None], _rgb(100, 60, 30), img)
    return np.repeat((img + _noise(rng, size, 0.02))[None], t, axis=0)


def underwater(rng: np.random.Generator, t: int, size: int) -> np.ndarray:
    y, x = _grid(size)
    img = _vgradient(size, _rgb(30, 160, 190), _rgb(5, 40, 100))
    rays = np.mod(x * 5 + y * 2 + rng.uniform(0, 1), 1.0) < 0.12
    img = np.where((rays & (y < 0.6))[..., None], img + 0.12, img)
    for cx in rng.uniform(0, 1, 5):
        weed = (y > 0.7) & (np.abs(x - cx - 0.02 * np.sin(y * 25)) < 0.015)
        img = np.where(weed[..., None], _rgb(30, 140, 60), img)
    frames = np.repeat((img + _noise(rng, size, 0.02))[None], t, axis=0)
    _particles(frames, rng, size // 3, _rgb(200, 240, 255), (-0.025, 0.0))
    return frames


SCENE_RENDERERS: dict[str, Background] = {
    "snow": snow,
    "beach": beach,
    "forest": forest,
    "city": city,
    "night": night,
    "desert": desert,
    "indoor": indoor,
    "underwater": underwater,
}


def render_background(scene: str, rng: np.random.Generator, n_frames: int, size: int) -> np.ndarray:
    """``[T, H, W, 3]`` float32 frames in 0..1 of ``scene``."""
    return np.clip(SCENE_RENDERERS[scene](rng, n_frames, size), 0.0, 1.0).astype(np.float32)
