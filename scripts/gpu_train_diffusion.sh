#!/usr/bin/env bash
# Train GeneRec's creation model at the larger configuration on a GPU and print the attribute-reader table.
#
# Two phases, because the GPU machine has no packaged MiniLM text tower (88 MB, too big to carry):
#
#   1. here, on CPU:  scripts/gpu_train_diffusion.sh prepare .gpu [ENCODER_DIR|untrained] [USERS] [ITEMS]
#      builds a GeneRec-Sim world (no media) into .gpu/world and writes the condition rows
#      (instruction + User_Hist vectors, every caption's embedding) to .gpu/conditions.npz.
#      Keep .gpu out of git:  echo /.gpu/ >> .git/info/exclude
#   2. on the GPU (device tool, carry [".gpu"]):  bash scripts/gpu_train_diffusion.sh train .gpu MINUTES [PRESET] [BATCH]
#      trains `generec train creation --preset large` for MINUTES, trains the attribute reader, and prints
#      the table (created vs real vs chance) for held-out instructions. Writes .gpu/model and, if $OUT is
#      set, copies the model's config and the table there.
#
# No pip install: the GPU image's python3 (3.12) already holds torch (CUDA), numpy, pandas, pyarrow, scipy,
# pillow, typer, rich and tqdm, which is all this path imports; the package runs from src/ via PYTHONPATH.
# Tiny CPU dry run of both phases:
#   scripts/gpu_train_diffusion.sh prepare /tmp/g untrained 60 60 && \
#   PRESET=tiny DEVICE=cpu scripts/gpu_train_diffusion.sh train /tmp/g 0.2 tiny 8
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
phase=${1:?usage: $0 prepare|train DIR ...}
dir=${2:?usage: $0 prepare|train DIR ...}

if [[ $phase == prepare ]]; then
  encoder=${3:-untrained}; users=${4:-2000}; items=${5:-1500}
  mkdir -p "$dir"
  [[ -f $dir/world/world.json ]] || $PY -m generec world build --out "$dir/world" --users "$users" \
    --items "$items" --seed 0 --no-media
  $PY - "$dir" "$encoder" <<'PY'
import sys
from generec.cli.generate import load_cli_encoder
from generec.creator.training import creation_conditions, save_conditions
d, enc = sys.argv[1], sys.argv[2]
conds = creation_conditions(f"{d}/world", load_cli_encoder(enc, "generec"), guidance="user_hist", seed=0)
save_conditions(f"{d}/conditions.npz", conds)
print(f"wrote {d}/conditions.npz: {conds['info']}")
PY
  exit 0
fi

[[ $phase == train ]] || { echo "unknown phase $phase (prepare or train)" >&2; exit 2; }
minutes=${3:-6}; preset=${4:-large}; batch=${5:-64}; device=${DEVICE:-auto}
[[ -f $dir/conditions.npz ]] || { echo "$dir/conditions.npz missing: run the prepare phase first" >&2; exit 2; }
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv || true
$PY -m generec train creation --world "$dir/world" --conditions "$dir/conditions.npz" --out "$dir/model" \
  --preset "$preset" --steps 1000000 --minutes "$minutes" --batch-size "$batch" --lr 3e-4 --device "$device" -q
$PY - "$dir" "$device" <<'PY' | tee "$dir/table.txt"
import sys, time
import torch
from generec.creator import VideoCreator
from generec.creator.training import load_conditions
from generec.data.sim.reader import AttributeReader, ReaderConfig, accuracy_table
from generec.evaluation.attribute_reader import evaluate_creation
d, device = sys.argv[1], sys.argv[2]
device = "cuda" if device == "auto" and torch.cuda.is_available() else ("cpu" if device == "auto" else device)
creator = VideoCreator.load(f"{d}/model", None, device=device, steps=25, guidance_scale=3.0)
shape = creator.model.config.shape
tiny = shape.size <= 16
t0 = time.time()
reader = AttributeReader(ReaderConfig(frames=shape.frames, size=shape.size))
reader.fit(n_clips=200 if tiny else 8000, steps=20 if tiny else 2000, progress=False, device=device)
print(f"reader trained in {time.time() - t0:.0f} s")
print(accuracy_table(reader.evaluate(100 if tiny else 1000)))
caps = load_conditions(f"{d}/conditions.npz")["captions"]
report = evaluate_creation(creator, reader, f"{d}/world", n=16 if tiny else 128, caption_embeddings=caps)
print(report.table())
print("model:", creator.model.config.meta.get("preset"), creator.model.parameters_count(), "parameters,",
      creator.model.extra.get("train", {}).get("step"), "steps,", creator.model.extra.get("train", {}).get("seconds"), "s")
PY
if [[ -n ${OUT:-} ]]; then cp "$dir/table.txt" "$dir/model/config.json" "$OUT/"; fi
