"""Why a creation model misses the subject: how far each attribute moves the condition a model is given.

For random single-subject requests, change one attribute (the category, the colour, ...) and measure
how far the instruction's text embedding moves (1 - cosine), next to the attribute-indicator part
(``--attributes`` models), which moves the same for every attribute. A model learns first what moves
its condition most; an attribute that barely moves the embedding is the last it follows.

    python bench/bench_conditions.py [--encoder DIR] [--requests 150]
"""

from __future__ import annotations

import argparse

import numpy as np

from generec.data.sim.samples import sample_shot
from generec.data.sim.vocab import ATTRIBUTES, VOCAB, caption_shot
from generec.diffusion.attributes import AttributeVocabulary
from generec.encoders import load_encoder
from generec.evaluation.creation import request_constraints

PACKAGED = "src/generec/assets/checkpoints/creation-demo/encoder"


def changed(shot: dict, attr: str, rng: np.random.Generator) -> dict:
    """``shot`` with ``attr`` set to another random value."""
    out = {**shot, "subjects": [dict(shot["subjects"][0])]}
    holder = out["subjects"][0] if attr in out["subjects"][0] else out
    others = [v for v in VOCAB[attr] if v != holder[attr]]
    holder[attr] = others[int(rng.integers(len(others)))]
    return out


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", default=PACKAGED, help="Encoder directory whose text tower embeds instructions.")
    ap.add_argument("--requests", type=int, default=150)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    enc = load_encoder("generec", args.encoder)
    vocab = AttributeVocabulary.from_mapping(VOCAB)
    rng = np.random.default_rng(args.seed)
    base = [sample_shot(rng, second_subject=0.0) for _ in range(args.requests)]
    print(f"{args.requests} requests; encoder {args.encoder}")
    print(f"{'attribute':<10} {'text 1-cos':>11} {'median':>7} {'indicators 1-cos':>17}")
    for attr in ATTRIBUTES:
        a = [caption_shot(s) for s in base]
        b = [caption_shot(changed(s, attr, rng)) for s in base]
        text = 1 - (unit(enc.encode_texts(a)) * unit(enc.encode_texts(b))).sum(1)
        named = request_constraints(a + b)
        ia = unit(np.stack([vocab.encode(named[c]["attributes"]) for c in a]))
        ib = unit(np.stack([vocab.encode(named[c]["attributes"]) for c in b]))
        ind = 1 - (ia * ib).sum(1)
        print(f"{attr:<10} {text.mean():>11.4f} {np.median(text):>7.4f} {ind.mean():>17.4f}", flush=True)


if __name__ == "__main__":
    main()
