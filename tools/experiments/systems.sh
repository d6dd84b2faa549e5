#!/bin/bash
# The systems table of docs/results.md at seeds 0 … SEEDS−1 on one preset, in parts so that each part's rows
# are reported as soon as they are in: the teacher-based systems first (iBOT, DINOv2 and their Ours rows, whose
# teachers must be seen to train before the rest: reproduce prints each teacher run's health as it finishes
# training), then SIE and STL with theirs, the K ablation and the (SIE, all, rot) pair. Each run is trained and
# evaluated before the next starts, so a stop loses at most one run. Finished runs (<row>/seed<k>/eval.json) in
# the FROM folders (space-separated; reproduce folders of the same preset and code, or KEEP of an earlier try) are
# copied in and reused. With KEEP=DIR, each finished run's eval.json and config.json are also copied to DIR as
# it lands (a folder that outlives out/, e.g. one that is committed). Rerun to continue after a stop.
#   tools/experiments/systems.sh                                      # Fashion-MNIST, seed 0 → out/systems-fashion-mnist
#   PRESET=photos SEEDS=3 FROM=out/reproduce-photos tools/experiments/systems.sh
#   SEEDS=3 FROM="docs/results/fashion-mnist lab/runs/systems-fashion-mnist" KEEP=lab/runs/systems-fashion-mnist \
#     OUT=out/rerun/systems-fashion-mnist tools/experiments/systems.sh
set -euo pipefail
preset=${PRESET:-fashion-mnist}
seeds=${SEEDS:-1}
out=${OUT:-out/systems-$preset}
from=${FROM:-}
keep=${KEEP:-}
mkdir -p "$out"
for f in $from; do
  for done in "$f"/*/seed*/eval.json; do
    [ -f "$done" ] || continue
    run_dir=$(dirname "$done"); seed_dir=$(basename "$run_dir"); row=$(basename "$(dirname "$run_dir")")
    s=${seed_dir#seed}
    if [ "$s" -lt "$seeds" ] && [ ! -e "$out/$row/$seed_dir/eval.json" ]; then
      rm -rf "$out/$row/$seed_dir" && mkdir -p "$out/$row" && cp -r "$run_dir" "$out/$row/$seed_dir"
      [ "$f" = "$keep" ] || touch "$out/$row/$seed_dir/.reused"
    fi
  done
done
# copies each run finished here (not one reused from another FROM folder) to KEEP: its eval.json and config.json
keep_finished() {
  [ -n "$keep" ] || return 0
  for done in "$out"/*/seed*/eval.json; do
    [ -f "$done" ] || continue
    run_dir=$(dirname "$done"); rel=${run_dir#"$out"/}
    [ -e "$run_dir/.reused" ] && continue
    if [ ! -f "$keep/$rel/eval.json" ] || ! cmp -s "$done" "$keep/$rel/eval.json"; then
      mkdir -p "$keep/$rel"
      for f in eval.json config.json; do [ -f "$run_dir/$f" ] && cp "$run_dir/$f" "$keep/$rel/$f.tmp" && mv "$keep/$rel/$f.tmp" "$keep/$rel/$f"; done
    fi
  done
}
if [ -n "$keep" ]; then (while sleep 60; do keep_finished; done) & watcher=$!; trap 'kill $watcher 2>/dev/null; keep_finished' EXIT; fi
run() { npm run --silent equissl -- reproduce --preset "$preset" --seeds "$seeds" --out "$out" "$@"; }
run --systems ibot,dinov2 --with-method
run --systems ibot,dinov2,sie,stl --with-method --ablation k1 k3 sie-all-rot
