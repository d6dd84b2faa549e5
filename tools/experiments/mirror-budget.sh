#!/bin/bash
# Does a longer budget lift the baseline's accuracy toward the targets (linear ≥ 80 %, k-NN ≥ 75 %)? ±90° preset, 2,000 steps (cosine over 2,000), eval at 1,000 and 2,000.
cd /work/main
OMP_NUM_THREADS=1 /usr/bin/python3 tools/reference/reproduce_mirror.py --config docs/results/reproduce/preset-baseline.json --set steps=2000 \
  --seeds 0 --eval-at 1000,2000 --eval-images 2048 --readouts clsmean --tag S7-base-rot90-2000 --out out/mirror/budget.jsonl
