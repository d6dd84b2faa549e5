#!/bin/bash
# The systems table of docs/results.md at seeds 0 … SEEDS−1 on one preset, in parts so that each part's rows
# are reported as soon as they are in: the teacher-based systems first (iBOT, DINOv2 and their Ours rows, whose
# teachers must be seen to train before the rest: reproduce prints each teacher run's health as it finishes
# training), trained then evaluated; then SIE and STL with theirs, the K ablation and the (SIE, all, rot) pair,
# trained, then evaluated. Untrained / baseline / method runs already in FROM (a reproduce folder of the same
# preset and code) are copied in and reused. Rerun to continue after a stop.
#   tools/experiments/systems.sh                                      # Fashion-MNIST, seed 0 → out/systems-fashion-mnist
#   PRESET=photos SEEDS=3 FROM=out/reproduce-photos tools/experiments/systems.sh
#   SEEDS=3 FROM=out/rerun/fashion-mnist OUT=out/rerun/systems-fashion-mnist tools/experiments/systems.sh
set -euo pipefail
preset=${PRESET:-fashion-mnist}
seeds=${SEEDS:-1}
out=${OUT:-out/systems-$preset}
from=${FROM:-}
mkdir -p "$out"
if [ -n "$from" ]; then
  for row in untrained baseline method; do
    for ((s = 0; s < seeds; s++)); do
      if [ -f "$from/$row/seed$s/eval.json" ] && [ ! -e "$out/$row/seed$s" ]; then mkdir -p "$out/$row" && cp -r "$from/$row/seed$s" "$out/$row/seed$s"; fi
    done
  done
fi
run() { npm run --silent equissl -- reproduce --preset "$preset" --seeds "$seeds" --out "$out" "$@"; }
all=(--systems ibot,dinov2,sie,stl --with-method --ablation k1 k3 sie-all-rot)
run --systems ibot,dinov2 --with-method --train-only
run --systems ibot,dinov2 --with-method
run "${all[@]}" --train-only
run --systems ibot,dinov2,sie,stl --with-method
run "${all[@]}"
