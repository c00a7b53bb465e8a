"""Where a 64 px creation model loses the subject: its first stage, drawing it, or carrying it through the clip.

Measurements on single-subject clips rendered by GeneRec-Sim (never the model's training clips), read by
the 64 px attribute reader that judges the generators (the judge):

* ``first-stage``: the clips and their first-stage reconstructions (encode, decode). If the reconstructions
  are read as well as the clips, the latents keep the subject and the denoiser is what must learn it.
* ``known-frame``: the model samples each clip from its caption and attribute values with the real first
  ``--known`` frames given (MCVD's known prefix). A denoiser that can draw and move the subject keeps it
  in the later frames and moves it as asked. Writes a PNG: per request, frames 0/5/10/15 made, then the
  same frames of the real clip.
* ``sdedit``: each real clip noised to ``--strengths`` of the schedule and denoised under its own request
  (SDEdit): how much noise the subject survives.
* ``candidates``: ``--candidates`` clips per request from noise: how often the judge reads the asked
  category in one candidate, in at least one of them, and in the one the model's own reader
  (``MODEL/reader``) picks; and how often the two readers agree.

    python bench/bench_first_frames.py first-stage --model WORK/creation --reader WORK/reader --clips 400
    python bench/bench_first_frames.py known-frame --model WORK/creation --reader WORK/reader --encoder E \\
        --clips 40 --known 1,2,4 --png known.png
    python bench/bench_first_frames.py sdedit --model WORK/creation --reader WORK/reader --encoder E \\
        --clips 48 --strengths 0.3,0.5,0.7
    python bench/bench_first_frames.py candidates --model WORK/creation --reader WORK/reader --encoder E \\
        --clips 40 --candidates 6
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import torch


def _requests(n: int, seed: int) -> tuple[list[str], list[dict[str, str]], np.ndarray]:
    from generec.data.sim.reader import READ_ATTRIBUTES
    from generec.data.sim.render import render_shot
    from generec.data.sim.samples import sample_shot
    from generec.data.sim.vocab import caption_shot

    rng = np.random.default_rng(seed)
    texts, labels, clips = [], [], []
    for _ in range(n):
        shot = sample_shot(rng, second_subject=0.0)
        subject = shot["subjects"][0]
        texts.append(caption_shot(shot))
        labels.append({a: subject.get(a, shot.get(a)) for a in READ_ATTRIBUTES})
        clips.append(render_shot(shot, 16, 64, int(rng.integers(2**31))))
    return texts, labels, np.stack(clips)


def _hits(reader, clips: np.ndarray, labels: list[dict[str, str]]) -> dict[str, float]:
    from generec.data.sim.reader import READ_ATTRIBUTES
    from generec.data.sim.vocab import VOCAB

    p = reader.predict_proba(clips)
    return {a: float(np.mean([VOCAB[a][int(i)] == lab[a] for i, lab in zip(p[a].argmax(1), labels, strict=True)]))
            for a in READ_ATTRIBUTES}  # fmt: skip


def _tensor(clips: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(clips).permute(0, 1, 4, 2, 3).float() / 127.5 - 1


def _pixels(x: torch.Tensor) -> np.ndarray:
    return ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 1, 3, 4, 2).cpu().numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["first-stage", "known-frame", "sdedit", "candidates"])
    ap.add_argument("--model", required=True, help="a 64 px latent creation checkpoint directory")
    ap.add_argument("--reader", required=True, help="the 64 px attribute reader")
    ap.add_argument("--encoder", help="the encoder the model was trained with (known-frame)")
    ap.add_argument("--clips", type=int, default=64)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", type=float, default=3.0, help="classifier-free guidance scale (known-frame)")
    ap.add_argument("--png", help="where the known-frame sheet goes")
    ap.add_argument("--known", default="1", help="known-frame: comma-separated numbers of real frames given")
    ap.add_argument("--strengths", default="0.3,0.5,0.7", help="sdedit: comma-separated SDEdit strengths")
    ap.add_argument("--candidates", type=int, default=6, help="candidates: clips made per request")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    from generec.data.sim.reader import AttributeReader
    from generec.diffusion import DiffusionModel

    reader = AttributeReader.load(args.reader)
    texts, labels, real = _requests(args.clips, args.seed)
    print(f"{args.clips} rendered clips (seed {args.seed}); load average {os.getloadavg()[0]:.1f}")
    print("real          ", {a: round(v, 3) for a, v in _hits(reader, real, labels).items()})
    if args.what == "first-stage":
        model = DiffusionModel.load(args.model)
        with torch.no_grad():
            rec = torch.cat([model.decode(model.encode(_tensor(real[i : i + 8]))) for i in range(0, len(real), 8)])
        print("reconstructed ", {a: round(v, 3) for a, v in _hits(reader, _pixels(rec), labels).items()})
        return
    from generec.creator.video import VideoCreator
    from generec.encoders import load_encoder
    from generec.evaluation.creation import request_constraints
    from generec.types import Guidance

    creator = VideoCreator.load(args.model, load_encoder("generec", args.encoder) if args.encoder else None)
    named = request_constraints(texts)
    asked = [Guidance(instruction_text=t, constraints=named[t]) for t in texts]
    if args.what == "sdedit":
        from generec.editor.revision import Reviser

        reviser = Reviser(creator.model, creator.encoder, steps=25, guidance_scale=args.scale)
        for strength in (float(v) for v in args.strengths.split(",")):
            made = reviser.revise(real, asked, strength=strength, seed=0)
            print(f"strength {strength:<4}", {a: round(v, 3) for a, v in _hits(reader, made, labels).items()})
        return
    if args.what == "candidates":
        _candidates(creator, reader, asked, labels, args.candidates, args.scale)
        return
    cond = torch.from_numpy(np.stack([creator.condition(g) for g in asked])).float()
    for known in (int(v) for v in args.known.split(",")):
        mask = torch.zeros(len(real), 16, dtype=torch.bool)
        mask[:, :known] = True
        with torch.no_grad():
            made = _pixels(creator.model.sample(cond, len(real), steps=25, guidance=args.scale, seed=0,
                                                known=(_tensor(real), mask)))  # fmt: skip
        print(f"from {known} frame(s)", {a: round(v, 3) for a, v in _hits(reader, made, labels).items()})
    if args.png:
        from PIL import Image

        rows = [np.concatenate([m[t] for t in (0, 5, 10, 15)] + [r[t] for t in (0, 5, 10, 15)], 1)
                for m, r in zip(made[:8], real[:8], strict=False)]  # fmt: skip
        Image.fromarray(np.concatenate(rows, 0)).save(args.png)
        print(f"sheet: {args.png} (per row: frames 0/5/10/15 made from the last --known, then the real clip's)")


def _candidates(creator, judge, asked: list, labels: list[dict[str, str]], n: int, scale: float) -> None:  # noqa: ANN001
    from generec.diffusion.generator import CANDIDATE_SEED_STEP

    want = np.asarray([lab["category"] for lab in labels])
    pool = [creator.create(asked, seed=c * CANDIDATE_SEED_STEP, guidance_scale=scale, candidates=1) for c in range(n)]
    judged = np.asarray([[r["category"] for r in judge.read(p)] for p in pool])  # [n, requests]
    print(
        f"judge: asked category in one candidate {(judged == want).mean():.3f}, "
        f"in at least one of {n} {(judged == want).any(0).mean():.3f}"
    )
    if creator.rules.read is None:
        print("the model has no reader of its own (MODEL/reader): nothing picks among the candidates")
        return
    own = np.asarray([[r["category"] for r in creator.rules.read(p)] for p in pool])
    pick = creator.best_of(np.stack(pool), None, creator.wants(asked, len(asked)))  # the product's choice
    print(
        "the product's pick (own reader, the creator's rules) read as asked by the judge "
        f"{(judged[pick, np.arange(len(want))] == want).mean():.3f}; "
        f"the two readers agree on {(own == judged).mean():.3f} of the categories"
    )


if __name__ == "__main__":
    main()
