#!/usr/bin/env python3
"""Tabulate reproduce_mirror.py JSON lines: mean ± sample std over seeds per (tag, step).

Usage:
    /usr/bin/python3 tools/reference/summarize_mirror.py out/mirror10/*.jsonl [--readout clsmean-full]

Prints one Markdown row per (tag, eval step): the seeds, R²(rotation) of the
chosen readout, k-NN and linear accuracy (%), and the loss terms of the last
50 steps, each as mean ± std with the per-seed values in brackets. The std is
the sample std (n − 1), as in equissl's reports; with one seed it is left out.
"""
import argparse
import json
import math
from collections import defaultdict


def mean_std(xs):
    m = sum(xs) / len(xs)
    if len(xs) < 2:
        return m, None
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def cell(xs, scale=1.0, digits=3):
    xs = [x * scale for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    if not xs:
        return "–"
    m, s = mean_std(xs)
    if s is None:
        return f"{m:.{digits}f}"
    each = ", ".join(f"{x:.{digits}f}" for x in xs)
    return f"{m:.{digits}f} ± {s:.{digits}f} ({each})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--readout", default="clsmean-full")
    a = ap.parse_args()
    groups = defaultdict(list)
    for path in a.files:
        with open(path) as f:
            for raw in f:
                line = json.loads(raw)
                if "error" in line:
                    print(f"<!-- {path}: seed {line['seed']} step {line['step']}: {line['error']} -->")
                    continue
                groups[(line["tag"], line["step"])].append(line)
    print(f"| tag | step | seeds | R²(rot) {a.readout} | k-NN % | linear % | L_ssl | L_rec |")
    print("|---|---|---|---|---|---|---|---|")
    for (tag, step), lines in sorted(groups.items()):
        lines.sort(key=lambda l: l["seed"])
        seeds = ",".join(str(l["seed"]) for l in lines)
        r2 = cell([l["r2"].get(a.readout) for l in lines])
        knn = cell([l.get("knn") for l in lines], 100, 1)
        lin = cell([l.get("linear") for l in lines], 100, 1)
        ssl = cell([l.get("terms", {}).get("ssl") for l in lines], 1, 2)
        rec = cell([l.get("terms", {}).get("rec") for l in lines], 1, 3)
        print(f"| {tag} | {step} | {seeds} | {r2} | {knn} | {lin} | {ssl} | {rec} |")


if __name__ == "__main__":
    main()
