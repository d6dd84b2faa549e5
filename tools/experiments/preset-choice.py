#!/usr/bin/env python3
"""Apply the preset's selection rule (docs/protocol.md, "Choosing the preset") to a preset validation screen.

    /usr/bin/python3 tools/experiments/preset-choice.py out/preset-val

Reads the screen's JSON lines (tools/experiments/preset-validation-screen.sh: one file per tag and seed) and
prints, per method setting (the preset `V-meth` and each variant), its baseline, the MLP R²(rotation) of
`clsmean-full` for both (mean ± std over seeds, per-seed values), the gap, the probes' method − baseline
differences, whether it is admissible, the untrained control (`V-untrained`, scored but not part of the
rule), and then the choice the rule makes. The rule, as declared:

- baselines: `V-base-rot60` for `V-meth-rot60`, `V-base-rot90` for every other setting;
- admissible: method − baseline, mean over the seeds, above −2 points for the linear probe and for k-NN;
- gap: the method's mean MLP R²(rotation) on `clsmean-full` minus its baseline's;
- choice: the admissible variant with the largest gap replaces the preset's setting when its gap exceeds the
  preset's by more than 0.02; otherwise (none admissible, within 0.02, a tie) the preset stays.

Only the seeds a setting and its baseline both finished count; a setting with fewer than 3 such seeds is
reported and left out of the choice.
"""
import glob
import json
import math
import os
import sys

READOUT = "clsmean-full"
PRESET = "V-meth"
UNTRAINED = "V-untrained"
MARGIN = 0.02
BOUND = -2.0  # points
SEEDS_NEEDED = 3


def baseline_of(tag):
    return "V-base-rot60" if tag.endswith("-rot60") else "V-base-rot90"


def load(folder):
    """(tag, seed) → the run's last evaluation."""
    runs = {}
    for f in sorted(glob.glob(os.path.join(folder, "*.jsonl"))):
        rows = [json.loads(line) for line in open(f) if line.strip()]
        rows = [r for r in rows if "error" not in r]
        if rows:
            last = max(rows, key=lambda r: r["step"])
            runs[(last["tag"], last["seed"])] = last
    return runs


def mean(xs):
    return sum(xs) / len(xs)


def std(xs):
    if len(xs) < 2:
        return float("nan")
    m = mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def cell(xs, scale=1.0, digits=3):
    xs = [x * scale for x in xs]
    return f"{mean(xs):.{digits}f} ± {std(xs):.{digits}f} ({', '.join(f'{x:.{digits}f}' for x in xs)})"


def main(folder):
    runs = load(folder)
    tags = sorted({t for t, _ in runs if t.startswith("V-meth")}, key=lambda t: (t != PRESET, t))
    print(f"| setting (seeds) | baseline | R²(rot) method | R²(rot) baseline | gap | Δ linear | Δ k-NN | admissible |")
    print("|---|---|---|---|---|---|---|---|")
    scored = {}
    for tag in tags:
        base = baseline_of(tag)
        seeds = sorted(s for t, s in runs if t == tag and (base, s) in runs)
        if not seeds:
            print(f"| {tag} | {base} | – | – | – | – | – | no finished pair |")
            continue
        m = [runs[(tag, s)] for s in seeds]
        b = [runs[(base, s)] for s in seeds]
        r2m = [r["r2"][READOUT] for r in m]
        r2b = [r["r2"][READOUT] for r in b]
        gap = mean(r2m) - mean(r2b)
        dlin = 100 * (mean([r["linear"] for r in m]) - mean([r["linear"] for r in b]))
        dknn = 100 * (mean([r["knn"] for r in m]) - mean([r["knn"] for r in b]))
        admissible = dlin > BOUND and dknn > BOUND
        enough = len(seeds) >= SEEDS_NEEDED
        verdict = ("yes" if admissible else "no") + ("" if enough else f" (only {len(seeds)} seeds: left out)")
        print(f"| {tag} ({', '.join(map(str, seeds))}) | {base} | {cell(r2m)} | {cell(r2b)} | {gap:+.3f} | {dlin:+.1f} | {dknn:+.1f} | {verdict} |")
        if enough:
            scored[tag] = (gap, admissible)
    print()
    control = [runs[k] for k in sorted(runs) if k[0] == UNTRAINED]
    if control:
        seeds = ", ".join(str(r["seed"]) for r in control)
        print(f"Untrained control ({UNTRAINED}, seeds {seeds}): R²(rot) {cell([r['r2'][READOUT] for r in control])}, "
              f"linear {cell([r['linear'] for r in control], 100, 1)} %, k-NN {cell([r['knn'] for r in control], 100, 1)} %.")
        print()
    if PRESET not in scored:
        print(f"The preset ({PRESET}) has fewer than {SEEDS_NEEDED} finished seeds: no choice.")
        return
    preset_gap, preset_ok = scored[PRESET]
    if not preset_ok:
        print(f"The preset itself is not admissible (a probe below {BOUND:+.0f} points); the rule is applied as written.")
    variants = sorted(((g, t) for t, (g, ok) in scored.items() if t != PRESET and ok), reverse=True)
    if not variants:
        print("No admissible variant: the preset stays.")
        return
    best_gap, best = variants[0]
    tied = [t for g, t in variants if g == best_gap]
    if len(tied) > 1:
        print(f"A tie between {', '.join(tied)}: the preset stays.")
    elif best_gap > preset_gap + MARGIN:
        print(f"Choice: {best} (gap {best_gap:+.3f} against the preset's {preset_gap:+.3f}, more than {MARGIN} above it).")
    else:
        print(f"The preset stays: the best admissible variant, {best}, has gap {best_gap:+.3f} against the preset's {preset_gap:+.3f} (not more than {MARGIN} above).")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/preset-val")
