#!/usr/bin/env bash
# One process against two under torchrun (DDP, gloo) on this machine, at the same global batch: equissl pretrain's
# defaults, 60 steps, REPEATS interleaved repeats (default 2); views/s over steps 10–59 from each run's metrics.jsonl
# (its per-step viewsPerSecond, the batch's reading included) and the loss over the last 10 steps. Run it on a quiet
# machine: the table in docs/performance.md ("Past one machine: PyTorch DDP") comes from it.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PYTHONPATH=$PWD/python/equissl_torch
out=${OUT:-out/scale}
summary() {
  node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((l) => l.step !== undefined);
    const w = lines.filter((l) => l.step >= 10 && l.step < 60);
    const last = lines.slice(-10);
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`${process.argv[2]}: ${mean(w.map((l) => l.viewsPerSecond)).toFixed(1)} views/s, loss (last 10) ${mean(last.map((l) => l.total ?? l.loss)).toFixed(3)}`);
  ' "$1/metrics.jsonl" "$2"
}
for r in $(seq 1 "${REPEATS:-2}"); do
  /usr/bin/python3 -m equissl_torch.train --steps 60 --threads 1 --log-every 0 --out "$out/p1t1-$r" --overwrite >/dev/null
  summary "$out/p1t1-$r" "1 process × 1 thread, repeat $r"
  /usr/bin/python3 -m equissl_torch.train --steps 60 --threads 2 --log-every 0 --out "$out/p1t2-$r" --overwrite >/dev/null
  summary "$out/p1t2-$r" "1 process × 2 threads, repeat $r"
  /usr/bin/python3 -m equissl_torch.launch --standalone --nproc_per_node 2 -m equissl_torch.train --steps 60 --log-every 0 --out "$out/p2t1-$r" --overwrite >/dev/null 2>&1
  summary "$out/p2t1-$r" "2 processes (torchrun) × 1 thread, repeat $r"
done
