#!/usr/bin/env bash
# Train GeneRec's 64 px generators and their judge on the demo world, resuming whatever WORK already holds.
#
#   bash scripts/train_generators.sh WORK [DEVICE] [MINUTES]
#
# WORK     a directory kept between runs (the world, conditions, checkpoints); run the script again, on this
#          machine or another (copy WORK), and every step goes on from its last checkpoint. training/demo-64
#          in this repository is the WORK that sessions on different machines share through git: commit its
#          checkpoints after a run (.gitignore leaves out what the seed rebuilds: the world, encoded latents).
# DEVICE   cpu (default) or cuda: the same commands, the same seeds.
# MINUTES  stop the diffusion trainings after this many minutes each (they save and resume); default: no limit.
#
# Steps (seed 0 everywhere): the demo world; the 64 px attribute reader (judges everything made); MMGCN's user
# embeddings (User_Emb); the creation model (preset demo-64, conditioned on instruction + User_Hist or User_Emb +
# the attribute values; it is also the reviser of content revision) with its first-stage autoencoder; the
# creation model's own reader; the retrieval-augmented thumbnail model (image preset demo-64). Then
# `generec reproduce creation` measures it.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:?usage: bash scripts/train_generators.sh WORK [cpu|cuda] [MINUTES]}"
device="${2:-cpu}"
minutes="${3:-}"
gen=".venv/bin/generec"
py=".venv/bin/python"
enc="src/generec/assets/checkpoints/creation-demo/encoder"
limit=()
[ -n "$minutes" ] && limit=(--minutes "$minutes")
# The creation model is trained in three phases of one schedule (40,000 steps), each resumable: single
# frames first (window 1: the subject's look at image cost), then 4 frames of each clip (motion), then whole
# 16-frame clips. Clips per step shrink as frames per clip grow; a GPU takes 4x the clips.
phases=("1 64 15000" "4 16 30000" "16 8 40000")
scale=1
[ "$device" = cuda ] && scale=4
mkdir -p "$work"

[ -f "$work/world/world.json" ] || "$gen" world build --users 2000 --items 1500 --seed 0 --out "$work/world"

[ -f "$work/reader/weights.pt" ] || "$gen" train reader --out "$work/reader" --clips 20000 --steps 3000 \
  --noise 0.25 --frames 16 --size 64 --arch detail --width 32 --seed 0 --device "$device" --checkpoint-every 100

if [ ! -f "$work/mmgcn/user_emb.npz" ]; then
  "$py" -c "import sys; from generec.encoders import load_encoder; from generec.evaluation.ps_model import fit_mmgcn; \
fit_mmgcn(sys.argv[1], load_encoder('generec', sys.argv[2]), sys.argv[3], seed=0)" "$work/world" "$enc" "$work/mmgcn"
fi

for phase in "${phases[@]}"; do
  read -r window clips until <<<"$phase"
  "$gen" train creation --world "$work/world" --encoder "$enc" --out "$work/creation" --conditions "$work/cond.npz" \
    --guidance user_hist+user_emb --user-emb "$work/mmgcn/user_emb.npz" --attributes --preset demo-64 \
    --window "$window" --steps 40000 --stop-at "$until" --batch-size $((clips * scale)) --lr 5e-4 --seed 0 \
    --device "$device" --checkpoint-every 200 "${limit[@]}"
  step=$("$py" -c "import json, sys; print(json.load(open(sys.argv[1]))['extra']['train']['step'])" \
    "$work/creation/config.json")
  if [ "$step" -lt "$until" ]; then  # cut by MINUTES: the next run goes on from here, in this phase
    echo "creation model at step $step of this phase's $until: run the script again to go on"; exit 0
  fi
done

# The creation model's own reader (trained only on the labelled clips it learnt from; the creator reads its
# candidates with it and keeps the one that shows what was asked). The judge (reader/ above) never ranks.
[ -f "$work/creation/reader/weights.pt" ] || "$gen" train reader --clips-of "$work/creation" --world "$work/world" \
  --arch detail --width 16 --steps 1500 --noise 0.25 --seed 0 --device "$device" --checkpoint-every 100

"$gen" train thumbnails --world "$work/world" --encoder "$enc" --out "$work/thumbnails" --preset demo-64 \
  --autoencoder "$work/creation" --steps 20000 --batch-size 32 --lr 5e-4 --seed 0 --device "$device" \
  --checkpoint-every 200 "${limit[@]}"
