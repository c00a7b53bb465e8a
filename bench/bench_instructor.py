"""Benchmark the instructor's offline understanding and decision latency.

Prints intent accuracy and slot F1 on GeneRec-Sim's held-out instruction families
and on the paraphrases in ``tests/instructor/instructor_paraphrases.py``, for
our understanding (logistic regression on MiniLM + delexicalised + structural
features; embedding-matched synonyms) next to a baseline run in the same
process (1-nearest-neighbour on MiniLM embeddings of the same training data,
exact-match slots only), and the latency of ``understand`` and ``Instructor.decide``.

With ``--frozen`` it judges whole decisions (``Instructor.respond``) on the frozen held-out set
``tests/instructor/frozen_instructions.json`` instead: intent accuracy, slot F1, negation polarity
(and the standing constraints left), out-of-vocabulary words mapped or reported, refusals of
injection and privilege attempts, ``Instructor.decide`` latency, and every miss, row by row.

Usage::

    HF_HUB_OFFLINE=1 python bench/bench_instructor.py --train-rows 1200 --eval-rows 1200 --seed 0
    HF_HUB_OFFLINE=1 python bench/bench_instructor.py --frozen
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from generec.data.sim.instructions import generate_instructions
from generec.instructor import DialogueManager, Instructor, Intent
from generec.instructor.judging import judge, misses, summarise
from generec.instructor.scoring import score
from generec.instructor.seeds import fill_seeds
from generec.instructor.slots import SlotFiller
from generec.instructor.understanding import OfflineUnderstanding
from generec.instructor.vocabulary import Vocabulary

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "instructor"))
from instructor_paraphrases import PARAPHRASES  # noqa: E402


class NearestNeighbour:
    """Baseline: the intent of the most similar training sentence; slots by exact match only."""

    def __init__(self, nlu: OfflineUnderstanding, texts: list[str], intents: list[str]) -> None:
        self.nlu = nlu
        self.emb = nlu.encoder.encode_texts([t.lower() for t in texts])
        self.intents = intents
        self.exact = SlotFiller(nlu.vocabulary, encoder=None)

    def understand_many(self, texts: list[str]):
        sims = self.nlu.encoder.encode_texts([t.lower() for t in texts]) @ self.emb.T
        out = []
        for text, row in zip(texts, sims, strict=True):
            best = int(row.argmax())
            out.append(self.nlu.compose(Intent(self.intents[best]), float(row[best]), self.exact.fill(text)))
        return out


def _latency_ms(fn, items) -> tuple[float, float, float]:
    """Median and p95 wall-clock ms per call, and median process CPU ms (robust to a busy machine)."""
    wall, cpu = [], []
    for x in tqdm(items, desc="latency", leave=False):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(x)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    wall.sort()
    return statistics.median(wall), wall[int(0.95 * (len(wall) - 1))], statistics.median(cpu)


FROZEN = Path(__file__).resolve().parents[1] / "tests" / "instructor" / "frozen_instructions.json"


def frozen(nlu: OfflineUnderstanding, console: Console) -> None:
    """Judge whole decisions on the frozen held-out set; print the scores and every miss."""
    rows = json.loads(FROZEN.read_text())["rows"]
    ins = Instructor(nlu)
    load0 = os.getloadavg()[0]
    verdicts = [judge(ins, r) for r in tqdm(rows, desc="frozen set", leave=False)]
    s = summarise(verdicts)
    table = Table(title=f"frozen held-out set ({len(rows)} instructions, {FROZEN.name})")
    for col in ("measure", "value", "target"):
        table.add_column(col)
    table.add_row("intent accuracy", f"{s['intent_accuracy']:.3f}", ">= 0.9")
    table.add_row("intent accuracy, accepted alternatives too", f"{s['intent_accuracy_lenient']:.3f}", "")
    table.add_row("slot precision / recall", f"{s['slot_precision']:.3f} / {s['slot_recall']:.3f}", "")
    table.add_row("slot F1", f"{s['slot_f1']:.3f}", ">= 0.85")
    table.add_row(f"negation polarity + standing constraints ({s['polarity_n']:.0f} rows)",
                  f"{s['polarity_accuracy']:.3f}", "1.000")  # fmt: skip
    table.add_row(f"out-of-vocabulary words mapped or reported ({s['oov_n']:.0f})", f"{s['oov_handled']:.3f}", "1.000")
    table.add_row("  of them mapped (the reply says to what)", f"{s['oov_mapped_share']:.3f}", "")
    table.add_row(f"refusals ({s['refusal_n']:.0f} attempts)", f"{s['refusal_rate']:.3f}", "1.000")
    table.add_row("ordinary requests refused", f"{s['false_refusals']:.0f}", "0")
    console.print(table)
    console.print("[bold]misses[/bold] (group | text | what went wrong | reply)")
    n_miss = 0
    for v in verdicts:
        found = misses(v)
        if found:
            n_miss += 1
            console.print(f"- {v.row['group']} | {v.row['text']!r} | {'; '.join(found)} | {v.reply!r}", markup=False,
                          highlight=False)  # fmt: skip
    console.print(f"{n_miss} of {len(rows)} rows with at least one miss")
    texts = [r["text"] for r in rows]
    dm = DialogueManager()
    nlu.slot_filler.open_vocab.clear_cache()  # time cold turns: the judging above embedded these phrases
    d50, d95, dcpu = _latency_ms(lambda t: ins.decide(dm.load("u1", instruction=t, shown=["v1", "v2"])), texts)
    console.print(
        f"Instructor.decide (no LLM) over the set: median {d50:.1f} ms, p95 {d95:.1f} ms (target < 50), "
        f"CPU median {dcpu:.1f} ms; load average {load0:.1f} before, {os.getloadavg()[0]:.1f} after"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train-rows", type=int, default=1200, help="world instructions generated for training")
    ap.add_argument("--eval-rows", type=int, default=1200, help="world instructions generated for evaluation")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--frozen", action="store_true",
                    help="judge whole decisions on the frozen held-out set and list every miss")  # fmt: skip
    args = ap.parse_args()
    if args.frozen:
        train = [r for r in generate_instructions(600, seed=args.seed) if r["split"] == "train"]
        nlu = OfflineUnderstanding(Vocabulary.from_sim(), seed=args.seed).fit((r["text"], r["intent"]) for r in train)
        frozen(nlu, Console(width=400))
        return

    train = [r for r in generate_instructions(args.train_rows, seed=args.seed) if r["split"] == "train"]
    held = [r for r in generate_instructions(args.eval_rows, seed=args.seed + 1000) if r["split"] == "heldout"]
    para = [{"text": t, "intent": i, "slots": dict(p)} for t, i, p in PARAPHRASES]

    t0 = time.perf_counter()
    nlu = OfflineUnderstanding(Vocabulary.from_sim(), seed=args.seed).fit((r["text"], r["intent"]) for r in train)
    fit_s = time.perf_counter() - t0
    seeds = fill_seeds(nlu.vocabulary, np.random.default_rng(args.seed), nlu.seed_copies)
    base = NearestNeighbour(
        nlu,
        [t for t, _ in seeds] + [r["text"] for r in train],
        [i.value for _, i in seeds] + [r["intent"] for r in train],
    )

    table = Table(title=f"instructor understanding (train {len(train)} world rows + seeds, fit {fit_s:.0f}s)")
    for col in ("set", "n", "model", "intent acc", "slot P", "slot R", "slot F1"):
        table.add_column(col)
    for name, rows in (("world held-out", held), ("own paraphrases", para)):
        texts = [r["text"] for r in rows]
        for label, model in (("ours", nlu), ("1-NN baseline", base)):
            s = score(model.understand_many(texts), rows)
            table.add_row(name, str(len(rows)), label, f"{s['intent_accuracy']:.3f}", f"{s['slot_precision']:.3f}",
                          f"{s['slot_recall']:.3f}", f"{s['slot_f1']:.3f}")  # fmt: skip

    sample = [r["text"] for r in held[:100]]
    u50, u95, ucpu = _latency_ms(nlu.understand, sample)
    ins, dm = Instructor(nlu), DialogueManager()
    d50, d95, dcpu = _latency_ms(lambda t: ins.decide(dm.load("u1", instruction=t)), sample)
    lat = Table(title=f"latency per turn (ms; machine load average {os.getloadavg()[0]:.1f})")
    for col in ("call", "wall median", "wall p95", "CPU median"):
        lat.add_column(col)
    lat.add_row("OfflineUnderstanding.understand", f"{u50:.1f}", f"{u95:.1f}", f"{ucpu:.1f}")
    lat.add_row("Instructor.decide (no LLM)", f"{d50:.1f}", f"{d95:.1f}", f"{dcpu:.1f}")
    console = Console()
    console.print(table)
    console.print(lat)


if __name__ == "__main__":
    main()
