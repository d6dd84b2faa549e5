#!/bin/bash
# The rotation range between the views (±60°, ±75° beside the ±45° and ±90° already measured),
# K = 1 at ±90°, seeds 1 and 2 of the ±90° preset, ±45° again at the preset's 25 warm-up steps (last), and a 4,000-step baseline at ±45°, in the PyTorch mirror
# (Fashion-MNIST 32 px, probes on 10,000 / 2,000 images, R² with the MLP on 2,048 images, readout clsmean).
# Two lanes of one thread each take runs from one queue, in the order of priority below; one JSON-lines file
# per run under out/mirror10/, skipped when present or when the other lane holds its lock.
# Tabulate with: /usr/bin/python3 tools/reference/summarize_mirror.py out/mirror10/*.jsonl
cd "$(dirname "$0")/../.."
P=docs/results/reproduce
QUEUE=(
  "S10-base-rot45-4000 0 $P/preset-baseline.json 500,1000,2000,4000 steps=4000 path.maxDegrees=45"
)
for s in 0 1 2; do QUEUE+=(   # the ±60° range, K = 1 at ±90° and the untrained control, every seed
  "S10-untrained $s $P/preset-baseline.json 0 steps=0"
  "S10-base-rot60 $s $P/preset-baseline.json 500 path.maxDegrees=60"
  "S10-meth-rot60 $s $P/preset-method.json 500 path.maxDegrees=60"
  "S10-meth-k1-rot90 $s $P/preset-method.json 500 reconstruction.k=1"
); done
PHOTOS='data={"name":"image-folder","dir":"data/crops32-1200","size":32}'   # make-crops.ts --per-image 1200
QUEUE+=(   # ±75°, seed 0; then natural photos at ±90°, seed 0: the control, both rows, λ 20 and pixel targets
  "S10-base-rot75 0 $P/preset-baseline.json 500 path.maxDegrees=75"
  "S10-meth-rot75 0 $P/preset-method.json 500 path.maxDegrees=75"
  "S10P-untrained 0 $P/preset-baseline.json 0 $PHOTOS steps=0 --eval-images=4096"
  "S10P-base-rot90 0 $P/preset-baseline.json 500 $PHOTOS --eval-images=4096"
  "S10P-meth-rot90 0 $P/preset-method.json 500 $PHOTOS --eval-images=4096"
  "S10P-meth-rot90-l20 0 $P/preset-method.json 500 $PHOTOS reconstruction.weight=20 --eval-images=4096"
  "S10P-meth-rot90-pixels 0 $P/preset-method.json 500 $PHOTOS reconstruction.target=pixels --eval-images=4096"
)
for s in 1 2; do QUEUE+=(   # then ±90° (seed 0 is an earlier run's) and ±75° at seeds 1 and 2
  "S10-base-rot90 $s $P/preset-baseline.json 500"
  "S10-meth-rot90 $s $P/preset-method.json 500"
  "S10-base-rot75 $s $P/preset-baseline.json 500 path.maxDegrees=75"
  "S10-meth-rot75 $s $P/preset-method.json 500 path.maxDegrees=75"
); done
for s in 0 1 2; do QUEUE+=(   # last: ±45° at the preset's 25 warm-up steps (an earlier run used 75)
  "S10-base-rot45 $s $P/preset-baseline.json 500 path.maxDegrees=45"
  "S10-meth-rot45 $s $P/preset-method.json 500 path.maxDegrees=45"
); done
OUT=out/mirror10
source tools/experiments/lib/mirror-queue.sh
lanes
