"""Sprites for GeneRec-Sim's subject categories, as masks over normalised coordinates.

A sprite is drawn in its own frame: ``u`` runs left->right and ``v`` top->bottom,
both in about [-1, 1] around the subject's centre (the renderer maps pixels into
this frame, which handles position, size, mirroring and rotation at once). Each
sprite returns layers ``(mask, paint)`` painted in order; ``paint`` is ``"body"``
(the subject's colour) or a fixed detail colour, so a "red car" has a red body and
black wheels and reads as a car at 64x64.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Layers = list[tuple[np.ndarray, str]]
PAINTS: dict[str, tuple[float, float, float]] = {
    "dark": (0.08, 0.08, 0.1),
    "light": (0.92, 0.95, 1.0),
    "skin": (0.96, 0.78, 0.62),
    "stem": (0.15, 0.55, 0.2),
    "centre": (0.98, 0.85, 0.2),
}


def _ellipse(u: np.ndarray, v: np.ndarray, cu: float, cv: float, ru: float, rv: float) -> np.ndarray:
    a = (u - cu) * (1.0 / ru)
    b = (v - cv) * (1.0 / rv)
    return a * a + b * b <= 1.0


def _box(u: np.ndarray, v: np.ndarray, u0: float, u1: float, v0: float, v1: float) -> np.ndarray:
    return (u >= u0) & (u <= u1) & (v >= v0) & (v <= v1)


def _triangle_up(u: np.ndarray, v: np.ndarray, cu: float, top: float, base: float, half: float) -> np.ndarray:
    """Isosceles triangle with apex at (cu, top) and base at v=base of half-width ``half``."""
    frac = (v - top) / (base - top)
    return (frac >= 0) & (frac <= 1) & (np.abs(u - cu) <= half * frac)


def car(u: np.ndarray, v: np.ndarray) -> Layers:
    body = _box(u, v, -1.0, 1.0, -0.05, 0.45) | _box(u, v, -0.55, 0.35, -0.5, 0.0)
    window = _box(u, v, -0.45, -0.1, -0.42, -0.08) | _box(u, v, 0.0, 0.27, -0.42, -0.08)
    wheels = _ellipse(u, v, -0.55, 0.5, 0.26, 0.26) | _ellipse(u, v, 0.55, 0.5, 0.26, 0.26)
    return [(body, "body"), (window, "light"), (wheels, "dark")]


def cat(u: np.ndarray, v: np.ndarray) -> Layers:
    body = _ellipse(u, v, -0.2, 0.35, 0.65, 0.4)
    head = _ellipse(u, v, 0.5, -0.2, 0.38, 0.35)
    ears = _triangle_up(u, v, 0.3, -0.8, -0.35, 0.15) | _triangle_up(u, v, 0.72, -0.8, -0.35, 0.15)
    tail = _box(u, v, -1.0, -0.75, -0.5, 0.3) & (np.abs(u + 0.88) < 0.1)
    eyes = _ellipse(u, v, 0.38, -0.25, 0.07, 0.07) | _ellipse(u, v, 0.64, -0.25, 0.07, 0.07)
    return [(body | head | ears | tail, "body"), (eyes, "dark")]


def dog(u: np.ndarray, v: np.ndarray) -> Layers:
    body = _ellipse(u, v, -0.15, 0.1, 0.7, 0.35)
    legs = (_box(u, v, -0.7, -0.5, 0.2, 0.85) | _box(u, v, 0.2, 0.4, 0.2, 0.85)) & (v <= 0.85)
    head = _ellipse(u, v, 0.65, -0.3, 0.32, 0.3)
    snout = _ellipse(u, v, 0.95, -0.22, 0.15, 0.12)
    ear = _ellipse(u, v, 0.5, -0.15, 0.12, 0.28)
    tail = _box(u, v, -0.98, -0.8, -0.45, 0.0)
    return [
        (body | legs | head | snout | tail, "body"),
        (ear, "dark"),
        (_ellipse(u, v, 0.72, -0.38, 0.06, 0.06), "dark"),
    ]


def bird(u: np.ndarray, v: np.ndarray) -> Layers:
    body = _ellipse(u, v, -0.1, 0.1, 0.6, 0.38)
    head = _ellipse(u, v, 0.5, -0.25, 0.28, 0.26)
    tail = (u < -0.5) & (u > -1.0) & (np.abs(v - 0.05) < (-0.5 - u) * 0.6 + 0.05)
    wing = _triangle_up(u, v, -0.15, -0.75, 0.05, 0.45)
    beak = (u > 0.72) & (u < 1.05) & (np.abs(v + 0.22) < (1.05 - u) * 0.35)
    return [
        (body | head | tail, "body"),
        (wing, "dark"),
        (beak, "centre"),
        (_ellipse(u, v, 0.55, -0.3, 0.06, 0.06), "dark"),
    ]


def fish(u: np.ndarray, v: np.ndarray) -> Layers:
    body = _ellipse(u, v, 0.15, 0.0, 0.75, 0.45)
    tail = (u < -0.45) & (u > -1.0) & (np.abs(v) < (-0.45 - u) * 0.9)
    fin = _triangle_up(u, v, 0.1, -0.7, -0.3, 0.25)
    eye = _ellipse(u, v, 0.6, -0.1, 0.09, 0.09)
    return [(body | tail | fin, "body"), (eye, "dark")]


def ball(u: np.ndarray, v: np.ndarray) -> Layers:
    disc = _ellipse(u, v, 0.0, 0.0, 0.9, 0.9)
    seams = disc & ((np.abs(v) < 0.1) | (np.abs(u - 0.3 * np.sin(v * 2.0)) < 0.1))
    shine = _ellipse(u, v, -0.35, -0.4, 0.15, 0.12)
    return [(disc, "body"), (seams, "dark"), (shine, "light")]


def flower(u: np.ndarray, v: np.ndarray) -> Layers:
    stem = _box(u, v, -0.06, 0.06, -0.1, 1.0)
    leaf = _ellipse(u, v, 0.22, 0.55, 0.22, 0.09)
    petals = np.zeros_like(u, dtype=bool)
    for k in range(5):
        a = 2 * np.pi * k / 5
        petals |= _ellipse(u, v, 0.42 * np.sin(a), -0.35 - 0.42 * np.cos(a), 0.26, 0.26)
    centre = _ellipse(u, v, 0.0, -0.35, 0.2, 0.2)
    return [(stem | leaf, "stem"), (petals, "body"), (centre, "centre")]


def person(u: np.ndarray, v: np.ndarray) -> Layers:
    head = _ellipse(u, v, 0.0, -0.72, 0.22, 0.22)
    shirt = _box(u, v, -0.32, 0.32, -0.45, 0.3) | (_box(u, v, -0.62, 0.62, -0.45, -0.3))
    legs = _box(u, v, -0.28, -0.06, 0.3, 1.0) | _box(u, v, 0.06, 0.28, 0.3, 1.0)
    return [(shirt, "body"), (legs, "dark"), (head, "skin")]


SPRITES: dict[str, Callable[[np.ndarray, np.ndarray], Layers]] = {
    "car": car,
    "cat": cat,
    "dog": dog,
    "bird": bird,
    "fish": fish,
    "ball": ball,
    "flower": flower,
    "person": person,
}
