#!/bin/bash
# Does the EMA teacher of iBOT / DINOv2 train at CPU scale? 150-step runs of the reproduce preset's rows (seed 0),
# one setting changed each; prints the teacher's mean entropy and KL(teacher ‖ student) at steps 0, 10, 25, 50,
# 100 and 149 (log K = 5.55 for K = 256: a uniform teacher).
#   tools/experiments/teacher-screen.sh            # → out/teacher-screen/<name>/metrics.jsonl
set -euo pipefail
out=${OUT:-out/teacher-screen}
names=$(node --conditions=@equissl/source --import tsx tools/experiments/teacher-screen.ts "$out")
for name in $names; do
  [ -f "$out/$name/checkpoint.safetensors" ] || npm run --silent equissl -- pretrain --config "$out/$name.json" --out "$out/$name" --overwrite > "$out/$name.log" 2>&1
done
for name in $names; do
  python3 - "$out/$name/metrics.jsonl" "$name" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{sys.argv[2]:14s}", ' '.join(f"{m['step']}:{m['ssl.teacherEntropy']:.2f}/{m['ssl.kl']:.3f}" for m in rows if m['step'] in (0, 10, 25, 50, 100, 149)))
PY
done
