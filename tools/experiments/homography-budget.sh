#!/bin/bash
# Does the homography head learn more on natural-photo crops with 5× the steps (1,500 instead of 300), and with 8× the
# training pairs? Frozen encoders of the natural-photo reproduce run, seed 0; the from-scratch CNN with the same budget
# once (it does not depend on the encoder).
#   tools/experiments/homography-budget.sh                      # 1,500 steps, 1,024 pairs → out/homography-budget
#   PAIRS=8192 tools/experiments/homography-budget.sh out/reproduce-photos out/homography-pairs8192
cd "$(dirname "$0")/../.."
R=${1:-out/reproduce-photos}; O=${2:-out/homography-budget}; PAIRS=${PAIRS:-1024}
DATA='{name: image-folder, dir: data/crops32, size: 32}'
for row in untrained baseline method; do
  refs='[zero]'; [ $row = untrained ] && refs='[zero, scratch]'
  [ -f "$O/$row/seed0/results.json" ] && continue
  echo "$(date +%T) $row seed 0"
  npm run -s equissl -- eval "$R/$row/seed0/checkpoint.safetensors" --suite homography --seed 0 --data "$DATA" \
    --homography "{steps: 1500, trainPairs: $PAIRS, references: $refs}" --out "$O/$row/seed0" 2>&1 | grep 'MCE (frozen)\|loss'
done
echo "$(date +%T) done"
