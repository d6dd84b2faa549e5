#!/usr/bin/env bash
# The iBOT and DINOv2 defaults of `equissl pretrain` on its embedded (procedural) images, seed 0: each
# teacher temperature τ_t (held from the first step, no warm-up) at the run lengths of the check (30 and
# 300 steps). `equissl pretrain` prints each run's teacher-health verdict; a default must train at both
# lengths (docs/losses/ibot.md, "Defaults of equissl pretrain").
#   LOSSES="ibot dinov2" STEPS="30 300" TEMPS="0.04 0.02 0.01" EXTRA="--set loss.prototypes=64" \
#     tools/experiments/teacher-defaults-screen.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
read -r -a losses <<< "${LOSSES:-ibot dinov2}"
read -r -a steps_list <<< "${STEPS:-30 300}"
read -r -a temps <<< "${TEMPS:-0.04 0.02 0.01}"
read -r -a extra <<< "${EXTRA:-}"
tag=$(printf '%s' "${EXTRA:-}" | tr -c 'a-zA-Z0-9.=' '_')
for steps in "${steps_list[@]}"; do
  for loss in "${losses[@]}"; do
    for t in "${temps[@]}"; do
      out="out/teacher-screen/${loss}-t${t}-${steps}${tag:+-$tag}"
      line=$(npm run -s equissl -- pretrain --set loss.name="$loss" --set loss.teacherTemp="$t" --set loss.warmupTeacherTemp="$t" "${extra[@]}" --steps "$steps" --out "$out" --overwrite 2>/dev/null | grep '^teacher:' || echo 'teacher: (no line)')
      echo "$loss τ_t=$t ${EXTRA:-} $steps steps: $line"
    done
  done
done
