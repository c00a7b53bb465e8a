"""Table 4 (paper §5.2): created clips under instruction only, + User_Hist, + User_Emb, judged four ways.

For ``n_users`` users and ``k`` held-out single-subject shots each, the shot's caption is
the instruction. Rows: **Original** (the real shots the instructions describe), clips
created from the **Instruction** alone, and from the instruction plus the user's
**User_Hist** or **User_Emb** vector. Per row:

* **reader hit rates**: how often the attribute reader finds the asked-for category,
  colour (only over colour-keeping styles, since grayscale/sepia/sketch remove it), size,
  motion, scene and style, next to chance;
* **FVD** against the real held-out shots, its protocol printed (and the unconditional
  model's FVD as the reference the paper quotes);
* **Cosine@K**: mean cosine of the K shown items' features with the user's liked thumbnails;
* **PS@K**: MMGCN's mean prediction score for the K items (created items are scored from
  their content, which the paper could not do, footnote 8).

Example
-------
>>> table = creation_table(creator, reader, world, guidance, encoder, mmgcn=model)  # doctest: +SKIP
>>> print(table.text())                                                             # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from generec.data.sim.reader import COLOURLESS_STYLES, READ_ATTRIBUTES, AttributeReader, chance_levels
from generec.diffusion.conditions import load_world, shot_clips, single_subject, split_items
from generec.errors import DataError
from generec.evaluation.frechet import EncoderFeatures, frechet_video_distance
from generec.evaluation.sheets import save_sheet
from generec.types import Guidance

ROWS = {"Instruction": None, "Instruction + User_Hist": "user_hist", "Instruction + User_Emb": "user_emb"}
ROW_NAMES = {"instruction": "Instruction", "user_hist": "Instruction + User_Hist", "user_emb": "Instruction + User_Emb"}
"""The rows' short names (``generec reproduce creation --rows``)."""


@dataclass
class CreationTable:
    """Metrics per row, the FVD protocol and sample clips for the grid."""

    rows: dict[str, dict[str, float]]
    notes: list[str]
    captions: list[str]
    samples: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_dict(self.rows, orient="index").rename_axis("row").reset_index()

    def text(self) -> str:
        chance = chance_levels()
        df = self.frame()
        chance_row = {"row": "chance", **{f"hit_{a}": chance[a] for a in READ_ATTRIBUTES}}
        df = pd.concat([df, pd.DataFrame([chance_row])], ignore_index=True)
        with pd.option_context(
            "display.width", 200, "display.max_columns", 30, "display.float_format", "{:.4f}".format
        ):
            return "\n".join([df.to_string(index=False, na_rep="-"), *self.notes])

    def sheet(self, path: str | Path, row: str | None = None, rows: int = 16) -> Path:
        """A request sheet (:mod:`generec.evaluation.sheets`): per request, ``row``'s clip (default: the first
        created row) and the real one."""
        row = row or next((r for r in self.samples if r != "Original"), "Instruction")
        if row not in self.samples:
            raise DataError(f"no samples of row {row!r}; rows: {', '.join(self.samples)}")
        columns = {
            f"created ({row})": self.samples[row],
            "real clip with the same attributes": self.samples["Original"],
        }
        return save_sheet(path, self.captions, columns, rows=rows)

    def save(self, out: str | Path) -> dict[str, Path]:
        """``creation.csv``, ``creation.txt`` (table + protocol) and ``creation_samples.png`` under ``out``."""
        d = Path(out)
        d.mkdir(parents=True, exist_ok=True)
        paths = {"csv": d / "creation.csv", "txt": d / "creation.txt", "png": d / "creation_samples.png"}
        self.frame().to_csv(paths["csv"], index=False)
        paths["txt"].write_text(self.text() + "\n", encoding="utf-8")
        save_sheet(paths["png"], self.captions, self.samples, rows=6)
        return paths


JUDGE_DIR = "judge"
"""Where a packaged creation model keeps the reader that judges it (trained on fresh renders, never on its clips)."""


def judge_of(model: str | Path) -> AttributeReader:
    """The reader that judges a packaged model: ``model/judge``, else a ``model/reader`` that is not the model's
    own (a reader that ranked the candidates would mark its own work)."""
    d = Path(model)
    if (d / JUDGE_DIR / "config.json").is_file():
        return AttributeReader.load(d / JUDGE_DIR)
    reader = AttributeReader.load(d / "reader")
    if "data" in reader.fit_info_:
        raise DataError(
            f"{d / 'reader'} is the model's own reader (it ranks its candidates); give the judge with --reader "
            "(`generec train reader` on fresh renders)"
        )
    return reader


def request_constraints(texts: list[str]) -> dict[str, dict[str, Any]]:
    """Per request text, the constraints the instructor's slot filler reads from it (as the service's guidance has).

    A generator trained with an ``attributes`` condition part takes the attribute values named here
    (:mod:`generec.diffusion.attributes`); the product builds the same from the user's words.
    """
    from generec.instructor.slots import SlotFiller
    from generec.instructor.vocabulary import Vocabulary

    filler = SlotFiller(Vocabulary.from_sim(), encoder=None)
    out = {}
    for text in texts:
        named = filler.fill(text).slots.attributes
        out[text] = {"attributes": {a: list(v) for a, v in named.items()}} if named else {}
    return out


def _requests(world: Any, users: list[str], k: int, seed: int, split: tuple[float, int], frames: int, size: int):
    """Per user ``k`` held-out single-subject shots: their real clips and table, users repeated ``k`` times.

    ``split`` is the model's ``(held-out fraction, seed)``: the requests come from the items it never saw,
    whatever ``seed`` (users, requests, noise) the evaluation runs with."""
    _, held = split_items(world.items["id"], *split)
    if not held:
        raise DataError("no held-out items to take instructions from; use a larger world")
    real, table = shot_clips(world, frames, size, held, progress=False)
    ok = np.flatnonzero(single_subject(world, table))
    if len(ok) == 0:
        raise DataError("the held-out items have no single-subject shots to use as instructions")
    rng = np.random.default_rng([seed, 41])
    pick = np.concatenate([rng.choice(ok, size=k, replace=len(ok) < k) for _ in users])
    return real[pick], table.iloc[pick].reset_index(drop=True), [u for u in users for _ in range(k)]


def _hits(reader: AttributeReader, clips: np.ndarray, table: pd.DataFrame) -> dict[str, float]:
    reads = pd.DataFrame(reader.read(clips))
    out = {}
    for a in READ_ATTRIBUTES:
        hit = reads[a].to_numpy() == table[a].astype(str).to_numpy()
        if a == "colour":  # colour is only visible where the style keeps it
            hit = hit[~table["style"].isin(COLOURLESS_STYLES).to_numpy()]
        out[f"hit_{a}"] = float(hit.mean()) if len(hit) else float("nan")
    return out


def _liked_thumbs(world: Any, encoder: Any, users: list[str]) -> dict[str, np.ndarray]:
    """t*: per user, the mean of the unit encoder features of the thumbnails they liked."""
    from generec.diffusion.conditions import liked_pairs
    from generec.media import read_image

    likes = liked_pairs(world)
    likes = likes[likes["user_id"].isin(set(users))]
    items = sorted(set(likes["item_id"]))
    feats = encoder.encode_images(np.stack([read_image(world.thumbnail_path(i)) for i in items]))
    feats = feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)
    row = {i: n for n, i in enumerate(items)}
    by_user = likes.groupby("user_id")["item_id"].apply(list)
    return {u: feats[[row[i] for i in by_user[u]]].mean(0) for u in users}


def _personal(shown: np.ndarray, users: list[str], k: int, t_star: dict[str, np.ndarray], mmgcn: Any, index: Any):
    """Cosine@K and PS@K of the shown items' features ``[U*k, d]``, per user then averaged."""
    from generec.evaluation.personalization import cosine_at_k, ps_scores

    feats = shown.reshape(len(users) // k, k, -1)
    heads = users[::k]
    out = {f"Cosine@{k}": float(cosine_at_k(feats, np.stack([t_star[u] for u in heads])).mean())}
    if mmgcn is not None:
        rows = np.asarray([index[u] for u in heads])
        out[f"PS@{k}"] = float(ps_scores(mmgcn, rows, feats.astype(np.float32)).mean())
    return out


def _create(
    creator: Any,
    captions: list[str],
    who: list[str],
    encoder: Any,
    user_vectors: dict[str, dict[str, np.ndarray]],
    rows: list[str],
    seed: int,
    batch: int,
    progress: bool,
    candidates: int = 1,
) -> dict[str, np.ndarray]:
    """Created clips per table row (same noise seeds in every row) and unconditional ones for the FVD reference.

    Guided rows keep the best of ``candidates`` per request (the unconditional reference has nothing to rank by).
    """
    text = dict(zip(sorted(set(captions)), encoder.encode_texts(sorted(set(captions))), strict=True))
    constraints = request_constraints(sorted(set(captions))) if getattr(creator, "vocabulary", None) else {}
    out: dict[str, np.ndarray] = {}
    n = len(captions)
    bar = tqdm(total=n * (len(rows) + 1), desc="creating", disable=not progress, unit="clip")
    for name, kind in [*((r, ROWS[r]) for r in rows), ("Unconditional", "")]:
        made = []
        for s in range(0, n, batch):
            if kind == "":
                made.append(creator.create(None, n=min(batch, n - s), seed=seed + 7 + s))
            else:
                gs: list[Guidance | None] = [
                    Guidance(
                        instruction_emb=text[c],
                        constraints=constraints.get(c, {}),
                        **({kind: user_vectors[kind][u]} if kind else {}),
                    )
                    for c, u in zip(captions[s : s + batch], who[s : s + batch], strict=True)
                ]
                made.append(creator.create(gs, seed=seed + s, candidates=candidates))
            bar.update(len(made[-1]))
        out[name] = np.concatenate(made)
    bar.close()
    return out


def creation_table(
    creator: Any,
    reader: AttributeReader,
    world: Any,
    user_vectors: dict[str, dict[str, np.ndarray]],
    encoder: Any,
    *,
    mmgcn: Any = None,
    mmgcn_users: list[str] | None = None,
    n_users: int = 32,
    k: int = 5,
    seed: int = 0,
    held_out: float = 0.1,
    batch: int = 40,
    candidates: int = 1,
    rows: list[str] | None = None,
    progress: bool = True,
) -> CreationTable:
    """Measure Table 4 (module docstring); ``user_vectors`` maps ``user_hist``/``user_emb`` to {user: vector}.

    Requests come from the items the model held out in training (its config's ``meta.data``; ``held_out``
    and seed 0 for a model that does not say), so every seed measures clips of subjects it never saw.

    ``rows``: which of :data:`ROWS` to create (default: all that the model and ``user_vectors`` allow; Original
    and the unconditional reference always). ``candidates > 1`` keeps, per request, the best of that many
    clips (:meth:`~generec.diffusion.generator.ConditionalGenerator.best_of`): read by the model's own
    reader where it has one, else by the encoder; the table says which, since Cosine@K and FVD are
    measured with that same encoder (the judge's hits are not).
    """
    world = load_world(world)
    unknown = sorted(set(rows or ()) - set(ROWS))
    if unknown:
        raise DataError(f"unknown rows {', '.join(unknown)}; choose among {', '.join(ROWS)}")
    rows = [r for r in ROWS if r in (rows or ROWS) and (ROWS[r] is None or (ROWS[r] in creator.spec.names
                                                                            and ROWS[r] in user_vectors))]  # fmt: skip
    kinds = [ROWS[r] for r in rows if ROWS[r] is not None]
    likers = set(world.events.loc[world.events["kind"] == "like", "user_id"].astype(str))
    pool = sorted(set.intersection(*(set(user_vectors[g]) for g in kinds))) if kinds else sorted(likers)
    pool = [u for u in pool if u in likers]
    if len(pool) < 1:
        raise DataError("no user has the guidance vectors this model takes and a like; check the guidance file")
    users = [pool[i] for i in np.random.default_rng([seed, 43]).permutation(len(pool))[:n_users]]
    config = creator.model.config
    data = config.meta.get("data") or {}
    split = (float(data.get("held_out", held_out)), int(data.get("seed", 0)))
    real, table, who = _requests(world, users, k, seed, split, config.shape.frames, config.pixel_size)
    captions = table["caption"].astype(str).tolist()
    samples = {
        "Original": real,
        **_create(creator, captions, who, encoder, user_vectors, rows, seed, batch, progress, candidates),
    }
    uncond = samples.pop("Unconditional")
    net = EncoderFeatures(encoder)
    t_star = _liked_thumbs(world, encoder, users)
    index = {u: n for n, u in enumerate(mmgcn_users or [])}
    rows, notes = {}, []
    for name, clips in samples.items():
        middle = net.image_features(clips[:, clips.shape[1] // 2])  # the clip's "thumbnail"
        rows[name] = {**_hits(reader, clips, table), **_personal(middle, who, k, t_star, mmgcn, index)}
        if name != "Original":
            fvd = frechet_video_distance(real, clips, net)
            rows[name]["FVD"] = fvd.value
    ref = frechet_video_distance(real, uncond, net)
    notes.append(f"reference: unconditional creation {ref}")
    notes.append(f"{len(users)} users x {k} held-out single-subject instructions; colour hits over colour styles only")
    if candidates > 1 and creator.rules.read is not None:
        notes.append(
            f"guided rows: best of {candidates} clips per request, read by the model's own reader (trained on"
            " the clips it learnt from; the judge is another reader, trained on fresh renders)"
        )
    elif candidates > 1:
        notes.append(
            f"guided rows: best of {candidates} clips per request by cos(encoder features, instruction);"
            " Cosine@K and FVD use that same encoder, the reader does not"
        )
    if mmgcn is None:
        notes.append("PS@K not computed: give an MMGCN model")
    return CreationTable(rows, notes, captions, samples)
