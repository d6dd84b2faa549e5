#!/bin/bash
# Ours(STL) on photos keeps little of the angle (R²(rotation) 0.223 against Ours(VICReg)'s 0.674): a one-seed
# screen of which part of it is to blame. Each variant retrains Ours(STL)'s photo config with one change, and
# every checkpoint (the variants and the reproduce rows they are compared with) is scored by the same
# `equissl eval --suite equivariance` at the same seed, so the numbers compare with each other, not with the table.
#   inv-only   STL's invariance InfoNCE alone on z_inv (its equivariance and transformation terms weighted 0)
#   lambda20   the reconstruction weighted 20 instead of 5
# Each checkpoint is scored twice: SIE's MLP regressor (eval/) and the closed-form ridge (eval-ridge/), and the
# Ours(VICReg) checkpoint also with the MLP at eval seeds 1 and 2 (eval-seed1/, eval-seed2/): how much of the MLP's
# R² moves with the evaluation's own draws.
#   FROM=out/systems-photos SEED=0 tools/experiments/stl-photos-screen.sh   # → out/stl-photos-screen
#   SEED=1 ROWS=ours-stl VARIANTS=lambda20 tools/experiments/stl-photos-screen.sh   # one variant at a further seed
#   SEED=0 ROWS=stl VARIANTS= tools/experiments/stl-photos-screen.sh               # STL alone, scored the same way
set -euo pipefail
from=${FROM:-out/systems-photos}
out=${OUT:-out/stl-photos-screen}
seed=${SEED:-0}
read -r -a rows <<< "${ROWS-ours-stl method}"
read -r -a variants <<< "${VARIANTS-inv-only lambda20}"
config=$from/ours-stl/seed$seed/config.json
score() { # checkpoint, report folder, evaluation seed, further eval options …
  local checkpoint=$1 report=$2 at=$3; shift 3
  [ -f "$report/results.json" ] || npm run --silent equissl -- eval "$checkpoint" --suite equivariance --seed "$at" --out "$report" "$@"
}
variant() { # name, --set overrides …
  local dir=$out/$1/seed$seed; shift
  [ -f "$dir/checkpoint.safetensors" ] && [ -f "$dir/eval/results.json" ] && return
  if [ -f "$dir/checkpoint.safetensors" ]; then npm run --silent equissl -- pretrain --out "$dir" --resume
  else npm run --silent equissl -- pretrain --config "$config" "$@" --out "$dir" --overwrite; fi
  score "$dir/checkpoint.safetensors" "$dir/eval" "$seed"
}
declare -A overrides=([inv-only]="--set loss.equiWeight=0 --set loss.transWeight=0" [lambda20]="--set reconstruction.weight=20")
for row in "${rows[@]}"; do score "$from/$row/seed$seed/checkpoint.safetensors" "$out/$row/seed$seed/eval" "$seed"; done
# shellcheck disable=SC2086 # the overrides split into words on purpose
for name in "${variants[@]}"; do variant "$name" ${overrides[$name]}; done
for row in "${rows[@]}"; do score "$from/$row/seed$seed/checkpoint.safetensors" "$out/$row/seed$seed/eval-ridge" "$seed" --regressor '{name: ridge}'; done
for name in "${variants[@]}"; do score "$out/$name/seed$seed/checkpoint.safetensors" "$out/$name/seed$seed/eval-ridge" "$seed" --regressor '{name: ridge}'; done
if [[ " ${rows[*]} " == *" method "* ]]; then
  for s in $(seq 1 2 | grep -vx "$seed"); do score "$from/method/seed$seed/checkpoint.safetensors" "$out/method/seed$seed/eval-seed$s" "$s"; done
fi
