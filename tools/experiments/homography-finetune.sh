#!/bin/bash
# The fine-tuned homography column of the natural-photo reproduce run (lab/notebook.md): one lane, each
# run's checkpoint as soon as reproduce has finished it (its eval.json exists), then the table of both modes.
cd "$(dirname "$0")/../.."
R=${1:-out/reproduce-photos}; O=${2:-out/homography-finetune}
DATA='{name: image-folder, dir: data/crops32, size: 32}'
tool() { node --conditions=@equissl/source --import tsx tools/homography-modes.ts --reproduce "$R" --data "$DATA" --out "$O" "$@"; }
for seed in 0 1 2; do for row in untrained baseline method; do
  until [ -f "$R/$row/seed$seed/eval.json" ]; do sleep 30; done
  tool --seeds $seed --rows $row --lanes 1 | grep -v '^|\|^$\|^Homography\|^32-px'
done; done
tool --seeds 0,1,2 --lanes 1
