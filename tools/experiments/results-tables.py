#!/usr/bin/env python3
"""Print a reproduce folder's tables in docs/results.md's form: R² per family with both probes, R² per half by both
readouts, and the requirement table as the report printed it. The numbers come from the folder's results.json and
report.md only, so test/results-tables.test.ts finds them again.

    /usr/bin/python3 tools/experiments/results-tables.py docs/results/photos
"""
import json
import os
import re
import sys

LABELS = {"untrained": "untrained encoder (control)", "baseline": "baseline", "method": "method"}


def ms(s, scale=1.0, digits=3):
    return f"{s['mean'] * scale:.{digits}f} ± {s['std'] * scale:.{digits}f}"


def label(row):
    name = row["name"]
    if name in LABELS:
        return LABELS[name]
    if name.startswith("ours-"):
        return f"Ours({name[5:]})"
    return name


def main(folder):
    res = json.load(open(os.path.join(folder, "results.json")))
    rows = res["rows"]
    seeds = rows[0]["seeds"]
    span = f"seeds {seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else f"seed {seeds[0]}"
    print(f"| row ({span}) | R² rot | colour | blur | trans | mean | linear % | k-NN % |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        fam = [ms(r["r2"][k]) for k in ("rotation", "colour", "blur", "translation", "mean")]
        print(f"| {label(r)} | " + " | ".join(fam) + f" | {ms(r['linear'], 100, 1)} | {ms(r['knn'], 100, 1)} |")
    print()
    print(f"| row ({span}) | full (MLP) | inv (MLP) | equi (MLP) | full (ridge) | inv (ridge) | equi (ridge) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        h = r.get("halves", {})
        cells = [ms(h[reg][part]) if part in h.get(reg, {}) else "–" for reg in ("mlp", "ridge") for part in ("full", "inv", "equi")]
        print(f"| {label(r)} | " + " | ".join(cells) + " |")
    print()
    report = open(os.path.join(folder, "report.md")).read()
    m = re.search(r"## The comparison\n\n(.*?)(\n\n|\Z)", report, re.S)
    print(m.group(1) if m else "(report.md has no comparison section)")


if __name__ == "__main__":
    main(sys.argv[1])
