#!/usr/bin/env bash
# Screens for a split the paper describes (the invariant half loses the angle, the equivariant half keeps it): the
# method preset on Fashion-MNIST's validation cut (the last 10,000 training images), seed 0, one thread, R²(rotation)
# per readout (cls, cls + mean token) and part (full, inv, equi) by the MLP on 4,096 validation images. Variants:
#   preset         the invariance loss reads the cls token's invariant channels
#   loss-clsmean   it also reads the mean patch token's invariant channels (what the clsmean readout reads)
#   decorrelate-1  plus a cross-covariance penalty between the halves (cls and mean tokens), weight 1
# They run on the single-file PyTorch mirror as it was at commit b2053be (before it moved into python/equissl_torch),
# with split-screen.patch (the validation cut, `lossTokens`, `decorrelate`). Results: docs/results/protocol/split-screen.jsonl.
set -euo pipefail
cd "$(dirname "$0")/../.."
mirror=$(mktemp --suffix .py)
git show b2053be:tools/reference/reproduce_mirror.py > "$mirror"
patch -s "$mirror" tools/experiments/split-screen.patch
out=${OUT:-docs/results/protocol/split-screen.jsonl}
run() { OMP_NUM_THREADS=1 /usr/bin/python3 "$mirror" --config docs/results/reproduce/preset-method.json --set data.validation=10000 --readouts cls,clsmean --eval-images 4096 --seeds 0 --out "$out" "$@" | tail -1; }
run --tag preset
run --tag loss-clsmean --set lossTokens=clsmean
run --tag decorrelate-1 --set decorrelate=1
