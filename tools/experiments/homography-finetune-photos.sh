#!/bin/bash
# Fine-tuned homography on the natural-photo checkpoints of reproduce-photos-homography.sh at the budget that learns
# frozen (8,192 pairs, 1,500 head steps), then 300 steps of head and encoder together (the suite's fine-tune protocol
# the head first, on the frozen encoder), the encoder at LR_SCALE × the head's learning rate
# (0.1 is the suite's default; 0.01 and 0.001 were also run on the untrained rows). ROWS and SEEDS pick the runs.
#   tools/experiments/homography-finetune-photos.sh                                    # → out/homography-lpft-8192
#   LR_SCALE=0.01 ROWS=untrained SEEDS=0 tools/experiments/homography-finetune-photos.sh out/homography-lpft-8192-lr0.01
# (Earlier runs, a head trained from its random start together with the encoder for 1,500 steps, used the
# earlier protocol and are not reproduced by this script.)
cd "$(dirname "$0")/../.."
O=${1:-out/homography-lpft-8192}; LR_SCALE=${LR_SCALE:-0.1}; ROWS=${ROWS:-method,baseline,untrained}; SEEDS=${SEEDS:-0,1,2}
node --conditions=@equissl/source --import tsx tools/homography-modes.ts --reproduce out/reproduce-photos-h8192 \
  --data '{name: image-folder, dir: data/crops32, size: 32}' --out "$O" \
  --settings "{steps: 1500, trainPairs: 8192, finetuneSteps: 300, finetuneLrScale: $LR_SCALE}" --seeds "$SEEDS" --rows "$ROWS" --lanes 2
