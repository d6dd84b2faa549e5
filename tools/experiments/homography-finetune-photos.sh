#!/bin/bash
# Fine-tuned homography on the natural-photo checkpoints of reproduce-photos-homography.sh at the budget that learns
# frozen (8,192 pairs, 1,500 steps), seed 0, one lane: the backbone at LR_SCALE × the head's learning rate
# (0.1 is the suite's default; session 8 also ran 0.01). ROWS picks the checkpoints (default: the method's).
#   tools/experiments/homography-finetune-photos.sh                          # → out/homography-finetune-8192
#   LR_SCALE=0.01 tools/experiments/homography-finetune-photos.sh out/homography-finetune-8192-lr001
cd "$(dirname "$0")/../.."
O=${1:-out/homography-finetune-8192}; LR_SCALE=${LR_SCALE:-0.1}; ROWS=${ROWS:-method}
node --conditions=@equissl/source --import tsx tools/homography-modes.ts --reproduce out/reproduce-photos-h8192 \
  --data '{name: image-folder, dir: data/crops32, size: 32}' --out "$O" \
  --settings "{steps: 1500, trainPairs: 8192, finetuneLrScale: $LR_SCALE}" --seeds 0 --rows "$ROWS" --lanes 1
