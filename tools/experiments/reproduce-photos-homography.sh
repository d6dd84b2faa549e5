#!/bin/bash
# The natural-photo reproduce run scored on homography estimation only, at the budget that learns on photos
# (8,192 training pairs, 1,500 head steps; docs/homography.md "Natural photos need more pairs"): untrained, baseline
# and method of the default preset, seeds 0, 1, 2, frozen encoders, the zero predictor and (once per seed) the
# from-scratch CNN. The R² and accuracy columns of the same checkpoints are the session-7 run's (results.md).
cd "$(dirname "$0")/../.."
O=${1:-out/reproduce-photos-h8192}
npm run -s equissl -- reproduce --data '{name: image-folder, dir: data/crops32, size: 32}' --suites homography \
  --homography '{steps: 1500, trainPairs: 8192}' --out "$O"
