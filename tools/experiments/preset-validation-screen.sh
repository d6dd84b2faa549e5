#!/bin/bash
# The Fashion-MNIST preset's settings screened again on the validation cut (the last 10,000 training images; the
# test file is not read), scored as the protocol scores (R² regressors fitted on 16,384 training images, 4,096
# validation images scored, probes on 2,048 / 1,024 images, as equissl reproduce), seeds 0–2, in the PyTorch mirror. Each setting is
# varied alone from the preset; the selection rule is declared in docs/protocol.md ("Choosing the preset").
# Two lanes of one thread each; one JSON-lines file per run under out/preset-val/ (rerun to continue).
# Tabulate with: /usr/bin/python3 tools/reference/summarize_mirror.py out/preset-val/*.jsonl
cd "$(dirname "$0")/../.."
P=docs/results/reproduce
V="--validation=10000 --fit-images=16384 --eval-images=4096 --probe-train=2048 --probe-test=1024"
QUEUE=()
for s in 0 1 2; do QUEUE+=(
  "V-untrained $s $P/preset-method.json 0 steps=0 $V"
  "V-base-rot90 $s $P/preset-baseline.json 500 $V"
  "V-meth $s $P/preset-method.json 500 $V"
  "V-meth-noneck $s $P/preset-method.json 500 neck=none $V"
  "V-meth-l1 $s $P/preset-method.json 500 reconstruction.weight=1 $V"
  "V-meth-pixels $s $P/preset-method.json 500 reconstruction.target=pixels $V"
  "V-meth-tokens $s $P/preset-method.json 500 reconstruction.decoder.input=tokens $V"
  "V-base-rot60 $s $P/preset-baseline.json 500 path.maxDegrees=60 $V"
  "V-meth-rot60 $s $P/preset-method.json 500 path.maxDegrees=60 $V"
); done
OUT=${OUT:-out/preset-val}
source tools/experiments/lib/mirror-queue.sh
lanes
