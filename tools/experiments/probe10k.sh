#!/bin/bash
# The probes with 10,000 training and 2,000 test images (the mirror's protocol) on the ±90° Fashion-MNIST checkpoints.
cd /work/main
for seed in 0 1 2; do for row in untrained baseline method; do
  o=out/probe10k/$row/seed$seed
  [ -f $o/results.json ] && continue
  echo "$(date +%T) $row seed $seed"
  npm run -s equissl -- eval out/reproduce-rot90/$row/seed$seed/checkpoint.safetensors --suite linear,knn --probe-images 10000,2000 --seed $seed --out $o 2>&1 | grep "top-1"
done; done
echo "$(date +%T) done"
