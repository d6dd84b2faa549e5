"""Pretraining of an equissl config on PyTorch, one process or many: the `torchrun` entry point.

    torchrun --nproc_per_node 2 -m equissl_torch.train --config method.yaml --out out/torch
    python3 -m equissl_torch.train --out out/torch --steps 20                 # one process
    torchrun --nproc_per_node 2 -m equissl_torch.train --out out/torch --resume --steps 400
    torchrun ... --init out/pretrain/checkpoint.safetensors                 # start from equissl's weights

Each process trains a DistributedDataParallel replica (gloo on CPUs, NCCL
when CUDA is there); the global batch `batchSize` is split evenly over the
processes, each reading its shard through `EquisslSampler` (a
DistributedSampler over equissl's batch order) and drawing its views from
`Rng.seeded(seed).fork('augment').fork(step).fork(rank)` — exactly what
equissl's data-parallel replicas do with `workers: N`, so `--nproc_per_node N`
trains the same run as `equissl pretrain` with `workers: N` (one process: the
unforked step generator, as `workers: 1`). Batch-level losses see the whole
batch (each process's pooled embeddings are gathered), DDP averages the
gradients, rank 0 writes `checkpoint.safetensors` (equissl's format, every
`checkpointEvery` steps and at the end), `metrics.jsonl` (one line per step,
equissl's keys) and `config.json` (the decoded config).

`--resume` continues the run in `--out` from its checkpoint (written here or
by `equissl pretrain`): parameters, AdamW moments, the step and the data
stream's position; `--config`/`--set`/`--steps` given with it may change only
`steps`, `optimizer.*`, `checkpointEvery` and `workers`, as in equissl.
`--init FILE` starts a new run from the parameters of an equissl checkpoint
(every parameter of the configured model must be in it).
"""
import argparse
import json
import os
import sys
import time

# OpenMP threads that spin while they wait take the cores other processes (or the other ranks) need: on a 2-core
# machine with anything else running, 2 spinning threads trained 8× slower than 2 sleeping ones (docs/performance.md)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

from . import __version__  # noqa: E402
from .checkpoint import CheckpointError, load_moments, load_parameters, read_checkpoint, save_checkpoint
from .config import (ConfigError, apply_overrides, check_model, decode_pretrain_config, merge_defaults,
                     read_config_file, resolve_backbone)
from .data import BatchOrder, DataError, EquisslSampler, ImageDataset, open_dataset
from .losses import gather_rows
from .model import PretrainModel
from .optim import make_optimizer, set_lr, warmup_cosine
from .rng import Rng
from .transforms import family_of, make_views

#: Fields a resumed run may change (a field, or every field under a prefix ending in '.'), as pipeline/resume.ts.
RESUMABLE = ("steps", "optimizer.", "checkpointEvery", "workers")


def fail(message, code=2):
    print(f"equissl_torch: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def step_rng(seed, step, rank, world):
    """step.ts `stepRng`, forked by rank on more than one process (replica.ts)."""
    rng = Rng.seeded(seed).fork("augment").fork(step)
    return rng.fork(rank) if world > 1 else rng


def _differences(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _differences(a.get(k), b.get(k), k if path == "" else f"{path}.{k}")
        return out
    return [] if json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) else [(path, a, b)]


def resume_config(saved, overrides):
    """resume.ts `resumeConfig`: the checkpoint's config changed by `overrides` where allowed, and the changes."""
    if not overrides:
        return saved, {}
    given = merge_defaults(saved, overrides)
    diff = _differences(decode_pretrain_config(saved), decode_pretrain_config(given))
    for path, was, now in diff:
        if not any(path.startswith(f) if f.endswith(".") else path == f for f in RESUMABLE):
            raise ConfigError(path, f"cannot change on --resume ({json.dumps(was)} → {json.dumps(now)}): it would change "
                                    "the model or the data. Only steps, optimizer.*, checkpointEvery, workers may change; "
                                    "start a new run with --overwrite (or another --out) instead")
    return given, {p: [a, b] for p, a, b in diff}


def claim_folder(out, overwrite):
    """A fresh run refuses a folder holding a run unless --overwrite, which removes that run's files."""
    names = ["checkpoint.safetensors", "metrics.jsonl", "config.json"]
    present = [n for n in names if os.path.exists(os.path.join(out, n))]
    if not any(n != "config.json" for n in present):
        return
    if not overwrite:
        fail(f"{out}: holds a run ({', '.join(present)}); continue it with --resume, or replace it with --overwrite")
    for n in present:
        os.remove(os.path.join(out, n))


def setup_distributed(device_arg):
    """(rank, world, device, backend name) from torchrun's environment; one process without it."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    cuda = torch.cuda.is_available() and device_arg != "cpu"
    if device_arg == "cuda" and not torch.cuda.is_available():
        fail("--device cuda: this torch sees no CUDA device; use --device cpu")
    if cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    backend = "nccl" if cuda else "gloo"
    if world > 1:
        dist.init_process_group(backend)
    return rank, world, device, backend


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python3 -m equissl_torch.train", description=__doc__.split("\n")[0])
    p.add_argument("--config", help="YAML or JSON pretraining config (equissl's fields; defaults fill the rest)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one field (repeatable)")
    p.add_argument("--steps", type=int, help="number of steps (same as --set steps=N)")
    p.add_argument("--out", default="out/torch", help="output folder (default out/torch)")
    p.add_argument("--resume", action="store_true", help="continue from <out>/checkpoint.safetensors")
    p.add_argument("--init", metavar="CHECKPOINT", help="start a new run from the parameters of an equissl checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace a run already in <out>")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--threads", type=int, default=0, help="torch threads per process (default: cores / processes)")
    p.add_argument("--loader-workers", type=int, default=0, help="DataLoader worker processes per process (default 0)")
    p.add_argument("--log-every", type=int, default=10, help="print a progress line every N steps (0: never)")
    return p.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    rank, world, device, backend = setup_distributed(a.device)
    threads = a.threads or max(1, (os.cpu_count() or 1) // world)
    torch.set_num_threads(threads)
    lead = rank == 0
    log = (lambda s: print(s, file=sys.stderr, flush=True)) if lead else (lambda s: None)
    checkpoint_file = os.path.join(a.out, "checkpoint.safetensors")
    metrics_file = os.path.join(a.out, "metrics.jsonl")
    try:
        overrides = read_config_file(a.config) if a.config else {}
        overrides = apply_overrides(overrides, a.set + ([f"steps={a.steps}"] if a.steps is not None else []))
        resumed = None
        changed = {}
        if a.resume:
            if a.init:
                raise ConfigError("", "--resume continues the run in --out; --init starts a new one: give one of them")
            try:
                tensors, meta = read_checkpoint(checkpoint_file)
            except CheckpointError as e:
                raise CheckpointError(f"{e}; run without --resume to start a new run") from None
            resumed = (tensors, meta)
            given, changed = resume_config(meta["config"], overrides)
        else:
            given = overrides
        given = {**given, "workers": world}
        config = decode_pretrain_config(given)
        dataset = open_dataset(config["data"])
        image_shape = tuple(int(s) for s in dataset.image_shape)
        config["backbone"] = resolve_backbone(config["backbone"], image_shape)
        d_inv, d_equi = check_model(config, world)
        if resumed is None and lead:
            claim_folder(a.out, a.overwrite)
        model = PretrainModel(config, d_inv, d_equi, seed=int(config["seed"]) & 0xFFFFFFFF)
        if a.init:
            init_tensors, _ = read_checkpoint(a.init)
            load_parameters(a.init, init_tensors, model)
        model.to(device)
        optimizer = make_optimizer(model, config["optimizer"])
        moments = {}
        start = 0
        order = BatchOrder.seeded(len(dataset), config["batchSize"], config["seed"])
        if resumed is not None:
            tensors, meta = resumed
            load_parameters(checkpoint_file, tensors, model)
            start = meta["step"]
            moments = load_moments(checkpoint_file, tensors, model, optimizer, start)
            order = BatchOrder.from_state(len(dataset), config["batchSize"], meta["stream"])
    except (ConfigError, CheckpointError, DataError) as e:
        fail(str(e))

    steps = config["steps"]
    ddp = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    family = family_of(config["path"], image_shape[0])
    augment = family_of(config["augment"], image_shape[0]) if config["augment"] is not None else None
    shard = config["batchSize"] // world
    sampler = EquisslSampler(ImageDataset(dataset), order, max(0, steps - start), world, rank)
    loader = DataLoader(ImageDataset(dataset), batch_size=shard, sampler=sampler, drop_last=True,
                        num_workers=a.loader_workers)
    backend_name = f"torch {torch.__version__} ({backend}, {world} process{'es' if world > 1 else ''}, {device.type})"
    if lead:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
        if resumed is None:
            open(metrics_file, "w").close()
        else:
            keep = [l for l in open(metrics_file)] if os.path.exists(metrics_file) else []
            keep = [l for l in keep if l.strip() and json.loads(l)["step"] < start]
            if changed:
                keep.append(json.dumps({"step": start, "event": "resume", "changed": changed}) + "\n")
            with open(metrics_file, "w") as f:
                f.writelines(keep)
        n_params = sum(p.numel() for p in model.parameters())
        bb = config["backbone"]
        log(f"equissl_torch {__version__}: {bb['name']} D={bb['dim']} depth={bb['depth']} heads={bb['heads']}, "
            f"{n_params:,} parameters; loss {config['loss']['name']} on {d_inv} invariant channels; "
            + (f"K={model.k} decoders on {d_equi} equivariant channels, λ={model.rec_weight}, path {family.name}"
               if model.k else "reconstruction off")
            + f"; data {dataset.name} ({len(dataset)} images {'×'.join(map(str, image_shape))}); batch "
              f"{config['batchSize']} on {world} process{'es' if world > 1 else ''} ({backend}, {device.type}, "
              f"{threads} thread{'s' if threads > 1 else ''} each); "
            + (f"resuming at step {start} of {steps}" if start else f"{steps} steps"))

    def checkpoint(done):
        if lead:
            save_checkpoint(checkpoint_file, model, optimizer, moments, step=done, stream=order.state(),
                            given_config=given, config=config, image_shape=image_shape, backend=backend_name)

    began = time.time()
    t0 = began  # each step's time runs from the end of the previous one: reading the batch included
    done = start
    last = None
    for step, (images, _) in zip(range(start, steps), loader):
        order.next()
        x = images.to(device).permute(0, 3, 1, 2).contiguous()
        v1, _, v2, targets, _ = make_views(x, config, family, augment, model.k, step_rng(config["seed"], step, rank, world))
        oc = config["optimizer"]
        lr = warmup_cosine(step, steps, oc["lr"], oc["minLr"], oc["warmupSteps"])
        set_lr(optimizer, lr)
        total, terms = ddp(v1, v2, targets, gather=gather_rows)
        values = torch.stack([t.detach() for t in terms.values()]).double()
        rec_keys = [i for i, k in enumerate(terms) if k.startswith("rec")]
        if world > 1:
            summed = values.clone()
            dist.all_reduce(summed)
            values[rec_keys] = summed[rec_keys] / world
        names = list(terms)
        metrics = {k: float(v) for k, v in zip(names, values)}
        if "rec" in metrics:
            metrics["total"] = metrics["ssl"] + model.rec_weight * metrics["rec"]
        bad = next((k for k in sorted(metrics, key=lambda k: (k == "total", "." not in k)) if not np.isfinite(metrics[k])), None)
        if bad is not None:
            if lead:
                log(f"equissl_torch: [NonFiniteLoss] loss term \"{bad}\" is {metrics[bad]} at step {step}; the last "
                    "checkpoint is kept; lower optimizer.lr (or the weight of the term that grew) and resume or restart")
            sys.exit(1)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        norm = float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads))) if grads else 0.0
        if not np.isfinite(norm):
            if lead:
                log(f"equissl_torch: [NonFiniteLoss] the gradient norm is {norm} at step {step}; the last checkpoint is kept")
            sys.exit(1)
        optimizer.step()
        metrics["gradNorm"] = norm
        seconds = time.time() - t0
        done = step + 1
        last = metrics
        if lead:
            line = {"step": step, "loss": metrics["total"], "lr": lr, "viewsPerSecond": 2 * config["batchSize"] / seconds,
                    **metrics}
            with open(metrics_file, "a") as f:
                f.write(json.dumps(line) + "\n")
            if a.log_every and (done % a.log_every == 0 or done == steps):
                log(f"  step {done}/{steps} loss {metrics['total']:.4f} ssl {metrics['ssl']:.4f}"
                    + (f" rec {metrics['rec']:.4f}" if "rec" in metrics else "")
                    + f"  {2 * config['batchSize'] * (done - start) / (time.time() - began):.1f} views/s")
        if config["checkpointEvery"] > 0 and done % config["checkpointEvery"] == 0 and done < steps:
            checkpoint(done)
        t0 = time.time()
    try:
        checkpoint(done)
    except CheckpointError as e:
        fail(str(e), 1)
    if lead:
        log(f"done: {done - start} steps" + (f", final loss {last['total']:.4f}" if last else "")
            + f"; wrote {checkpoint_file}")
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
