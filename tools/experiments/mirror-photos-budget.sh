#!/bin/bash
# The photo preset's baseline and method over a longer budget in the PyTorch mirror: 2,000-step runs
# (one cosine schedule) scored at steps 500, 1,000 and 2,000 on the test strip of data/scenes32
# (R² from clsmean-full on 2,048 test-region crops, probes on 10,000 / 2,000), seeds 0–2.
# Tabulate with: /usr/bin/python3 tools/reference/summarize_mirror.py out/mirror-photos-budget/*.jsonl
cd "$(dirname "$0")/../.."
P=docs/results/reproduce
D=${DATA:-data/scenes32}
PHOTOS="data={\"name\":\"image-folder\",\"dir\":\"$D\",\"size\":32}"
SEEDS=${SEEDS:-0 1 2}
QUEUE=()
for s in $SEEDS; do QUEUE+=(
  "B-base $s $P/preset-baseline.json 500,1000,2000 $PHOTOS steps=2000"
  "B-meth $s $P/preset-method.json 500,1000,2000 $PHOTOS steps=2000"
); done
OUT=${OUT:-out/mirror-photos-budget}
source tools/experiments/lib/mirror-queue.sh
lanes
