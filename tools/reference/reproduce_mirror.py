#!/usr/bin/env python3
"""PyTorch mirror of equissl's pretraining and evaluation, for fast sweeps.

What it is
    A one-process run, in PyTorch, of what `equissl pretrain` followed by
    `equissl eval` does for one pretraining config. The pretraining is the
    equissl_torch package's (python/equissl_torch: the config reader, the
    model, the views and paths drawn from equissl's seeded generator, AdamW
    with linear warm-up + cosine decay); this file adds the sweep driver and
    the evaluation protocol (R² of the rotation angle from an MLP regressor on
    frozen features of x and g_θ(x), ridge on flattened tokens, k-NN, linear
    probe). The training data is the config's dataset; the evaluation reads
    its test split (`idx`: t10k; `image-folder`: equissl's seeded
    class-stratified test part, or its test/ sub-folder; `procedural`: the
    test images).

Why it exists
    It reads equissl's own pretraining configs (e.g.
    docs/results/reproduce/baseline.json, method.json), so that a sweep over
    training length, λ, projector, feature split … can be screened quickly on
    one CPU thread before the chosen settings are run with equissl itself.
    The data order, the views and θ are drawn as equissl draws them (with
    `workers: N`, each of N shards from its own stream, as equissl's
    replicas); the initial weights are torch's (the same laws), so numbers
    agree with equissl's up to seed noise. Headline numbers in the docs come
    from equissl itself.

Run with Debian's interpreter (python3-torch, OpenBLAS):
    /usr/bin/python3 tools/reference/reproduce_mirror.py \
        --config docs/results/reproduce/method.json --set steps=500 \
        --seeds 0,1,2 --eval-at 0,250,500 --out out/mirror/method.jsonl

`--set key.sub=value` overrides a config field (the value parsed as YAML, as
`equissl pretrain --set`). Step 0 is the untrained encoder (the control row).
Every (seed, eval step) appends one JSON line with the config, the overrides,
the mean loss terms of the last 50 steps, R²(rotation) per readout and part
(`cls|clsmean|tokens` - `full|inv|equi`), k-NN and linear accuracy (fractions).
`--validation N` trains on all but the last N training images and scores those
(equissl's validation cut, `--split validation`); `--fit-images N` fits the R²
regressors on the first N training images and scores every evaluation image,
as equissl's evaluation protocol does (docs/protocol.md).
"""
import os
import sys

_OMP_BLAS = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
if os.path.isdir(_OMP_BLAS) and _OMP_BLAS not in os.environ.get("LD_LIBRARY_PATH", ""):
    os.environ["LD_LIBRARY_PATH"] = _OMP_BLAS + ":" + os.environ.get("LD_LIBRARY_PATH", "")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.execv(sys.executable, [sys.executable] + sys.argv)
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python", "equissl_torch"))
from equissl_torch.config import apply_overrides, check_model, decode_pretrain_config, read_config_file, resolve_backbone  # noqa: E402
from equissl_torch.data import BatchOrder, open_dataset  # noqa: E402
from equissl_torch.model import PretrainModel  # noqa: E402
from equissl_torch.optim import make_optimizer, set_lr, warmup_cosine  # noqa: E402
from equissl_torch.train import step_rng  # noqa: E402
from equissl_torch.transforms import affine_warp, family_of, make_views  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)


# --------------------------------------------------------------------------- config and data
def auto_workers(batch_size, cores, most=4):
    """equissl's `workers: auto` (encoder/src/config.ts `autoWorkers`)."""
    for w in range(max(1, min(cores, most)), 1, -1):
        if batch_size % (2 * w) == 0:
            return w
    return 1


def prepare(raw, seed):
    """The decoded config of `raw` with `seed`, its dataset, and the split (dInv, dEqui)."""
    config = decode_pretrain_config({**raw, "seed": seed})
    config["data"] = train_split(config["data"])
    train = open_dataset(config["data"])
    config["backbone"] = resolve_backbone(config["backbone"], tuple(train.image_shape))
    if config["workers"] == "auto":
        config["workers"] = auto_workers(config["batchSize"], os.cpu_count() or 1)
    return config, train, check_model(config)


def load_all(dataset):
    """Every image of a dataset as NCHW float32, and its labels."""
    x, y = dataset.read(range(len(dataset)))
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y)


def train_split(data):
    """The pretraining data: an image folder's train part (its train/ sub-folder, or equissl's seeded 80 %), else as given."""
    return {**data, "split": "train"} if data["name"] == "image-folder" and data["split"] == "all" else data


def test_split(data):
    """The evaluation's data: the test split of the config's dataset (an image folder's test/ or held-out 20 %)."""
    return {**data, "split": "test"}


def rotate(x, deg):
    """Each image rotated about its centre by deg[b] degrees (counter-clockwise content)."""
    return affine_warp(x, [(float(d), 0, 0) for d in deg])


# --------------------------------------------------------------------------- evaluation
@torch.no_grad()
def encode(model, x, batch=512):
    model.eval()
    fulls, necks = [], []
    for s in range(0, x.shape[0], batch):
        z, n = model.features(x[s: s + batch])
        fulls.append(z)
        necks.append(n)
    model.train()
    return torch.cat(fulls), torch.cat(necks)


def readout(z, kind):
    if kind == "cls":
        return z[:, 0]
    if kind == "clsmean":
        return torch.cat([z[:, 0], z[:, 1:].mean(1)], 1)
    if kind == "tokens":
        return z[:, 1:].reshape(z.shape[0], -1)
    raise ValueError(kind)


def r2_score(t, o):
    return float(1 - ((t - o) ** 2).sum() / ((t - t.mean()) ** 2).sum())


def standardise(tr, te):
    m, s = tr.mean(0), tr.std(0, unbiased=False).clamp_min(1e-6)
    return (tr - m) / s, (te - m) / s, m, s


def fan_in_linear(fin, fout, gen):
    lin = nn.Linear(fin, fout)
    with torch.no_grad():
        b = 1 / math.sqrt(fin)
        lin.weight.copy_(torch.rand(fout, fin, generator=gen) * 2 * b - b)
        lin.bias.zero_()
    return lin


def train_minibatches(params, loss_fn, n, epochs, batch, lr, gen):
    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for s in range(0, n, batch):
            idx = order[s: s + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(idx).backward()
            opt.step()


def mlp_r2(xtr, ytr, xte, yte, seed, hidden=(1024, 1024), epochs=30, batch=256, lr=1e-3):
    gen = torch.Generator().manual_seed(seed)
    xtr, xte, _, _ = standardise(xtr, xte)
    ym, ys = ytr.mean(0), ytr.std(0, unbiased=False).clamp_min(1e-6)
    ytr_s = (ytr - ym) / ys
    widths = [xtr.shape[1], *hidden, ytr.shape[1]]
    layers = []
    for i in range(len(widths) - 1):
        layers.append(fan_in_linear(widths[i], widths[i + 1], gen))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    net = nn.Sequential(*layers)
    train_minibatches(net.parameters(), lambda idx: F.mse_loss(net(xtr[idx]), ytr_s[idx]), xtr.shape[0], epochs, batch, lr, gen)
    with torch.no_grad():
        out = net(xte) * ys + ym
    return r2_score(yte, out)


def ridge_r2(xtr, ytr, xte, yte, alphas=(1, 10, 100, 1000)):
    """Closed-form ridge (dual form when d > n), α chosen on the last fifth of the train split."""
    xtr, xte, _, _ = standardise(xtr.double(), xte.double())
    ytr, yte = ytr.double(), yte.double()

    def fit(x, y, a):
        ym = y.mean(0)
        yc = y - ym
        n, d = x.shape
        if d > n:
            k = x @ x.T
            w = x.T @ torch.linalg.solve(k + a * torch.eye(n, dtype=x.dtype), yc)
        else:
            w = torch.linalg.solve(x.T @ x + a * torch.eye(d, dtype=x.dtype), x.T @ yc)
        return lambda z: z @ w + ym

    nf = int(0.8 * xtr.shape[0])
    best = max(alphas, key=lambda a: r2_score(ytr[nf:], fit(xtr[:nf], ytr[:nf], a)(xtr[nf:])))
    return r2_score(yte, fit(xtr, ytr, best)(xte)), best


def knn_acc(ftr, ytr, fte, yte, k=20, t=0.07, classes=10):
    ftr = F.normalize(ftr, dim=1)
    fte = F.normalize(fte, dim=1)
    correct = 0
    for s in range(0, fte.shape[0], 256):
        sim = fte[s: s + 256] @ ftr.T
        v, i = sim.topk(k, dim=1)
        votes = torch.zeros(v.shape[0], classes, dtype=torch.float64)
        votes.scatter_add_(1, ytr[i], torch.exp(v.double() / t))
        correct += int((votes.argmax(1) == yte[s: s + 256]).sum())
    return correct / fte.shape[0]


def linear_acc(ftr, ytr, fte, yte, seed, classes=10, epochs=100, batch=256, lr=1e-3):
    gen = torch.Generator().manual_seed(seed + 1)
    ftr, fte, _, _ = standardise(ftr, fte)
    lin = nn.Linear(ftr.shape[1], classes)
    nn.init.zeros_(lin.weight)
    nn.init.zeros_(lin.bias)
    train_minibatches(lin.parameters(), lambda idx: F.cross_entropy(lin(ftr[idx]), ytr[idx]), ftr.shape[0], epochs, batch, lr, gen)
    with torch.no_grad():
        return float((lin(fte).argmax(1) == yte).float().mean())


def rotated_parts(model, x, gen):
    """Features of x and of x rotated by θ ~ U(−45°, 45°), per part of the split, and θ."""
    theta = torch.tensor(gen.uniform(-45, 45, size=x.shape[0]), dtype=torch.float32)
    zf, zn = encode(model, x)
    gf, gn = encode(model, rotate(x, theta))
    parts = {"full": (zf, gf)}
    if model.d_inv > 0:
        parts["inv"] = (zn[..., : model.d_inv], gn[..., : model.d_inv])
    if model.d_equi > 0:
        parts["equi"] = (zn[..., model.d_inv:], gn[..., model.d_inv:])
    return parts, theta[:, None]


def evaluate(model, ev, seed, readouts, probe=True):
    """R²(rotation) per readout and part; k-NN and linear on clsmean-full. The regressors are fitted on 80 % of the
    scored images and score the rest, or (with `x_fit`, as equissl's `fitImages`) fitted on those training-split
    images and score every scored image."""
    gen = np.random.default_rng([seed, 7])
    parts, y = rotated_parts(model, ev["x_eq"], gen)
    fit = rotated_parts(model, ev["x_fit"], gen) if ev.get("x_fit") is not None else None
    ntr = int(0.8 * y.shape[0])
    out = {}
    for r in readouts:
        for pname, (a, b) in parts.items():
            pairs = torch.cat([readout(a, r), readout(b, r)], 1)
            if fit is not None:
                fa, fb = fit[0][pname]
                xf, yf, xs, ys = torch.cat([readout(fa, r), readout(fb, r)], 1), fit[1], pairs, y
            else:
                xf, yf, xs, ys = pairs[:ntr], y[:ntr], pairs[ntr:], y[ntr:]
            val = ridge_r2(xf, yf, xs, ys)[0] if r == "tokens" else mlp_r2(xf, yf, xs, ys, seed)
            out[f"{r}-{pname}"] = round(val, 4)
    res = {"r2": out}
    if probe and int(ev["y_ptr"].min()) >= 0:
        classes = int(max(ev["y_ptr"].max(), ev["y_pte"].max())) + 1
        ftr = readout(encode(model, ev["x_ptr"])[0], "clsmean")
        fte = readout(encode(model, ev["x_pte"])[0], "clsmean")
        res["knn"] = round(knn_acc(ftr, ev["y_ptr"], fte, ev["y_pte"], classes=classes), 4)
        res["linear"] = round(linear_acc(ftr, ev["y_ptr"], fte, ev["y_pte"], seed, classes=classes), 4)
    return res


# --------------------------------------------------------------------------- driver
def views_of(x, config, family, augment, k, seed, step):
    """Step `step`'s views as equissl's `workers` replicas draw them: each shard from its own stream."""
    w = config["workers"]
    parts = [make_views(s, config, family, augment, k, step_rng(seed, step, r, w)) for r, s in enumerate(x.chunk(w))]
    cat = lambda i: torch.cat([p[i] for p in parts])
    return cat(0), cat(2), [torch.cat([p[3][j] for p in parts]) for j in range(k)]


def run_seed(raw, seed, eval_at, ev, readouts, emit, log_every=100):
    config, _, (d_inv, d_equi) = prepare(raw, seed)
    xtr = ev["x_train"]
    model = PretrainModel(config, d_inv, d_equi, seed=seed)
    opt = make_optimizer(model, config["optimizer"])
    oc = config["optimizer"]
    steps, bs = config["steps"], config["batchSize"]
    if bs % config["workers"]:
        raise SystemExit(f"batchSize {bs} cannot be split over workers {config['workers']}")
    family = family_of(config["path"], xtr.shape[2])
    augment = family_of(config["augment"], xtr.shape[2]) if config["augment"] is not None else None
    order = BatchOrder.seeded(xtr.shape[0], bs, seed)
    history = []
    t0 = time.time()
    tt = 0.0
    for step in range(steps + 1):
        if step in eval_at:
            te = time.time()
            last = history[-50:]
            terms = {k: round(sum(h[k] for h in last) / len(last), 5) for k in last[0]} if last else {}
            res = evaluate(model, ev, seed, readouts, probe=True)
            emit({"seed": seed, "step": step, "terms": terms, **res, "train_s": round(tt, 1), "eval_s": round(time.time() - te, 1)})
        if step == steps or (eval_at and step >= eval_at[-1]):  # nothing is scored past the last evaluation
            break
        ts = time.time()
        x = xtr[torch.tensor(order.next())]
        v1, v2, targets = views_of(x, config, family, augment, model.k, seed, step)
        set_lr(opt, warmup_cosine(step, steps, oc["lr"], oc["minLr"], oc["warmupSteps"]))
        total, terms = model(v1, v2, targets)
        if not torch.isfinite(total):
            emit({"seed": seed, "step": step, "error": f"non-finite loss {float(total)}", "terms": {k: float(v) for k, v in terms.items()}})
            return
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        history.append({k: float(v) for k, v in terms.items()})
        tt += time.time() - ts
        if log_every and (step + 1) % log_every == 0:
            h = history[-1]
            print(f"  seed {seed} step {step + 1}/{steps} total {h['total']:.4f} ssl {h['ssl']:.4f}"
                  + (f" rec {h['rec']:.4f}" if "rec" in h else "") + f"  {(step + 1) / (time.time() - t0):.2f} steps/s (wall)",
                  file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--eval-at", default=None, help="comma-separated steps (default: 0 and the last)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--eval-images", type=int, default=4096)
    ap.add_argument("--readouts", default="cls,clsmean,tokens")
    ap.add_argument("--probe-train", type=int, default=10000)
    ap.add_argument("--probe-test", type=int, default=2000)
    ap.add_argument("--tag", default="")
    ap.add_argument("--validation", type=int, default=0, metavar="N",
                    help="score on the last N training images (equissl's validation cut) and train on the rest")
    ap.add_argument("--fit-images", type=int, default=0, metavar="N",
                    help="fit the R² regressors on the first N training images and score every --eval-images image "
                         "(equissl's fitImages; default: 80/20 of the scored images)")
    a = ap.parse_args()
    raw = apply_overrides(read_config_file(a.config), a.set)
    overrides = {s.split("=", 1)[0]: raw_value(raw, s.split("=", 1)[0]) for s in a.set}
    config, train, _ = prepare(raw, 0)
    eval_at = sorted({int(s) for s in a.eval_at.split(",")}) if a.eval_at else [0, config["steps"]]
    eval_at = [s for s in eval_at if s <= config["steps"]]
    xtr, ytr = load_all(train)
    if a.validation and (config["data"]["name"] != "idx" or a.validation >= xtr.shape[0]):
        raise SystemExit(f"--validation {a.validation}: only idx data has equissl's validation cut (the last N of "
                         f"{xtr.shape[0]} training images; N below that); image folders carry their own -val folder")
    if a.validation:
        # equissl's validation cut: the last N images of the training split are scored; the test split is not read
        (xtr, ytr), (xte, yte) = (xtr[: -a.validation], ytr[: -a.validation]), (xtr[-a.validation:], ytr[-a.validation:])
    else:
        xte, yte = load_all(open_dataset(test_split(config["data"])))
    ev = {"x_train": xtr, "x_eq": xte[: a.eval_images], "x_ptr": xtr[: a.probe_train], "y_ptr": ytr[: a.probe_train],
          "x_pte": xte[: a.probe_test], "y_pte": yte[: a.probe_test],
          "x_fit": xtr[: a.fit_images] if a.fit_images else None}
    readouts = [r for r in a.readouts.split(",") if r]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)

    def emit(rec):
        line = {"config": os.path.relpath(a.config), "overrides": overrides, "tag": a.tag,
                **({"validation": a.validation} if a.validation else {}), **({"fitImages": a.fit_images} if a.fit_images else {}), **rec}
        with open(a.out, "a") as f:
            f.write(json.dumps(line) + "\n")
        print(json.dumps({k: v for k, v in line.items() if k not in ("config",)}), flush=True)

    for seed in [int(s) for s in a.seeds.split(",")]:
        run_seed(raw, seed, eval_at, ev, readouts, emit)


def raw_value(raw, key):
    """The value at a dotted path of the config as given (the overrides recorded with every line)."""
    node = raw
    for k in key.split("."):
        node = node.get(k) if isinstance(node, dict) else None
    return node


if __name__ == "__main__":
    main()
