#!/bin/bash
# Ours(STL) on photos keeps little of the angle (R²(rotation) 0.223 against Ours(VICReg)'s 0.674): a one-seed
# screen of which part of it is to blame. Each variant retrains Ours(STL)'s photo config with one change, and
# every checkpoint (the variants and the reproduce rows they are compared with) is scored by the same
# `equissl eval --suite equivariance` at the same seed, so the numbers compare with each other, not with the table.
#   inv-only   STL's invariance InfoNCE alone on z_inv (its equivariance and transformation terms weighted 0)
#   lambda20   the reconstruction weighted 20 instead of 5
#   FROM=out/systems-photos SEED=0 tools/experiments/stl-photos-screen.sh   # → out/stl-photos-screen
set -euo pipefail
from=${FROM:-out/systems-photos}
out=${OUT:-out/stl-photos-screen}
seed=${SEED:-0}
config=$from/ours-stl/seed$seed/config.json
score() { # checkpoint, report folder
  [ -f "$2/results.json" ] || npm run --silent equissl -- eval "$1" --suite equivariance --seed "$seed" --out "$2"
}
variant() { # name, --set overrides …
  local dir=$out/$1/seed$seed; shift
  [ -f "$dir/checkpoint.safetensors" ] && [ -f "$dir/eval/results.json" ] && return
  if [ -f "$dir/checkpoint.safetensors" ]; then npm run --silent equissl -- pretrain --out "$dir" --resume
  else npm run --silent equissl -- pretrain --config "$config" "$@" --out "$dir" --overwrite; fi
  score "$dir/checkpoint.safetensors" "$dir/eval"
}
for row in ours-stl method; do score "$from/$row/seed$seed/checkpoint.safetensors" "$out/$row/seed$seed/eval"; done
variant inv-only --set loss.equiWeight=0 --set loss.transWeight=0
variant lambda20 --set reconstruction.weight=20
