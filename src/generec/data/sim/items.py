"""Items of GeneRec-Sim: uploaders' tastes, shots with ground-truth attributes, titles and thumbnails.

Every item is made of 2-4 shots; each shot has a scene, a style, one or two
subjects and a caption (see :mod:`generec.data.sim.vocab`). Uploaders have
habits — the categories, scenes and styles they tend to film — and a way of
choosing a thumbnail: the first frame, or the middle of the shot that appeals most
to the audience at large (the world's shared population taste, ties broken by
salience). That is the paper's "Original" baseline: reasonable, never personalised.

An item's metadata is a plain JSON-able dict; :func:`generec.data.sim.render.render_item`
turns it into frames.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from generec.data.sim.clickmodel import featurize
from generec.data.sim.vocab import (
    SCENE_PHRASE,
    SIZE_SCALE,
    VOCAB,
    caption_shot,
    plural,
)

PROFILE_ATTRIBUTES = ("category", "colour", "motion", "scene", "style")
MIN_SHOT_FRAMES = 4
EVENT_WINDOW_S = 30 * 86400.0
"""Interactions happen in [0, EVENT_WINDOW_S); most items are uploaded before, some during it."""

_TITLE_TEMPLATES = (
    "{Colour} {category} {scene}",
    "my {category} {scene}",
    "{category} {scene} #{scene_tag}",
    "Watch this {colour} {category}!",
    "{Style} {category} clip",
    "a day {scene} with a {category}",
    "{colour} {category} vibes #{style_tag}",
    "when your {category} goes {scene_tag} mode",
    "{Category} compilation ({scene_tag})",
    "best {category} video {scene}",
)


def item_id(index: int) -> str:
    return f"v{index:07d}"


def uploader_profiles(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Per-uploader probability over each profile attribute's values, ``{attr: [n, K]}``.

    Sparse Dirichlet draws mixed with a little uniform mass: most uploaders film
    a few favourite things, but nothing is impossible.
    """
    out = {}
    for attr in PROFILE_ATTRIBUTES:
        k = len(VOCAB[attr])
        g = rng.gamma(0.35, 1.0, (n, k)) + 1e-9
        out[attr] = 0.8 * g / g.sum(axis=1, keepdims=True) + 0.2 / k
    out["salient_thumbnails"] = rng.random(n) < 0.7
    return out


def _pick(rng: np.random.Generator, values: Sequence[str], cum: Sequence[float] | None = None) -> str:
    """Draw a value; ``cum`` holds cumulative weights (uniform when None). Scalar draws, kept cheap."""
    if cum is None:
        return values[min(int(rng.random() * len(values)), len(values) - 1)]
    return values[min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(values) - 1)]


def profile_of(profiles: Mapping[str, np.ndarray], uploader: int) -> dict[str, list[float]]:
    """One uploader's habits as cumulative weights per attribute (what :func:`make_item` takes)."""
    return {a: np.cumsum(profiles[a][uploader]).tolist() for a in PROFILE_ATTRIBUTES}


def _subject(rng: np.random.Generator, profile: Mapping[str, Sequence[float]]) -> dict[str, str]:
    return {
        "category": _pick(rng, VOCAB["category"], profile["category"]),
        "colour": _pick(rng, VOCAB["colour"], profile["colour"]),
        "size": _pick(rng, VOCAB["size"]),
        "motion": _pick(rng, VOCAB["motion"], profile["motion"]),
    }


def _shot_lengths(rng: np.random.Generator, n_shots: int, total: int) -> list[int]:
    """Split ``total`` frames into ``n_shots`` lengths of at least MIN_SHOT_FRAMES."""
    spare = total - n_shots * MIN_SHOT_FRAMES
    g = rng.standard_gamma(2.0, n_shots)
    share = (g / g.sum() * spare).tolist()
    lengths = [int(x) + MIN_SHOT_FRAMES for x in share]
    fractions = [x - int(x) for x in share]
    lengths[fractions.index(max(fractions))] += total - sum(lengths)
    return lengths


def _shots(
    rng: np.random.Generator, profile: Mapping[str, Sequence[float]], lengths: list[int]
) -> list[dict[str, Any]]:
    main = _subject(rng, profile)
    scene = _pick(rng, VOCAB["scene"], profile["scene"])
    style = _pick(rng, VOCAB["style"], profile["style"])
    shots = []
    for n in lengths:
        if rng.random() < 0.7:  # the item's star returns, doing something else
            first = dict(main, motion=_pick(rng, VOCAB["motion"], profile["motion"]), size=_pick(rng, VOCAB["size"]))
        else:
            first = _subject(rng, profile)
        subjects = [first]
        if rng.random() < 0.35:
            second = _subject(rng, profile)
            if second["category"] != first["category"] or second["colour"] != first["colour"]:
                subjects.append(second)
        shots.append(
            {
                "scene": scene if rng.random() < 0.65 else _pick(rng, VOCAB["scene"], profile["scene"]),
                "style": style if rng.random() < 0.85 else _pick(rng, VOCAB["style"], profile["style"]),
                "subjects": subjects,
                "n_frames": n,
            }
        )
    return shots


def salience(shot: Mapping[str, Any]) -> float:
    """How eye-catching a shot is to an uploader: big, several, moving subjects in plain style."""
    subj = shot["subjects"]
    score = sum(SIZE_SCALE[s["size"]] for s in subj) + 0.1 * len(subj)
    score += 0.05 * sum(s["motion"] != "static" for s in subj)
    return score + (0.05 if shot["style"] == "plain" else 0.0)


def _thumbnail_shot(shots: Sequence[Mapping[str, Any]], population: np.ndarray | None) -> int:
    """The shot most people would click on (appeal to the population, then salience, then earliest)."""

    def appeal(k: int) -> tuple[float, float, int]:
        shared = 0.0 if population is None else round(float(featurize(shots[k]) @ population), 6)
        return shared, salience(shots[k]), -k

    return max(range(len(shots)), key=appeal)


def _title(rng: np.random.Generator, shot: Mapping[str, Any]) -> str:
    s = shot["subjects"][0]
    cat = s["category"] if rng.random() < 0.8 else plural(s["category"])
    scene = SCENE_PHRASE[shot["scene"]][0]
    fields = {
        "category": cat,
        "Category": cat.capitalize(),
        "colour": s["colour"],
        "Colour": s["colour"].capitalize(),
        "scene": scene,
        "scene_tag": shot["scene"],
        "style_tag": shot["style"],
        "Style": shot["style"].capitalize(),
    }
    return _pick(rng, _TITLE_TEMPLATES).format(**fields)


def make_item(
    index: int,
    world_seed: int,
    profile: Mapping[str, Sequence[float]],
    salient_thumbnail: bool,
    fps: int,
    frame_size: int,
    population: np.ndarray | None = None,
) -> dict[str, Any]:
    """Metadata of item ``index``: a pure function of the world seed, the index and its uploader's habits.

    ``population`` is the world's shared taste (:func:`~generec.data.sim.users.population_weights`);
    an uploader who picks a thumbnail picks the shot it scores highest (salience when None).
    """
    seq = np.random.SeedSequence([int(world_seed), 1, int(index)])
    rng = np.random.default_rng(seq)
    n_shots = 2 + min(int(rng.random() * 3), 2)
    total = max(int(round(rng.uniform(2.0, 6.0) * fps)), n_shots * MIN_SHOT_FRAMES)
    shots = _shots(rng, profile, _shot_lengths(rng, n_shots, total))
    start = 0
    for k, shot in enumerate(shots):
        shot["index"] = k
        shot["start_frame"] = start
        shot["start_s"] = round(start / fps, 4)
        shot["duration_s"] = round(shot["n_frames"] / fps, 4)
        shot["caption"] = caption_shot(shot)
        start += shot["n_frames"]
    main = max(range(n_shots), key=lambda k: (shots[k]["n_frames"], -k))
    thumb_shot = _thumbnail_shot(shots, population) if salient_thumbnail else 0
    thumb_frame = shots[thumb_shot]["start_frame"] + (shots[thumb_shot]["n_frames"] // 2 if salient_thumbnail else 0)
    head = shots[main]["subjects"][0]
    return {
        "seed": int(seq.generate_state(1)[0]),
        "fps": int(fps),
        "frame_size": int(frame_size),
        "n_frames": int(total),
        "duration_s": round(total / fps, 4),
        "shots": shots,
        "main_shot": int(main),
        "thumbnail_shot": int(thumb_shot),
        "thumbnail_frame": int(thumb_frame),
        "title": _title(rng, shots[main]),
        # Flat attributes of the main shot, for code that wants one value per attribute.
        **{a: head[a] for a in ("category", "colour", "size", "motion")},
        "scene": shots[main]["scene"],
        "style": shots[main]["style"],
    }


def item_schedule(rng: np.random.Generator, n_items: int, n_uploaders: int) -> dict[str, np.ndarray]:
    """Who uploads each item, when, and how popular it is (vectorised over items).

    Returns ``uploader`` (index into the uploader list, heavy-tailed activity),
    ``created_at`` (seconds; 80 % before the event window, 20 % during it) and
    ``popularity`` (a log-normal appeal that drives exposure and clicks).
    """
    activity = rng.lognormal(0.0, 1.0, n_uploaders)
    uploader = rng.choice(n_uploaders, size=n_items, p=activity / activity.sum())
    during = rng.random(n_items) < 0.2
    created = np.where(
        during,
        rng.uniform(0.0, 0.9 * EVENT_WINDOW_S, n_items),
        rng.uniform(-2 * EVENT_WINDOW_S, 0.0, n_items),
    )
    popularity = rng.lognormal(0.0, 0.8, n_items)
    return {
        "uploader": uploader.astype(np.int64),
        "created_at": np.round(created, 1),
        "popularity": np.round(popularity, 4),
    }
