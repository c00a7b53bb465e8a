"""Parts of the closed-loop simulation: requests, ground truth of edited items, a loop instructor and runner.

* :class:`Request` — what a simulated user keeps asking for: their favourite category in their
  favourite scene, read from their hidden tastes; :func:`match_share` says how much of an item's
  running time shows it (ground truth), and :func:`unmet_users` finds users no corpus item serves.
* :func:`derived_shots` — the ground-truth shots of an edited item, derived only from its
  provenance params and its parent's true shots (a clip keeps the shots of its time range, a cover
  the shot of its frame, a restyle the parent's shots with the new style when it maps onto the
  simulator's style vocabulary). ``None`` when no honest derivation exists: such items are excluded.
* :class:`Voice` — what a simulated user says (the world's instruction templates filled from their
  tastes); :func:`understood` scores the real instructor's understanding of it.
* :class:`ReaderJudge` — ground truth of a *created* item: the attribute reader on its pixels;
  :class:`GroundTruth` — the true shots of any shown item (corpus, edited or created), and
  :func:`react` — a simulated user's clicks, likes and dislikes on what was shown (the world's click model).
* :class:`ShotClipRunner` — a metadata-guided clipping editor: cuts the catalogued shots of the
  parent that show what the instruction names.

Example
-------
>>> req = Request("dog", "night")
>>> req.text
'show me a dog in the night'
>>> shots = [{"scene": "night", "n_frames": 10, "subjects": [{"category": "dog"}]},
...          {"scene": "snow", "n_frames": 30, "subjects": [{"category": "dog"}]}]
>>> match_share(shots, req)
0.25
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from generec.data.sim import clickmodel as cm
from generec.data.sim.vocab import CATEGORIES, SCENES, STYLES
from generec.data.sim.world import World
from generec.errors import GeneRecError, MediaError
from generec.pipeline_jobs import Made, Progress
from generec.types import Event, EventKind, Guidance, Item, Provenance

Shots = list[dict[str, Any]]

EDITOR_STYLE_TO_SIM = {"pencil sketch": "sketch", "neon": "neon", "watercolour": "watercolour"}
"""Editor styles (``generec.editor.style_transfer.STYLES``) that are one of the simulator's styles.

Others ("stained glass", "fire", ...) have no simulator value: a restyle to them gets no ground truth.
"""

_WORD = re.compile(r"[a-z_]+")


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """A simulated user's standing request: ``category`` in ``scene``."""

    category: str
    scene: str

    @property
    def text(self) -> str:
        return f"show me a {self.category} in the {self.scene}"

    @classmethod
    def parse(cls, text: str) -> Request | None:
        """The request named by ``text`` (its category and scene words), or None when one is missing."""
        from generec.data.sim.vocab import SCENE_PHRASE

        low = text.lower()
        words = set(_WORD.findall(low))
        cat = [c for c in CATEGORIES if c in words]
        scene = [s for s in SCENES if s in words or any(p in low for p in SCENE_PHRASE.get(s, ()))]  # "indoors"
        return cls(cat[0], scene[0]) if cat and scene else None


def favourite_request(preferences: Mapping[str, Mapping[str, float]]) -> Request:
    """The request a user with these hidden weights makes: their top category in their top scene."""
    cat = max(CATEGORIES, key=lambda v: preferences["category"][v])
    scene = max(SCENES, key=lambda v: preferences["scene"][v])
    return Request(cat, scene)


def _length(shot: Mapping[str, Any]) -> float:
    return float(shot.get("n_frames", shot.get("duration_s", 1.0)))


def match_share(shots: Sequence[Mapping[str, Any]], request: Request) -> float:
    """Fraction of the running time whose shot is in ``request.scene`` and shows a ``request.category``."""
    total = sum(_length(s) for s in shots)
    if total <= 0:
        return 0.0
    hit = sum(
        _length(s)
        for s in shots
        if s.get("scene") == request.scene
        and any(sub.get("category") == request.category for sub in s.get("subjects") or ())
    )
    return hit / total


def unmet_users(
    requests: Mapping[str, Request], corpus_shots: Mapping[str, Sequence[Mapping[str, Any]]], threshold: float
) -> set[str]:
    """Users whose request no corpus item meets (every item's :func:`match_share` is below ``threshold``)."""
    best: dict[Request, float] = {}
    for req in set(requests.values()):
        best[req] = max((match_share(s, req) for s in corpus_shots.values()), default=0.0)
    return {u for u, req in requests.items() if best[req] < threshold}


def _cut_shots(shots: Sequence[Mapping[str, Any]], start: float, end: float) -> Shots:
    """The parts of ``shots`` (with ``start_s``/``duration_s``) inside ``[start, end)``, lengths trimmed."""
    out = []
    for shot in shots:
        s0 = float(shot["start_s"])
        s1 = s0 + float(shot["duration_s"])
        overlap = min(s1, end) - max(s0, start)
        if overlap > 1e-6:
            frames = float(shot.get("n_frames", shot["duration_s"])) * overlap / float(shot["duration_s"])
            out.append({**shot, "start_s": max(s0, start) - start, "duration_s": overlap, "n_frames": frames})
    return out


def derived_shots(provenance: Provenance, parent_shots: Sequence[Mapping[str, Any]]) -> Shots | None:
    """Ground-truth shots of an edited item from its provenance, or None when they cannot be derived honestly."""
    params = provenance.params
    task = provenance.task
    if task in ("clip", "trim") and "start_s" in params and "end_s" in params:
        kept = _cut_shots(parent_shots, float(params["start_s"]), float(params["end_s"]))
        return kept or None
    if task == "thumbnail" and "time_s" in params:  # what the cover shows: the shot of the chosen frame
        t = float(params["time_s"])
        hit = [s for s in parent_shots if float(s["start_s"]) <= t < float(s["start_s"]) + float(s["duration_s"])]
        return [dict(hit[0])] if hit else [dict(parent_shots[-1])]
    if task == "style_transfer":
        style = EDITOR_STYLE_TO_SIM.get(str(params.get("style", "")))
        if style is None and params.get("style") in STYLES:
            style = str(params["style"])
        return [{**s, "style": style} for s in parent_shots] if style else None
    return None


class Voice:
    """What a simulated user says: their request in words, drawn from the world's instruction templates.

    Values come from the user's hidden tastes (the request's category and scene, their favourite
    colour, style and motion), surface forms from the world's synonyms, so the instructor has to
    understand paraphrases. Each method returns ``(text, intent, slots)``: the words and what they
    mean, against which the instructor's understanding is scored.

    Example
    -------
    >>> v = Voice(Request("dog", "night"), {"colour": "red", "style": "sketch", "motion": "spinning"}, seed=0)
    >>> text, intent, slots = v.say("create")
    >>> intent, slots["category"], slots["scene"]
    ('create', 'dog', 'night')
    """

    TEMPLATES = {
        "recommend": ("i'm in the mood for {category_pl} {scene_in}", "show me a {category} {scene_in}",
                      "any {category_pl} {scene_in}?", "i want to watch {category_pl} {scene_in}"),
        "edit_clip": ("only keep the part of this one with the {category} {scene_in}",
                      "cut this video down to the bit with the {category} {scene_in}",
                      "trim this to the part with the {category} {scene_in}"),
        "create": ("make me a video of a {colour} {category} {motion} {scene_in}",
                   "generate {scene_in}: a {colour} {category}",
                   "i'd love a new video where a {category} is {motion} {scene_in}",
                   "whip up a {category} {scene_in} in {style} style for me"),
    }  # fmt: skip

    def __init__(self, request: Request, taste: Mapping[str, str], seed: int) -> None:
        self.request = request
        self.values = {**taste, "category": request.category, "scene": request.scene}
        self.rng = np.random.default_rng(seed)

    def say(self, intent: str) -> tuple[str, str, dict[str, str]]:
        from generec.data.sim.vocab import SCENE_PHRASE, SYNONYMS, plural

        options = self.TEMPLATES[intent]
        template = options[int(self.rng.integers(len(options)))]
        slots: dict[str, str] = {}
        words: dict[str, str] = {}
        for field in dict.fromkeys(re.findall(r"\{(\w+)\}", template)):
            attr = field.removesuffix("_pl").removesuffix("_in")
            value = self.values[attr]
            slots[attr] = value
            if field == "scene_in":
                words[field] = SCENE_PHRASE[value][0]
            else:
                forms = SYNONYMS.get(value, (value,))
                word = forms[int(self.rng.integers(len(forms)))]
                words[field] = plural(word) if field.endswith("_pl") else word
        return template.format(**words), intent, slots


def favourite_taste(preferences: Mapping[str, Mapping[str, float]]) -> dict[str, str]:
    """A user's favourite colour, style and motion (what they add when asking for a new video)."""
    return {a: max(preferences[a], key=lambda v: preferences[a][v]) for a in ("colour", "style", "motion")}


def understood(wants: Mapping[str, Sequence[str]], slots: Mapping[str, str]) -> tuple[int, int, int]:
    """Slot true positives, false positives and false negatives of an understanding against what was said."""
    got = {(a, v) for a, vs in wants.items() for v in vs}
    said = set(slots.items())
    return len(got & said), len(got - said), len(said - got)


class ReaderJudge:
    """Ground truth for a *created* item: what the attribute reader reads from its pixels.

    Created items have no parent to derive shots from; the simulator judges them by the shot the
    reader sees (category, colour, size, motion, scene, style), never by what was requested.
    """

    def __init__(self, reader: Any) -> None:
        self.reader = reader

    def shots(self, path: Path) -> Shots:
        from generec.media import probe, sample_frames

        _, frames = sample_frames(path, self.reader.config.frames)
        read = self.reader.read(frames[None])[0]
        duration = float(probe(path).duration)
        subject = {a: read[a] for a in ("category", "colour", "size", "motion")}
        return [{"scene": read["scene"], "style": read["style"], "subjects": [subject], "start_s": 0.0,
                 "duration_s": duration, "n_frames": len(frames), "read_by": "attribute_reader"}]  # fmt: skip


class ShotClipRunner:
    """Clips the parent to its catalogued shots that show what the instruction names (a metadata-guided clip).

    Provenance params ``start_s``/``end_s`` say which range was kept, so the clip's ground truth
    follows from the parent's. Raises :class:`GeneRecError` when no catalogued shot matches.
    """

    task = "clipping"
    made_by = "generec.evaluation.loop_parts.ShotClipRunner"

    def run(self, parent: Item, source: Path, guidance: Guidance, out_dir: Path, progress: Progress) -> Made:
        from generec.media import cut

        req = Request.parse(guidance.instruction_text or "")
        shots = parent.attributes.get("shots")
        if req is None or not isinstance(shots, list):
            raise GeneRecError("a shot clip needs an instruction naming a category and a scene, and a shot list")
        hits = np.asarray([match_share([s], req) > 0 for s in shots])
        if not hits.any():
            raise MediaError(f"item {parent.id!r} has no shot of a {req.category} in the {req.scene}")
        first = int(np.argmax(hits))  # the first run of consecutive matching shots
        last = first
        while last + 1 < len(shots) and hits[last + 1]:
            last += 1
        start = float(shots[first]["start_s"])
        end = float(shots[last]["start_s"]) + float(shots[last]["duration_s"])
        progress(0.3, f"cutting {start:.1f}-{end:.1f} s")
        out = cut(source, out_dir / "shotclip.mp4", start, end, size=256)  # 256 px: the watermark survives
        return Made(out, "clip", self.made_by, "none", title=f"{parent.title} ({req.category}, {req.scene})",
                    params={"start_s": start, "end_s": end})  # fmt: skip


class GroundTruth:
    """True shots of the world's items; of clips (derived from provenance); of created items (the reader).

    ``facets`` rates the style, length and cover of what is shown from the same hidden tastes
    (:class:`~generec.evaluation.facets.FacetJudge`).
    """

    def __init__(self, world: World, judge: ReaderJudge | None = None) -> None:
        from generec.evaluation.facets import FacetJudge

        self.world = world
        self.judge = judge
        self.sim = world.simulator()
        self.facets = FacetJudge(self.sim)
        self._shots: dict[str, Any] = {}

    def corpus_shots(self) -> dict[str, Any]:
        ids = self.world.items["id"].astype(str).tolist()
        return {i: self.shots_of(i) for i in ids}

    def shots_of(self, item_id: str, gr: Any = None) -> Any:
        if item_id not in self._shots:
            if item_id.startswith("ai") and gr is not None:
                prov = gr.store.get_provenance(item_id)
                if prov.task == "create":
                    item = gr.store.get_item(item_id, system=True)
                    judge = self.judge
                    self._shots[item_id] = judge.shots(gr.media.path_for(item.media_hash)) if judge else None
                else:
                    parent = self.shots_of(prov.parents[0], gr) if prov.parents else None
                    self._shots[item_id] = derived_shots(prov, parent) if parent else None
            else:
                self._shots[item_id] = self.world.item_meta(item_id)["shots"]
        return self._shots[item_id]


def react(
    truth: GroundTruth,
    user: str,
    kept: Sequence[tuple[str, Any]],
    rng: Any,
    out: dict,
    now: float,
    made: Sequence[bool] | None = None,
) -> list:
    """The user's clicks, likes and dislikes on the shown items by the world's click model; counts them.

    ``made`` flags the AI-made items among ``kept`` (edited or created), whose satisfaction is also
    summed apart, so the report can say what a made item is worth next to the human ones beside it.
    Each shown item's facets (style, length, cover) are rated too: ``facet_<facet>_sum`` adds the
    probability that the user likes that facet (paper §2, feedback on several facets).
    """
    items = [{"shots": shots} for _, shots in kept]  # no popularity: made items have none yet
    p_click = np.atleast_1d(truth.sim.click_prob(user, items, popularity=False))
    p_like = np.atleast_1d(truth.sim.like_prob(user, items))  # the time cost of watching counts here
    p_dislike = cm.dislike_prob(np.atleast_1d(truth.sim.satisfaction(user, items)), truth.sim.model)
    click = rng.random(len(kept)) < p_click
    like = click & (rng.random(len(kept)) < p_like)
    dislike = click & ~like & (rng.random(len(kept)) < p_dislike)
    expected_like = p_click * p_like  # P(click) x P(like | click): the draw and the time it costs
    out["impressions"] += len(kept)
    out["scored"] += len(kept)
    out["p_click_sum"] += float(p_click.sum())
    out["satisfaction_sum"] += float(expected_like.sum())
    out["best_sum"] += float(expected_like.max())  # the best thing on screen: what a made item adds
    is_made = np.zeros(len(kept), bool) if made is None else np.asarray(made, bool)
    out["made_scored"] += int(is_made.sum())
    out["made_satisfaction_sum"] += float(expected_like[is_made].sum())
    out["judged_rounds"] += 1
    for facet, liked in truth.facets.rate([user] * len(kept), items).items():
        out[f"facet_{facet}_sum"] += float(liked.sum())
    out["clicks"] += int(click.sum())
    out["likes"] += int(like.sum())
    events = []
    for (item_id, _), c, lk, dk in zip(kept, click, like, dislike, strict=True):
        if c:
            kind = EventKind.LIKE if lk else EventKind.DISLIKE if dk else EventKind.CLICK
            events.append(Event(user, item_id, kind, now))
    return events
