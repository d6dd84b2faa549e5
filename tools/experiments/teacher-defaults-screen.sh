#!/usr/bin/env bash
# The iBOT and DINOv2 defaults of `equissl pretrain` on its embedded (procedural) images: each teacher
# temperature τ_t (held from the first step) at the two run lengths of the check, 30 and 300 steps, seed 0.
# `equissl pretrain` prints the teacher-health verdict of each run; the chosen default is the one whose
# teacher trains at both lengths for both losses (docs/losses/ibot.md, "Defaults of equissl pretrain").
#   tools/experiments/teacher-defaults-screen.sh [TEMPS...]   (default: 0.04 0.02 0.01)
set -euo pipefail
cd "$(dirname "$0")/../.."
temps=("${@:-0.04 0.02 0.01}")
read -r -a temps <<< "${temps[*]}"
for steps in 30 300; do
  for loss in ibot dinov2; do
    for t in "${temps[@]}"; do
      out="out/teacher-screen/${loss}-t${t}-${steps}"
      line=$(npm run -s equissl -- pretrain --set loss.name="$loss" --set loss.teacherTemp="$t" --set loss.warmupTeacherTemp="$t" --steps "$steps" --out "$out" --overwrite 2>/dev/null | grep '^teacher:' || echo 'teacher: (no line)')
      echo "$loss τ_t=$t $steps steps: $line"
    done
  done
done
