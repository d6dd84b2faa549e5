#!/bin/bash
# Interleaved timing of `equissl eval --suite equivariance` on one checkpoint: the
# evaluation of an older commit (a worktree, OLD), today's (this checkout) and
# today's with the smaller MLP regressor, in turns, PAIRS times.
#   tools/eval-speed.sh CHECKPOINT OLD_WORKTREE [PAIRS] > out/eval-speed.log
# Prints one line per run: which, wall seconds, and the R² it printed.
set -u
ckpt=$1; old=$2; pairs=${3:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
run() { # label dir extra...
  local label=$1 dir=$2; shift 2
  local t0=$(date +%s.%N)
  local out=$(cd "$dir" && node --conditions=@equissl/source --import tsx packages/cli/src/main.ts eval "$here/$ckpt" --suite equivariance --out "/tmp/eval-speed-$label" "$@" 2>/dev/null | grep '^R²\|^mean' | tr '\n' ' ')
  local t1=$(date +%s.%N)
  printf '%s %s %.1f s  %s\n' "$(date +%T)" "$label" "$(echo "$t1 - $t0" | bc)" "$out"
}
grep -m1 'model name' /proc/cpuinfo
for p in $(seq 1 "$pairs"); do
  run old "$old"
  run new "$here"
  [ "${MLP512:-1}" = 1 ] && run new-mlp512 "$here" --regressor '{name: mlp, hidden: [512, 512]}'
done
