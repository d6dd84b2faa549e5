#!/bin/bash
# The Fashion-MNIST preset's settings screened again on the validation cut (the last 10,000 training images; the
# test file is not read), scored as the protocol scores (R² regressors fitted on 16,384 training images, 4,096
# validation images scored, probes on 2,048 / 1,024 images, as equissl reproduce), seeds 0–2, in the PyTorch mirror. Each setting is
# varied alone from the preset; the selection rule is declared in docs/protocol.md ("Choosing the preset").
# PRESET=photos screens the same settings on the photos' validation cut (data/scenes32-val: training crops from the
# left 36 % of every photo, validation crops from 36–60 %; cut by the command in preset.ts, scenesValidationCommand;
# its 11,400 training crops are all the regressors fit on).
# Two lanes of one thread each; one JSON-lines file per run under OUT (default out/preset-val[-photos]/; rerun to
# continue). OUT=lab/runs/preset-val-photos keeps finished runs across machines once committed (git ignores the
# queue's logs, locks and partial files there).
# Tabulate with: /usr/bin/python3 tools/reference/summarize_mirror.py out/preset-val/*.jsonl; apply the declared rule with
# /usr/bin/python3 tools/experiments/preset-choice.py out/preset-val
cd "$(dirname "$0")/../.."
P=docs/results/reproduce
V="--fit-images=16384 --eval-images=4096 --probe-train=2048 --probe-test=1024"
if [ "${PRESET:-fashion-mnist}" = photos ]; then
  V="data={\"name\":\"image-folder\",\"dir\":\"data/scenes32-val\",\"size\":32} $V"
  OUT=${OUT:-out/preset-val-photos}
else
  V="--validation=10000 $V"
fi
QUEUE=()
for s in 0 1 2; do QUEUE+=(
  "V-untrained $s $P/preset-method.json 0 $V"
  "V-base-rot90 $s $P/preset-baseline.json 500 $V"
  "V-meth $s $P/preset-method.json 500 $V"
  "V-meth-noneck $s $P/preset-method.json 500 neck=none $V"
  "V-meth-l1 $s $P/preset-method.json 500 reconstruction.weight=1 $V"
  "V-meth-pixels $s $P/preset-method.json 500 reconstruction.target=pixels $V"
  "V-meth-tokens $s $P/preset-method.json 500 reconstruction.decoder.input=tokens $V"
  "V-base-rot60 $s $P/preset-baseline.json 500 path.maxDegrees=60 $V"
  "V-meth-rot60 $s $P/preset-method.json 500 path.maxDegrees=60 $V"
); done
OUT=${OUT:-out/preset-val}
source tools/experiments/lib/mirror-queue.sh
lanes
