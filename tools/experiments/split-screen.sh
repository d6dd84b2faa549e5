#!/usr/bin/env bash
# Screens for a split the paper describes (the invariant half loses the angle, the equivariant half keeps it): the
# method preset on Fashion-MNIST's validation cut (the last 10,000 training images), seed 0, one thread, R²(rotation)
# per readout (cls, cls + mean token) and part (full, inv, equi) by the MLP on 4,096 validation images. Variants:
#   preset         the invariance loss reads the cls token's invariant channels
#   loss-clsmean   it also reads the mean patch token's invariant channels (what the clsmean readout reads)
#   decorrelate-1  plus a cross-covariance penalty between the halves (cls and mean tokens), weight 1
#   decorrelate-25 the same penalty, weight 25
#   noproj         VICReg reads the invariant channels directly (no projector)
#   noproj-clsmean no projector, and the loss also reads the mean patch token's invariant channels
#   noneck         no linear neck: the backbone's channels are split as they are
#   noproj-noneck  neither projector nor neck
#   noproj-rec20   no projector, λ = 20 (the reconstruction holding the equivariant half against the invariance)
#   noproj-clsmean-rec20  no projector, the loss on the mean token too, λ = 20
#   mlpneck-noproj-clsmean  the invariant half from a nonlinear neck branch (Linear, GELU, Linear), the equivariant
#                  half from a linear one; no projector; the loss on the cls and mean tokens' invariant channels
# TAGS picks variants (default: all); two lanes run side by side (LANES=1 for one).
# They run on the single-file PyTorch mirror as it was at commit b2053be (before it moved into python/equissl_torch),
# with split-screen.patch (the validation cut, `lossTokens`, `decorrelate`, the `mlp-inv` neck). Results: docs/results/protocol/split-screen.jsonl.
set -euo pipefail
cd "$(dirname "$0")/../.."
mirror=$(mktemp --suffix .py)
git show b2053be:tools/reference/reproduce_mirror.py > "$mirror"
patch -s "$mirror" tools/experiments/split-screen.patch
out=${OUT:-docs/results/protocol/split-screen.jsonl}
run() { OMP_NUM_THREADS=1 /usr/bin/python3 "$mirror" --eval-at ${EVAL_AT:-0,500} --config docs/results/reproduce/preset-method.json --set data.validation=10000 --readouts cls,clsmean --eval-images 4096 --seeds 0 --out "$out" "$@" | tail -1; }
declare -A variants=(
  [preset]=""
  [loss-clsmean]="--set lossTokens=clsmean"
  [decorrelate-1]="--set decorrelate=1"
  [decorrelate-25]="--set decorrelate=25"
  [noproj]="--set loss.projector=[]"
  [noproj-clsmean]="--set loss.projector=[] --set lossTokens=clsmean"
  [noneck]="--set neck=none"
  [noproj-noneck]="--set loss.projector=[] --set neck=none"
  [noproj-rec20]="--set loss.projector=[] --set reconstruction.weight=20"
  [noproj-clsmean-rec20]="--set loss.projector=[] --set lossTokens=clsmean --set reconstruction.weight=20"
  [mlpneck-noproj-clsmean]="--set neck=mlp-inv --set loss.projector=[] --set lossTokens=clsmean"
)
tags=(${TAGS:-preset loss-clsmean decorrelate-1 decorrelate-25 noproj noproj-clsmean noneck noproj-noneck noproj-rec20 noproj-clsmean-rec20 mlpneck-noproj-clsmean})
lanes=${LANES:-2}
pids=() failed=()
finish() { for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed+=("${ran[$i]}"); done; pids=() ran=(); }
for i in "${!tags[@]}"; do
  t=${tags[$i]}
  # shellcheck disable=SC2086
  run --tag "$t" ${variants[$t]} &
  pids+=($!) ran+=("$t")
  if (( (i + 1) % lanes == 0 )); then finish; fi
done
finish
if (( ${#failed[@]} )); then echo "failed: ${failed[*]} (their output is above; $out holds the others)"; exit 1; fi
