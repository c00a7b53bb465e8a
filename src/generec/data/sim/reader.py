"""An attribute reader for generated pixels: reads GeneRec-Sim's true attributes from any clip or frame.

A small CNN trained on fresh GeneRec-Sim renders (uniformly random single-subject shots
from the vocabulary, never the generators' training data) that predicts the category,
colour, size and motion of the subject and the scene and style of the shot. The
simulator can then judge *generated* items with ground truth: did the created clip
show the colour that was asked for? Training adds blur and noise so that the soft
pixels of small diffusion models are read, not refused.

The same class, trained instead on a catalogue's own labelled clips (``fit(data=...)``), is a
creation model's *own* reader: the creator reads its candidates with it
(:func:`generec.creator.video.clip_rules`), while the judge that scores what was made stays
a reader of fresh renders that never ranked anything.

Example
-------
>>> reader = AttributeReader(ReaderConfig(frames=4, size=16, width=16)).fit(n_clips=64, steps=2, progress=False)
>>> sorted(reader.read(np.zeros((1, 4, 16, 16, 3), np.uint8))[0])
['category', 'colour', 'motion', 'scene', 'size', 'style']
"""

from __future__ import annotations

import json
import pickle
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from generec.data.sim.reader_net import READ_ATTRIBUTES, build_reader_net
from generec.data.sim.render import render_shot
from generec.data.sim.samples import sample_shot
from generec.data.sim.vocab import VOCAB
from generec.errors import DataError, ModelError

COLOURLESS_STYLES = ("grayscale", "sepia", "sketch")
"""Styles that replace the subject's hue (grey, brown tones, ink): no reader can see its colour there."""


@dataclass(frozen=True)
class ReaderConfig:
    """Input clip length and size (inputs are resampled to it), the network width and its architecture.

    ``noise`` is the largest pixel-noise level (in [-1, 1] units) of the training augmentation:
    briefly trained diffusion models leave grain, and the reader must read through it.
    ``arch="hybrid"`` (default) adds a per-frame branch at full resolution with max pooling, which
    finds a small subject's colour and shape; ``"folded"`` is the plain frames-in-channels CNN;
    ``"detail"`` (for 64 px clips) reads motion, scene and style from the clip at half resolution
    and the subject from a few frames at full resolution through a wider frame branch
    (:mod:`generec.data.sim.reader_net`).
    """

    frames: int = 8
    size: int = 32
    width: int = 32
    arch: str = "hybrid"
    noise: float = 0.4


READER_TRAINER_STATE = "trainer.pt"
"""The file in a reader's directory that holds an unfinished training (weights, optimiser, step)."""


def render_labelled(n: int, frames: int, size: int, seed: int, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random single-subject clips ``[n, frames, size, size, 3]`` and their labels ``[n, 6]`` (value indices)."""
    rng = np.random.default_rng([seed, 29])
    clips = np.zeros((n, frames, size, size, 3), np.uint8)
    labels = np.zeros((n, len(READ_ATTRIBUTES)), np.int64)
    for k in tqdm(range(n), desc="rendering", disable=not progress, leave=False):
        shot = sample_shot(rng, second_subject=0.0)
        clips[k] = render_shot(shot, frames, size, int(rng.integers(2**31)))
        subject = shot["subjects"][0]
        labels[k] = [VOCAB[a].index(subject[a] if a in subject else shot[a]) for a in READ_ATTRIBUTES]
    return clips, labels


def value_indices(rows: Any) -> np.ndarray:
    """Labels ``[N, 6]`` (value indices in :data:`READ_ATTRIBUTES` order) of a table with those attribute columns."""
    try:
        return np.asarray([[VOCAB[a].index(str(v)) for a, v in zip(READ_ATTRIBUTES, row, strict=True)]
                           for row in rows[list(READ_ATTRIBUTES)].itertuples(index=False)], dtype=np.int64)  # fmt: skip
    except ValueError as exc:
        raise DataError(f"a label outside GeneRec-Sim's vocabulary: {exc}") from exc


def _tensor(clips: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(clips)).permute(0, 1, 4, 2, 3).float() / 127.5 - 1.0


MIRRORED_MOTION = {VOCAB["motion"].index("left_to_right"): VOCAB["motion"].index("right_to_left"),
                   VOCAB["motion"].index("right_to_left"): VOCAB["motion"].index("left_to_right")}  # fmt: skip
"""What a motion becomes in a mirrored clip (by value index); the other motions read the same both ways."""


def _augment(
    x: torch.Tensor, y: torch.Tensor, gen: torch.Generator, noise: float = 0.15
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mirror half the clips, blur half (down- then up-sampling), add noise up to ``noise``: generated pixels are soft.

    A mirrored shot shows the same subject, colour, size, scene and style, and its motion read
    the other way (left to right becomes right to left), so mirroring doubles the looks of each
    rendered clip; without it a reader trained on a few thousand clips learns them by heart
    (training accuracy .99, held-out category .81). ``y`` (labels ``[B, 6]``) comes back with
    the motions of the mirrored clips turned.
    """
    b, t, c, h, w = x.shape
    mirror = (torch.rand(b, generator=gen) < 0.5).to(x.device)
    x = torch.where(mirror[:, None, None, None, None], x.flip(-1), x)
    k = READ_ATTRIBUTES.index("motion")
    turned = y[:, k].clone()
    for a, b_ in MIRRORED_MOTION.items():
        turned[y[:, k] == a] = b_
    y = y.clone()
    y[:, k] = torch.where(mirror, turned, y[:, k])
    blur = (torch.rand(b, generator=gen) < 0.5).to(x.device)
    if blur.any():
        z = x[blur].flatten(0, 1)
        z = F.interpolate(F.avg_pool2d(z, 2), size=(h, w), mode="bilinear", align_corners=False)
        x = x.clone()
        x[blur] = z.view(-1, t, c, h, w)
    sigma = torch.rand(b, 1, 1, 1, 1, generator=gen) * noise
    return x + (sigma * torch.randn(x.shape, generator=gen)).to(x.device), y


class AttributeReader:
    """Reads ``category, colour, size, motion, scene, style`` from clips or frames.

    Parameters
    ----------
    config
        Input size and width (:class:`ReaderConfig`).
    seed
        Seed of the weights, the rendered training clips and the batches.

    Example
    -------
    >>> reader = AttributeReader().fit(n_clips=6000, steps=1500)            # doctest: +SKIP
    >>> print(accuracy_table(reader.evaluate(n_clips=1000)))               # doctest: +SKIP
    """

    def __init__(self, config: ReaderConfig | None = None, seed: int = 0) -> None:
        self.config = config or ReaderConfig()
        self.seed = seed
        torch.manual_seed(seed)
        self.net = build_reader_net(self.config).eval()
        self.fit_info_: dict[str, Any] = {}

    def fit(
        self,
        n_clips: int = 6000,
        steps: int = 1500,
        batch_size: int = 64,
        lr: float = 3e-3,
        progress: bool = True,
        device: str = "cpu",
        out: str | Path | None = None,
        checkpoint_every: int = 0,
        data: tuple[np.ndarray, np.ndarray] | None = None,
        data_name: str = "",
    ) -> AttributeReader:
        """Train on ``n_clips`` fresh renders (or on ``data``) for ``steps`` steps; returns ``self``.

        ``data``: labelled clips to learn from instead of renders (``[N, T, H, W, 3]`` uint8 at the
        config's size, labels ``[N, 6]`` as :func:`render_labelled` gives them), e.g. a catalogue's own
        items; ``data_name`` says what they are (kept in the reader's config, and checked on resume).
        With ``out``, every ``checkpoint_every`` steps the weights, the optimiser and the step are
        written to ``out/trainer.pt``, and a later ``fit`` with the same settings goes on from
        there: each step's batch and augmentation are drawn from ``(seed, step)``, so a run split
        in two takes the same steps as one run. The finished reader is saved to ``out``.
        """
        if data is None:
            clips, labels = render_labelled(n_clips, self.config.frames, self.config.size, self.seed, progress)
        else:
            clips, labels = data
            if len(clips) != len(labels) or len(clips) == 0:
                raise DataError(f"need as many labels as clips, at least one: got {len(clips)} clips, {len(labels)}")
            n_clips = len(clips)
        info = {"n_clips": n_clips, "steps": steps, "batch_size": batch_size, "lr": lr, "seed": self.seed,
                **({"data": data_name} if data is not None else {})}  # fmt: skip
        dev = torch.device(device)
        y_all = torch.from_numpy(labels).to(dev)  # clips stay uint8 (a 64 px clip is 4x smaller so) until batched
        self.net.to(dev)
        opt = torch.optim.AdamW(self.net.parameters(), lr=lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
        state = Path(out) / READER_TRAINER_STATE if out is not None else None
        start = self._resume(state, opt, sched, info, dev) if state is not None else 0
        self.net.train()
        bar = tqdm(range(start, steps), desc="attribute reader", disable=not progress, initial=start, total=steps)
        for step in bar:
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + step)
            idx = torch.randint(0, n_clips, (batch_size,), generator=gen)
            x, y = _augment(_tensor(clips[idx.numpy()]).to(dev), y_all[idx], gen, self.config.noise)
            logits = self.net(x)
            loss = sum(F.cross_entropy(logits[a], y[:, k]) for k, a in enumerate(READ_ATTRIBUTES))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            done = step + 1
            if state is not None and checkpoint_every > 0 and done % checkpoint_every == 0 and done < steps:
                self._checkpoint(state, opt, sched, info, done)
        self.net.eval().cpu()
        self.fit_info_ = info
        if out is not None:
            self.save(out)
            state.unlink(missing_ok=True)  # type: ignore[union-attr]
        return self

    def _checkpoint(self, path: Path, opt: Any, sched: Any, info: dict[str, Any], step: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save(
            {"net": self.net.state_dict(), "optimizer": opt.state_dict(), "schedule": sched.state_dict(),
             "config": asdict(self.config), "fit": info, "step": step},
            tmp,
        )  # fmt: skip
        tmp.replace(path)

    def _resume(self, path: Path, opt: Any, sched: Any, info: dict[str, Any], device: torch.device) -> int:
        """The step a checkpoint at ``path`` reached (0 when there is none); refuses other settings."""
        if not path.is_file():
            return 0
        try:
            saved = torch.load(path, map_location=device, weights_only=True)
        except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as exc:
            raise ModelError(f"cannot read the reader's checkpoint {path}: {exc}; delete it to start over") from exc
        if saved.get("config") != asdict(self.config) or saved.get("fit") != info:
            raise ModelError(
                f"{path} was written by a reader trained with other settings ({saved.get('config')}, "
                f"{saved.get('fit')}); give the same settings to go on, or another --out to start over"
            )
        self.net.load_state_dict(saved["net"])
        opt.load_state_dict(saved["optimizer"])
        sched.load_state_dict(saved["schedule"])
        return int(saved["step"])

    def _prepare(self, clips: np.ndarray) -> torch.Tensor:
        from generec.diffusion.conditions import fit_clip

        x = np.asarray(clips)
        if x.ndim == 4 and x.shape[-1] == 3:  # images: a still clip
            x = x[:, None]
        if x.ndim != 5 or x.shape[-1] != 3 or x.dtype != np.uint8:
            raise DataError(f"expected uint8 clips [N, T, H, W, 3] or images [N, H, W, 3], got {x.dtype} {x.shape}")
        c = self.config
        if x.shape[1:4] != (c.frames, c.size, c.size):
            x = np.stack([fit_clip(clip, c.frames, c.size) for clip in x])
        return _tensor(x)

    @torch.no_grad()
    def predict_proba(self, clips: np.ndarray, batch_size: int = 256) -> dict[str, np.ndarray]:
        """Per attribute, probabilities ``[N, n_values]`` in :data:`VOCAB` order."""
        x = self._prepare(clips)
        parts = [self.net(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
        return {a: torch.cat([p[a] for p in parts]).softmax(1).numpy() for a in READ_ATTRIBUTES}

    def read(self, clips: np.ndarray) -> list[dict[str, str]]:
        """The most likely value of each attribute, per clip."""
        proba = self.predict_proba(clips)
        n = len(next(iter(proba.values())))
        return [{a: VOCAB[a][int(proba[a][k].argmax())] for a in READ_ATTRIBUTES} for k in range(n)]

    def evaluate(self, n_clips: int = 1000, seed: int | None = None) -> dict[str, float]:
        """Accuracy per attribute on fresh renders from another seed (held out by construction)."""
        return self.evaluate_by_style(n_clips, seed)["all"]

    def evaluate_by_style(self, n_clips: int = 1000, seed: int | None = None) -> dict[str, dict[str, float]]:
        """Held-out accuracy for all renders, for colour-keeping styles and for :data:`COLOURLESS_STYLES`.

        Colour can only be read where the style keeps it, so judge the colour reading on the
        ``"colour styles"`` group.
        """
        clips, labels = render_labelled(n_clips, self.config.frames, self.config.size, 10_000 + (seed or self.seed))
        proba = self.predict_proba(clips)
        hit = np.stack([proba[a].argmax(1) == labels[:, k] for k, a in enumerate(READ_ATTRIBUTES)], 1)
        style = np.asarray(VOCAB["style"])[labels[:, READ_ATTRIBUTES.index("style")]]
        colourless = np.isin(style, COLOURLESS_STYLES)
        groups = {"all": np.ones(len(hit), bool), "colour styles": ~colourless, "colourless styles": colourless}
        return {
            g: {a: float(hit[m, k].mean()) if m.any() else float("nan") for k, a in enumerate(READ_ATTRIBUTES)}
            for g, m in groups.items()
        }

    def save(self, directory: str | Path) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        torch.save(self.net.state_dict(), d / "weights.pt")
        info = {
            "format": "generec-attribute-reader/1",
            "config": asdict(self.config),
            "seed": self.seed,
            "fit": self.fit_info_,
        }
        (d / "config.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        return d

    @classmethod
    def load(cls, directory: str | Path) -> AttributeReader:
        d = Path(directory)
        try:
            info = json.loads((d / "config.json").read_text(encoding="utf-8"))
            # Readers saved before ``arch`` existed are the folded CNN.
            reader = cls(ReaderConfig(**{"arch": "folded", "noise": 0.15, **info["config"]}), seed=int(info["seed"]))
            reader.net.load_state_dict(torch.load(d / "weights.pt", weights_only=True))
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError) as exc:
            raise ModelError(
                f"cannot load an attribute reader from {d}: {exc}; train one with fit() and save()"
            ) from exc
        reader.fit_info_ = dict(info.get("fit", {}))
        return reader


def chance_levels() -> dict[str, float]:
    """Accuracy of guessing uniformly, per attribute (the bar a reader must clear)."""
    return {a: 1.0 / len(VOCAB[a]) for a in READ_ATTRIBUTES}


def accuracy_table(
    accuracy: dict[str, float] | dict[str, dict[str, float]], title: str = "attribute reader, held-out renders"
) -> str:
    """A plain-text table of accuracy next to chance (one column per group for :meth:`evaluate_by_style`)."""
    chance = chance_levels()
    groups = accuracy if all(isinstance(v, dict) for v in accuracy.values()) else {"accuracy": accuracy}
    head = "".join(f" {g:>17}" for g in groups)
    lines = [title, f"{'attribute':<10}{head} {'chance':>7}"]
    for a in READ_ATTRIBUTES:
        if all(a in g for g in groups.values()):
            cells = "".join(f" {g[a]:>17.3f}" for g in groups.values())  # type: ignore[index]
            lines.append(f"{a:<10}{cells} {chance[a]:>7.3f}")
    return "\n".join(lines)
