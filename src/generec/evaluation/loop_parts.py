"""Parts of the closed-loop simulation: requests, ground truth of edited items, a loop instructor and runner.

* :class:`Request` — what a simulated user keeps asking for: their favourite category in their
  favourite scene, read from their hidden tastes; :func:`match_share` says how much of an item's
  running time shows it (ground truth), and :func:`unmet_users` finds users no corpus item serves.
* :func:`derived_shots` — the ground-truth shots of an edited item, derived only from its
  provenance params and its parent's true shots (a clip keeps the shots of its time range, a cover
  the shot of its frame, a restyle the parent's shots with the new style when it maps onto the
  simulator's style vocabulary). ``None`` when no honest derivation exists: such items are excluded.
* :class:`RequestInstructor` — a rule-based instructor for the loop (the real offline instructor is
  slow to fit): it reads the vocabulary words of a request, retrieves, and when editing is allowed
  and no catalogued item is mostly what was asked, asks for a clip of the closest catalogued item.
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

from generec.data.sim.vocab import CATEGORIES, SCENES, STYLES
from generec.errors import GeneRecError, MediaError
from generec.pipeline_jobs import Made, Progress
from generec.pipeline_parts import Decision
from generec.types import Guidance, Item, Provenance

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
        words = set(_WORD.findall(text.lower()))
        cat = [c for c in CATEGORIES if c in words]
        scene = [s for s in SCENES if s in words]
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


class RequestInstructor:
    """A rule-based instructor for the simulated loop (implements the pipeline's ``Instructor``).

    A request ("show me a dog in the night") becomes retrieval wanting those values. With
    ``edit=True``, when no catalogued item is mostly what was asked (``match_share`` below
    ``threshold``), it asks for a clip of the catalogued human item with the most matching
    running time, once per item and user and at most ``max_edits`` times per user and request.
    With ``create=True`` and nothing to edit it asks for a new video (the pipeline says so when no
    creation runner is installed). It reads the catalogue
    metadata the platform has (``Item.attributes["shots"]``), never the simulator's hidden tastes.

    Example
    -------
    >>> ins = RequestInstructor(edit=False)
    >>> ins.catalog = lambda: []
    """

    def __init__(self, *, edit: bool = True, create: bool = False, threshold: float = 0.75, max_edits: int = 2) -> None:
        self.edit, self.create, self.threshold, self.max_edits = edit, create, threshold, max_edits
        self.catalog: Any = None  # () -> Sequence[Item]; bound to the system after it is built
        self._tried: set[tuple[str, str]] = set()
        self._asked: dict[tuple[str, Request], int] = {}

    def decide(self, state: Any) -> Decision:
        req = Request.parse(state.instruction or "")
        if req is None:
            return Decision("recommend", "Here is what I found.")
        wants = {"category": (req.category,), "scene": (req.scene,)}
        if not (self.edit or self.create):
            return Decision("recommend", "Here is what I found.", wants=wants)
        scored = []
        for item in self.catalog() if self.catalog else ():
            shots = item.attributes.get("shots")
            if item.is_ai or not item.media_hash or not isinstance(shots, list):
                continue
            scored.append((match_share(shots, req), item.id))
        best = max(scored, default=(0.0, ""))
        if best[0] >= self.threshold:
            return Decision("recommend", "Here is what you asked for.", wants=wants)
        guidance = Guidance(instruction_text=req.text)
        asked = self._asked.get((state.user_id, req), 0)
        if asked >= self.max_edits:  # a standing request does not make a new job every round
            return Decision("recommend", "Here is what I found.", wants=wants)
        self._asked[(state.user_id, req)] = asked + 1
        if self.edit and best[0] > 0 and (state.user_id, best[1]) not in self._tried:
            self._tried.add((state.user_id, best[1]))
            return Decision("edit_clip", "I'll cut you the part you asked for.", "edit", "clipping", best[1],
                            guidance, wants=wants, reason="close match exists")  # fmt: skip
        if self.create:
            return Decision("create", "I'll make one for you.", "create", "create_video", None, guidance,
                            wants=wants, reason="nothing close in the corpus")  # fmt: skip
        return Decision("recommend", "This is the closest I have.", wants=wants)


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
