"""One step of equissl repeated here, and the differences measured.

    node --conditions=@equissl/source --import tsx tools/torch-equivalence.ts CONFIG.yaml DIR [WORKERS]
    python3 -m equissl_torch.equivalence DIR                       # WORKERS = 1
    python3 -m equissl_torch.launch --nproc_per_node 2 -m equissl_torch.equivalence DIR   # WORKERS = 2

reads what tools/torch-equivalence.ts wrote — equissl's model at step 0, the
first batch and step 0's views, equissl's state after one step on them — and

1. renders the batch and draws step 0's views itself (procedural images,
   `Rng` streams, crops, jitter, blur, θ), and compares them with equissl's;
2. loads the step-0 weights, takes one optimizer step on equissl's views
   (each process its shard, DistributedDataParallel with more than one) and
   compares every loss term, the gradients (AdamW's first moment after one
   step is 0.1·g), the second moments, the updated parameters, and the update
   itself relative to the step's learning rate.

Prints (and with `--json FILE` writes) one JSON object of maximum absolute and
relative differences; exits 1 when a difference is beyond the float tolerances
given with `--check` (tests/ and test/torch-checkpoint.test.ts use them).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.distributed as dist

from .checkpoint import load_parameters, model_tensors, read_checkpoint, read_safetensors, to_equissl
from .config import check_model, decode_pretrain_config, resolve_backbone
from .data import BatchOrder, open_dataset
from .losses import gather_rows
from .model import PretrainModel
from .optim import make_optimizer, set_lr, warmup_cosine
from .train import step_rng
from .transforms import family_of, make_views

#: Tolerances of `--check` (float32 on both sides, different kernels and summation orders).
TOLERANCES = {"views": 1e-5, "loss": 1e-4, "grad": 1e-2, "param": 2e-6, "update": 0.02}


def _nchw(a):
    return torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2).contiguous()


def _rel(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def compare(case, world=1, rank=0):
    """The differences between this package's step and equissl's recorded in `case` (a folder)."""
    tensors0, meta = read_checkpoint(os.path.join(case, "init", "checkpoint.safetensors"))
    views, _ = read_safetensors(os.path.join(case, "views.safetensors"))
    after, _ = read_checkpoint(os.path.join(case, "step1", "checkpoint.safetensors"))
    with open(os.path.join(case, "metrics.json")) as f:
        expected = json.load(f)
    config = decode_pretrain_config(meta["config"])
    config["backbone"] = resolve_backbone(config["backbone"], tuple(meta["imageShape"]))
    d_inv, d_equi = check_model(config, world)
    b = config["batchSize"]
    shard = b // world
    rows = slice(rank * shard, (rank + 1) * shard)
    report = {"world": world}

    # 1. the batch and the views, drawn here
    dataset = open_dataset(config["data"])
    order = BatchOrder.seeded(len(dataset), b, config["seed"])
    images, _ = dataset.read(order.next())
    report["images"] = float(np.abs(images - views["images"]).max())
    family = family_of(config["path"], images.shape[1])
    augment = family_of(config["augment"], images.shape[1]) if config["augment"] is not None else None
    k = 0 if config["reconstruction"] == "off" else config["reconstruction"]["k"]
    x = _nchw(images[rows])
    v1, u, v2, targets, thetas = make_views(x, config, family, augment, k, step_rng(config["seed"], 0, rank, world))
    drawn = {"v1": v1, "u": u, "v2": v2, **{f"targets.{i}": t for i, t in enumerate(targets)}}
    report["views"] = max(float((t - _nchw(views[n][rows])).abs().max()) for n, t in drawn.items())
    report["thetas"] = float(np.abs(np.array(thetas, np.float64) - views["thetas"][rows]).max())

    # 2. one step on equissl's views from equissl's weights
    model = PretrainModel(config, d_inv, d_equi)
    load_parameters("init", tensors0, model)
    optimizer = make_optimizer(model, config["optimizer"])
    oc = config["optimizer"]
    lr = warmup_cosine(0, config["steps"], oc["lr"], oc["minLr"], oc["warmupSteps"])
    set_lr(optimizer, lr)
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    ev = [_nchw(views[f"targets.{i}"][rows]) for i in range(k)]
    total, terms = net(_nchw(views["v1"][rows]), _nchw(views["v2"][rows]), ev, gather=gather_rows)
    values = {n: float(v) for n, v in terms.items()}
    if world > 1:
        rec = torch.tensor([values[n] for n in terms if n.startswith("rec")], dtype=torch.float64)
        dist.all_reduce(rec)
        for n, v in zip([n for n in terms if n.startswith("rec")], (rec / world).tolist()):
            values[n] = v
        if "rec" in values:
            values["total"] = values["ssl"] + model.rec_weight * values["rec"]
    optimizer.zero_grad()
    total.backward()
    optimizer.step()
    report["lr"] = {"torch": lr, "equissl": expected["lr"]}
    report["terms"] = {n: {"torch": v, "equissl": expected[n], "absDiff": abs(v - expected[n])}
                       for n, v in values.items() if n in expected}
    report["loss"] = abs(values["total"] - expected["total"]) / max(abs(expected["total"]), 1e-12)
    # a gradient that is zero in exact arithmetic (a bias followed by batch norm, or one the loss is invariant to)
    # is rounding noise on both sides, and AdamW's first step, lr·g/(|g| + ε), turns noise into a full step of
    # random sign: elements whose gradient is below 1e-5 of the largest are "rounding-zero", left out of the
    # parameter and update comparisons and counted apart
    named = [(n, t) for n, t in model_tensors(model).items() if isinstance(t, torch.nn.Parameter)]
    gmax = max(float(np.abs(after[f"adam.m/{n}"]).max()) for n, _ in named)
    floor = 1e-5 * gmax
    grads, seconds, params, updates = {}, {}, {}, {}
    zero_tensors, zero_elements, flipped, largest_flipped = [], 0, 0, 0.0
    for name, t in named:
        st = optimizer.state[t]
        g = after[f"adam.m/{name}"]
        sig = np.abs(g) >= floor
        if not sig.any():
            zero_tensors.append(name)
        grads[name] = _rel(to_equissl(name, st["exp_avg"]), g) if sig.any() else 0.0
        seconds[name] = _rel(to_equissl(name, st["exp_avg_sq"]), after[f"adam.v/{name}"]) if sig.any() else 0.0
        new, theirs, old = to_equissl(name, t), after[f"param/{name}"], tensors0[f"param/{name}"]
        diff = np.abs((new - old) - (theirs - old))
        params[name] = float(np.abs(new - theirs)[sig].max()) if sig.any() else 0.0
        updates[name] = float(diff[sig].max()) / lr if sig.any() else 0.0
        zero_elements += int((~sig).sum())
        off = (diff > 0.01 * lr) & ~sig
        flipped += int(off.sum())
        if off.any():
            largest_flipped = max(largest_flipped, float(np.abs(g[off]).max()) / gmax)
    worst = lambda d: max(d, key=d.get)
    report["roundingZero"] = {"tensors": zero_tensors, "elements": zero_elements,
                              "updatesBeyond1PctOfLr": flipped, "largestGradientThereOverMax": largest_flipped}
    report["grad"] = {"maxRelErr": grads[worst(grads)], "tensor": worst(grads)}
    report["adamV"] = {"maxRelErr": seconds[worst(seconds)], "tensor": worst(seconds)}
    report["param"] = {"maxAbsDiff": params[worst(params)], "tensor": worst(params)}
    report["update"] = {"maxAbsDiffOverLr": updates[worst(updates)], "tensor": worst(updates),
                        "elements": int(sum(t.numel() for _, t in named)) - zero_elements}
    return report


def failures(report):
    """The quantities of a report beyond TOLERANCES."""
    checks = {"images": report["images"], "views": report["views"], "loss": report["loss"],
              "grad": report["grad"]["maxRelErr"], "param": report["param"]["maxAbsDiff"],
              "update": report["update"]["maxAbsDiffOverLr"]}
    limits = {"images": TOLERANCES["views"], **TOLERANCES}
    return {k: v for k, v in checks.items() if not v <= limits[k]}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m equissl_torch.equivalence", description=__doc__.split("\n")[0])
    p.add_argument("case", help="the folder tools/torch-equivalence.ts wrote")
    p.add_argument("--json", help="also write the report here")
    p.add_argument("--check", action="store_true", help="exit 1 when a difference is beyond the tolerances")
    a = p.parse_args(argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    if world > 1:
        dist.init_process_group("gloo")
    report = compare(a.case, world, rank)
    bad = failures(report)
    if rank == 0:
        text = json.dumps(report, indent=1)
        print(text, flush=True)
        if a.json:
            with open(a.json, "w") as f:
                f.write(text + "\n")
        if bad:
            print(f"equissl_torch.equivalence: beyond tolerance: {json.dumps(bad)} (limits {json.dumps(TOLERANCES)})",
                  file=sys.stderr)
    if world > 1:
        dist.destroy_process_group()
    sys.exit(1 if (bad and a.check) else 0)


if __name__ == "__main__":
    main()
