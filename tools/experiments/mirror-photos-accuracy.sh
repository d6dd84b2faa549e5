#!/bin/bash
# The method's probe accuracies on photos, screened in the PyTorch mirror on a validation cut (train and
# validation strips both inside the training strip of data/scenes32, so no setting sees a test pixel):
# the baseline, the preset's method, the method with λ = 2, and with a quarter of the channels equivariant
# (seeds 0–2, 500 steps, ±90°). Make the validation cut first:
#   node --import tsx tools/make-crops.ts --out data/scenes32-val --size 32 --per-image 600 --test-per-image 300 \
#     --min-side 0.4 --max-side 0.7 --regions 0.6 --within 0.6 --src $(dpkg -L lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 | grep -i '\.jpg$')
# Tabulate with: /usr/bin/python3 tools/reference/summarize_mirror.py out/mirror-photos-val/*.jsonl
cd "$(dirname "$0")/../.."
P=docs/results/reproduce
D=${DATA:-data/scenes32-val}
PHOTOS="data={\"name\":\"image-folder\",\"dir\":\"$D\",\"size\":32}"
SEEDS=${SEEDS:-0 1 2}
QUEUE=()
for s in $SEEDS; do QUEUE+=(
  "V-base $s $P/preset-baseline.json 500 $PHOTOS"
  "V-meth $s $P/preset-method.json 500 $PHOTOS"
  "V-meth-l2 $s $P/preset-method.json 500 $PHOTOS reconstruction.weight=2"
  "V-meth-q $s $P/preset-method.json 500 $PHOTOS equiFraction=0.25"
); done
OUT=${OUT:-out/mirror-photos-val}
source tools/experiments/lib/mirror-queue.sh
lanes
