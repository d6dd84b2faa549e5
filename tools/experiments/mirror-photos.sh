#!/bin/bash
# Natural-photo screens in the PyTorch mirror (seed 0, 500 steps, ±90°): scene-scale crops of the 19
# Lomiri photos with train / test from disjoint regions of every photo, 32 px, R² from clsmean on
# 2,048 test-region crops, probes on 10,000 / 2,000. Make the data first:
#   node --import tsx tools/make-crops.ts --out data/scenes32 --size 32 --per-image 1200 --test-per-image 300 \
#     --min-side 0.4 --max-side 0.7 --regions 0.6 --src $(dpkg -L lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 | grep -i '\.jpg$')
# Tabulate with: /usr/bin/python3 tools/reference/summarize_mirror.py out/mirror-photos/*.jsonl
cd "$(dirname "$0")/../.."
P=docs/results/reproduce
D=${DATA:-data/scenes32}
PHOTOS="data={\"name\":\"image-folder\",\"dir\":\"$D\",\"size\":32}"
SEEDS=${SEEDS:-0}
QUEUE=()
for s in $SEEDS; do QUEUE+=(
  "P-base $s $P/preset-baseline.json 0,500 $PHOTOS"
  "P-meth $s $P/preset-method.json 500 $PHOTOS"
  "P-meth-shared $s $P/preset-method.json 500 $PHOTOS views.pairing=shared-crop"
  "P-meth-shared-tokens $s $P/preset-method.json 500 $PHOTOS views.pairing=shared-crop reconstruction.decoder.input=tokens"
  "P-meth-shared-reflect $s $P/preset-method.json 500 $PHOTOS views.pairing=shared-crop path.fill=reflect"
  "P-base-reflect $s $P/preset-baseline.json 500 $PHOTOS path.fill=reflect"
); done
OUT=${OUT:-out/mirror-photos}
source tools/experiments/lib/mirror-queue.sh
lanes
