#!/usr/bin/env python3
"""PyTorch mirror of equissl's pretraining and evaluation, for fast sweeps.

What it is
    A single-file re-implementation, in PyTorch, of what `equissl pretrain`
    followed by `equissl eval` does for one pretraining config: the same views
    (random resized crop, flip, colour jitter, grayscale, blur), the rotation
    path with K intermediate targets, the pre-norm ViT presets, the optional
    linear neck, the channel split into invariant | equivariant parts, VICReg
    (SIE coefficients) with an optional projector (with or without BatchNorm),
    the K conv4 reconstruction decoders, AdamW with linear warm-up + cosine
    decay, and the evaluation protocol (R² of the rotation angle from an MLP
    regressor on frozen features of x and g_θ(x), k-NN, linear probe).
    Fashion-MNIST reads its train and t10k files; an image folder is cut
    into disjoint, seeded, class-stratified train (80 %) and test (20 %)
    parts (`stratified_split`), the evaluation and probe tests read test.

Why it exists
    It reads equissl's own pretraining config JSON (e.g.
    docs/results/reproduce/baseline.json, method.json) and honours the fields
    that matter for the method, so that a sweep over training length, λ,
    projector, feature split … can be screened quickly on one CPU thread
    before the chosen settings are run with equissl itself. It is a mirror,
    not the reference: random streams, data order and initial weights differ
    from equissl's (the semantics are the same), so numbers agree only up to
    seed noise. Headline numbers in the docs come from equissl itself.

Run with Debian's interpreter (python3-torch, OpenBLAS):
    /usr/bin/python3 tools/reference/reproduce_mirror.py \
        --config docs/results/reproduce/method.json --set steps=500 \
        --seeds 0,1,2 --eval-at 0,250,500 --out out/mirror/method.jsonl

`--set key.sub=value` overrides a config field (value parsed as JSON, else a
string). Step 0 is the untrained encoder (the control row). Every (seed, eval
step) appends one JSON line with the config, the overrides, the mean loss
terms of the last 50 steps, R²(rotation) per readout and part
(`cls|clsmean|tokens` - `full|inv|equi`), k-NN and linear accuracy (fractions).

Conventions worth knowing (same as equissl):
  * pixels in [0, 1], images NCHW here (NHWC in equissl);
  * rotation: positive angle = counter-clockwise content, bilinear, zero fill,
    about the pixel centre ((W-1)/2, (H-1)/2);
  * crop boxes as torchvision's RandomResizedCrop, resampled bilinearly with
    corner-aligned sampling (tf.image.cropAndResize);
  * ViT/neck/projector weights trunc-normal(0.02), biases zero; decoders use
    PyTorch's default U(±1/sqrt(fan-in)); weight decay on matrices only.
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
import copy
import gzip
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

FASHION = "/usr/share/datasets/fashion-mnist"

# --------------------------------------------------------------------------- config
BACKBONES = {
    "vit-micro": dict(dim=96, depth=4, heads=3, patchSize=4, mlpRatio=4),
    "vit-tiny": dict(dim=192, depth=12, heads=3, patchSize=4, mlpRatio=4),
    "vit-small": dict(dim=384, depth=12, heads=6, patchSize=4, mlpRatio=4),
}

DEFAULTS = {
    "seed": 0,
    "steps": 120,
    "batchSize": 32,
    "data": {"name": "idx", "split": "train", "channels": 1, "pad": 2},
    "views": {"size": None, "cropScale": [0.3, 1], "cropRatio": [3 / 4, 4 / 3], "flip": 0.5,
              "jitter": {"p": 0.8, "brightness": 0.4, "contrast": 0.4, "saturation": 0.2, "hue": 0.1},
              "grayscale": 0.2, "blur": {"p": 0.2, "sigma": [0.1, 1]}, "solarize": 0},
    "path": {"name": "rotation", "maxDegrees": 45},
    "backbone": {"name": "vit-micro"},
    "neck": "none",
    "equiFraction": 0.5,
    "loss": {"name": "vicreg", "variant": "sie", "projector": [], "projectorNorm": "none"},
    "reconstruction": {"weight": 1, "k": 2, "target": "pixels", "decoder": {"name": "conv4", "channels": 64, "input": "tokens"}},
    "optimizer": {"lr": 5e-4, "minLr": 1e-5, "weightDecay": 0.05, "warmupSteps": 10,
                  "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "decoderLrScale": 1},
}


def merge(base, over):
    if not isinstance(base, dict) or not isinstance(over, dict):
        return copy.deepcopy(over)
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = merge(base[k], v) if k in base and isinstance(base[k], dict) and isinstance(v, dict) else copy.deepcopy(v)
    return out


def set_path(cfg, key, value):
    parts = key.split(".")
    d = cfg
    for p in parts[:-1]:
        if not isinstance(d.get(p), dict):
            d[p] = {} if d.get(p) in (None, "off", "none") or isinstance(d.get(p), str) else d[p]
        d = d[p]
    d[parts[-1]] = value


def parse_value(s):
    try:
        return json.loads(s)
    except json.JSONDecodeError:
        return s


def resolve(raw):
    """The config with equissl's defaults filled in."""
    c = merge(DEFAULTS, {k: v for k, v in raw.items() if k not in ("reconstruction",)})
    rec = raw.get("reconstruction", DEFAULTS["reconstruction"])
    c["reconstruction"] = "off" if rec == "off" else merge(DEFAULTS["reconstruction"], rec)
    if isinstance(c["backbone"], str):
        c["backbone"] = {"name": c["backbone"]}
    bb = dict(BACKBONES.get(c["backbone"]["name"], {}))
    bb.update({k: v for k, v in c["backbone"].items() if k != "name"})
    c["backbone_resolved"] = bb
    if isinstance(c["path"], str):
        c["path"] = {"name": c["path"]}
    c["path"].setdefault("maxDegrees", 45)
    if isinstance(c["neck"], dict):
        c["neck"] = c["neck"].get("name", "none")
    return c


# --------------------------------------------------------------------------- data
def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_idx(split, channels=1, pad=0, root=FASHION):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(f"{root}/{prefix}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    y = read_idx(f"{root}/{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    x = torch.from_numpy(x)[:, None]
    if pad:
        x = F.pad(x, (pad, pad, pad, pad))
    if channels == 3:
        x = x.repeat(1, 3, 1, 1)
    return x.contiguous(), torch.from_numpy(y)


def load_image_folder(d, size):
    from PIL import Image
    subs = sorted(e for e in os.listdir(d) if os.path.isdir(os.path.join(d, e)))
    exts = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
    items = []
    if subs:
        for ci, s in enumerate(subs):
            for f in sorted(os.listdir(os.path.join(d, s))):
                if f.lower().endswith(exts):
                    items.append((os.path.join(d, s, f), ci))
    else:
        items = [(os.path.join(d, f), -1) for f in sorted(os.listdir(d)) if f.lower().endswith(exts)]
    xs, ys = [], []
    for p, ci in items:
        im = Image.open(p).convert("RGB")
        w, h = im.size
        s = size / min(w, h)
        im = im.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BILINEAR)
        w, h = im.size
        l, t = (w - size) // 2, (h - size) // 2
        im = im.crop((l, t, l + size, t + size))
        xs.append(torch.from_numpy(np.asarray(im, dtype=np.float32) / 255.0).permute(2, 0, 1))
        ys.append(ci)
    return torch.stack(xs), torch.tensor(ys)


def stratified_split(x, y, test_fraction=0.2, seed=0):
    """Disjoint, seeded, class-stratified train | test parts of an image folder, each shuffled.

    Like equissl's image-folder split (80 / 20, every class cut in the same
    proportion) but with the mirror's own random stream, so the two pick
    different crops. An unlabelled folder (labels -1) is one class.
    """
    gen = np.random.default_rng([seed, 20])
    tr, te = [], []
    for c in sorted(set(y.tolist())):
        idx = gen.permutation(np.flatnonzero(y.numpy() == c))
        n_te = int(round(test_fraction * len(idx)))
        te.extend(idx[:n_te].tolist())
        tr.extend(idx[n_te:].tolist())
    tr, te = torch.tensor(gen.permutation(tr)), torch.tensor(gen.permutation(te))
    return (x[tr], y[tr]), (x[te], y[te])


def load_data(data, split):
    if data["name"] == "idx":
        return load_idx(split, data.get("channels", 1), data.get("pad", 0))
    if data["name"] == "image-folder":
        return load_image_folder(data["dir"], data["size"])
    raise SystemExit(f"data {data['name']}: the mirror reads idx (Fashion-MNIST) and image-folder only")


# --------------------------------------------------------------------------- transforms
PADDING = {"constant": "zeros", "reflect": "reflection", "nearest": "border"}


def warp(x, mats, fill="constant"):
    """Samples x at A·p_out + b in normalised, corner-aligned coordinates; mats (B, 2, 3); fill as equissl's FillMode."""
    grid = F.affine_grid(mats, list(x.shape), align_corners=True)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode=PADDING[fill], align_corners=True)


def rotate(x, deg, fill="constant"):
    """Rotates each image about its centre by deg[b] degrees (counter-clockwise content)."""
    a = deg * math.pi / 180
    c, s = torch.cos(a), torch.sin(a)
    z = torch.zeros_like(a)
    mats = torch.stack([torch.stack([c, -s, z], 1), torch.stack([s, c, z], 1)], 1)
    return warp(x, mats, fill)


def sample_crop(rng, h, w, scale, ratio):
    area = h * w
    lr = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * rng.uniform(scale[0], scale[1])
        aspect = math.exp(rng.uniform(lr[0], lr[1]))
        cw = round(math.sqrt(target * aspect))
        ch = round(math.sqrt(target / aspect))
        if 0 < cw <= w and 0 < ch <= h:
            top, left = rng.integers(h - ch + 1), rng.integers(w - cw + 1)
            break
    else:
        r = w / h
        cw, ch = (w, round(w / ratio[0])) if r < ratio[0] else (round(h * ratio[1]), h) if r > ratio[1] else (w, h)
        top, left = (h - ch) // 2, (w - cw) // 2
    return (top / max(h - 1, 1), left / max(w - 1, 1), (top + ch - 1) / max(h - 1, 1), (left + cw - 1) / max(w - 1, 1))


def gray(x):
    return x if x.shape[1] == 1 else (0.2989 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])


def blend(x, y, f):
    return (f * x + (1 - f) * y).clamp(0, 1)


def rgb_to_hsv(x):
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    maxc, _ = x.max(1)
    minc, _ = x.min(1)
    eq = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eq, ones, maxc)
    crd = torch.where(eq, ones, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = ((hr + hg + hb) / 6.0 + 1.0) % 1.0
    return h, s, maxc


def hsv_to_rgb(h, s, v):
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.long() % 6
    p = (v * (1 - s)).clamp(0, 1)
    q = (v * (1 - s * f)).clamp(0, 1)
    t = (v * (1 - s * (1 - f))).clamp(0, 1)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = torch.zeros(h.shape[0], 3, *h.shape[1:])
    for k, row in enumerate(table):
        m = (i == k).float()
        for c in range(3):
            out[:, c] += m * row[c]
    return out


def gaussian_matrices(sigmas, n):
    """(B, n, n) blur matrices, radius ceil(3σ) capped at n-1, reflect borders; σ ≤ 0 → identity."""
    out = np.zeros((len(sigmas), n, n), np.float32)
    for bi, s in enumerate(sigmas):
        if not s > 0:
            out[bi] = np.eye(n)
            continue
        r = min(math.ceil(3 * s), n - 1)
        w = np.exp(-((np.arange(-r, r + 1)) ** 2) / (2 * s * s))
        w /= w.sum()
        for i in range(n):
            for k in range(-r, r + 1):
                j = i + k
                j = -j if j < 0 else (2 * (n - 1) - j if j > n - 1 else j)
                out[bi, i, j] += w[k + r]
    return torch.from_numpy(out)


def augment_view(x, vc, rng, crops=None):
    """One SSL view of every image: crop+flip → jitter → grayscale → blur (→ solarize).

    `crops` (one (y1, x1, y2, x2) box per image, flip applied) reuses another
    view's boxes; the photometric draws stay this view's own. Returns the view
    and its boxes.
    """
    b, c, h, w = x.shape
    size = vc.get("size") or h
    mats = []
    jit = np.zeros((b, 4), np.float32)
    jc = vc["jitter"]
    gray_flags, sigmas, sol = [], [], []
    boxes = []
    for bi in range(b):
        if crops is None:
            y1, x1, y2, x2 = sample_crop(rng, h, w, vc["cropScale"], vc["cropRatio"])
            if rng.random() < vc["flip"]:
                x1, x2 = x2, x1
        else:
            y1, x1, y2, x2 = crops[bi]
        boxes.append((y1, x1, y2, x2))
        # output normalised coordinate u ∈ [-1, 1] → input normalised 2·(x1 + (u+1)/2·(x2−x1)) − 1
        mats.append([[x2 - x1, 0, x1 + x2 - 1], [0, y2 - y1, y1 + y2 - 1]])
        if rng.random() < jc["p"]:
            jit[len(mats) - 1] = [rng.uniform(-jc["brightness"], jc["brightness"]), rng.uniform(-jc["contrast"], jc["contrast"]),
                                  rng.uniform(-jc["saturation"], jc["saturation"]), rng.uniform(-jc["hue"], jc["hue"])]
        gray_flags.append(rng.random() < vc["grayscale"])
        sigmas.append(rng.uniform(*vc["blur"]["sigma"]) if rng.random() < vc["blur"]["p"] else 0.0)
        sol.append(rng.random() < vc.get("solarize", 0))
    m = torch.tensor(mats, dtype=torch.float32)
    out = warp(x, m) if size == h else F.grid_sample(x, F.affine_grid(m, [b, c, size, size], align_corners=True),
                                                     mode="bilinear", padding_mode="zeros", align_corners=True)
    j = torch.from_numpy(jit)
    per = lambda v: v.view(b, 1, 1, 1)
    if (j[:, 0] != 0).any():
        out = blend(out, torch.zeros_like(out), per(1 + j[:, 0]))
    if (j[:, 1] != 0).any():
        out = blend(out, gray(out).mean((1, 2, 3), keepdim=True), per(1 + j[:, 1]))
    if c == 3 and (j[:, 2] != 0).any():
        out = blend(out, gray(out), per(1 + j[:, 2]))
    if c == 3 and (j[:, 3] != 0).any():
        hh, ss, vv = rgb_to_hsv(out)
        hh = hh + j[:, 3].view(b, 1, 1)
        out = hsv_to_rgb(hh - torch.floor(hh), ss, vv)
    if c == 3 and any(gray_flags):
        f = torch.tensor([0.0 if g else 1.0 for g in gray_flags])
        out = blend(out, gray(out), per(f))
    if any(s > 0 for s in sigmas):
        g = gaussian_matrices(sigmas, out.shape[2])                       # (B, n, n)
        out = torch.einsum("bij,bcjk,blk->bcil", g, out, g)
    if any(sol):
        flags = per(torch.tensor(sol, dtype=torch.float32))
        out = torch.where((flags > 0) & (out >= 0.5), 1 - out, out)
    return out, boxes


def make_views(x, cfg, rng, k):
    """v1, v2 = g_θ(u) and the K path targets; `views.pairing: shared-crop` gives u v1's crop (own photometric draws)."""
    v1, boxes = augment_view(x, cfg["views"], rng)
    shared = cfg["views"].get("pairing", "independent") == "shared-crop"
    u, _ = augment_view(x, cfg["views"], rng, boxes if shared else None)
    mx, fill = cfg["path"]["maxDegrees"], cfg["path"].get("fill", "constant")
    theta = torch.tensor(rng.uniform(-mx, mx, size=x.shape[0]), dtype=torch.float32)
    v2 = rotate(u, theta, fill)
    targets = [rotate(u, theta * (i + 1) / (k + 1), fill) for i in range(k)]
    return v1, v2, targets


# --------------------------------------------------------------------------- model
def trunc_(t, std=0.02):
    nn.init.trunc_normal_(t, std=std, a=-2 * std, b=2 * std)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.heads, self.hd = heads, dim // heads
        self.n1, self.n2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        hid = int(dim * mlp_ratio)
        self.fc1, self.fc2 = nn.Linear(dim, hid), nn.Linear(hid, dim)

    def forward(self, x):
        n, t, d = x.shape
        qkv = self.qkv(self.n1(x)).reshape(n, t, 3, self.heads, self.hd).permute(2, 0, 3, 1, 4)
        a = ((qkv[0] * self.hd ** -0.5) @ qkv[1].transpose(-2, -1)).softmax(-1)
        x = x + self.proj((a @ qkv[2]).transpose(1, 2).reshape(n, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.n2(x))))


class ViT(nn.Module):
    def __init__(self, img, chans, dim, depth, heads, patchSize, mlpRatio):
        super().__init__()
        self.p, self.g = patchSize, img // patchSize
        self.patch_embed = nn.Linear(patchSize * patchSize * chans, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.g * self.g + 1, dim))
        self.blocks = nn.ModuleList([Block(dim, heads, mlpRatio) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        trunc_(self.cls_token)
        trunc_(self.pos_embed)

    def forward(self, x):
        n, c, _, _ = x.shape
        p, g = self.p, self.g
        x = x.reshape(n, c, g, p, g, p).permute(0, 2, 4, 3, 5, 1).reshape(n, g * g, p * p * c)
        x = torch.cat([self.cls_token.expand(n, -1, -1), self.patch_embed(x)], 1) + self.pos_embed
        for b in self.blocks:
            x = b(x)
        return self.norm(x)                                   # (n, 1 + P, D)


class Projector(nn.Module):
    def __init__(self, dim, widths, norm):
        super().__init__()
        layers, fin = [], dim
        for i, w in enumerate(widths):
            layers.append(nn.Linear(fin, w))
            if i < len(widths) - 1:
                if norm == "batch":
                    layers.append(nn.BatchNorm1d(w))
                layers.append(nn.ReLU())
            fin = w
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z)


class Conv4(nn.Module):
    def __init__(self, in_dim, grid, patch, ch, out_ch, mode):
        super().__init__()
        self.mode, self.grid, self.ch = mode, grid, ch
        half = max(1, ch // 2)
        self.lin = nn.Linear(in_dim, grid * grid * ch if mode == "pooled" else ch)
        self.convs = nn.ModuleList([nn.Conv2d(ch, ch, 3, padding=1), nn.Conv2d(ch, half, 3, padding=1),
                                    nn.Conv2d(half, half, 3, padding=1), nn.Conv2d(half, out_ch, 3, padding=1)])
        ups = int(round(math.log2(patch)))
        self.before = 1 if ups >= 4 else 0
        self.after = [ups >= 1, ups >= 2, ups >= 3]

    def forward(self, tok):                                   # (n, P, in_dim)
        n, g = tok.shape[0], self.grid
        if self.mode == "pooled":
            h = self.lin(tok.mean(1)).reshape(n, self.ch, g, g)
        else:
            h = self.lin(tok).reshape(n, g, g, self.ch).permute(0, 3, 1, 2)
        for _ in range(self.before):
            h = F.interpolate(h, scale_factor=2, mode="nearest")
        for i, cv in enumerate(self.convs):
            h = cv(h)
            if i < 3:
                h = F.gelu(h)
                if self.after[i]:
                    h = F.interpolate(h, scale_factor=2, mode="nearest")
        return h


def vicreg_terms(z1, z2, eps=1e-4):
    n, d = z1.shape
    inv = F.mse_loss(z1, z2)

    def part(z):
        zc = z - z.mean(0)
        var = (zc ** 2).sum(0) / (n - 1)
        std = torch.sqrt(var + eps)
        cov = zc.T @ zc / (n - 1)
        return F.relu(1 - std).mean(), ((cov ** 2).sum() - (var ** 2).sum()) / d

    h1, o1 = part(z1)
    h2, o2 = part(z2)
    return inv, h1 / 2 + h2 / 2, o1 + o2


class Model(nn.Module):
    def __init__(self, cfg, shape):
        super().__init__()
        c, h, w = shape
        bb = cfg["backbone_resolved"]
        self.vit = ViT(h, c, bb["dim"], bb["depth"], bb["heads"], bb["patchSize"], bb["mlpRatio"])
        self._init_linears(self.vit)  # right away: the backbone's init depends on the seed only, not on the rest of the config
        D = bb["dim"]
        self.d_equi = int(math.floor(D * cfg["equiFraction"] + 0.5))
        self.d_inv = D - self.d_equi
        self.neck = nn.Linear(D, D) if cfg["neck"] == "linear" else None
        loss = cfg["loss"]
        if loss.get("name", "vicreg") != "vicreg":
            raise SystemExit("the mirror implements the vicreg loss only")
        presets = {"sie": (10.0, 10.0, 1.0), "vicreg": (25.0, 25.0, 1.0)}[loss.get("variant", "sie")]
        self.coef = (loss.get("simCoeff") or presets[0], loss.get("stdCoeff") or presets[1], loss.get("covCoeff") or presets[2])
        self.projector = Projector(self.d_inv, loss.get("projector", []), loss.get("projectorNorm", "none"))
        rec = cfg["reconstruction"]
        self.decoders = nn.ModuleList()
        if rec != "off":
            dc = rec["decoder"]
            self.rec_w, self.k, self.target = rec["weight"], rec["k"], rec.get("target", "pixels")
            for _ in range(self.k):
                self.decoders.append(Conv4(2 * self.d_equi, h // bb["patchSize"], bb["patchSize"], dc.get("channels", 64), c, dc.get("input", "tokens")))
        else:
            self.rec_w, self.k, self.target = 0.0, 0, "pixels"
        # equissl's init: trunc-normal(0.02) matrices, zero biases (backbone, neck, projector); decoders keep torch defaults
        for mod in [self.neck, self.projector]:
            if mod is not None:
                self._init_linears(mod)

    @staticmethod
    def _init_linears(mod):
        for m in mod.modules():
            if isinstance(m, nn.Linear):
                trunc_(m.weight)
                nn.init.zeros_(m.bias)

    def features(self, x):
        """Backbone output (n, 1+P, D) and the neck output (n, 1+P, D) that is split."""
        z = self.vit(x)
        return z, (self.neck(z) if self.neck is not None else z)

    def loss(self, v1, v2, targets):
        b = v1.shape[0]
        _, z = self.features(torch.cat([v1, v2], 0))
        inv = z[:, 0, : self.d_inv]
        p1, p2 = self.projector(inv[:b]), self.projector(inv[b:])
        ti, tv, tc = vicreg_terms(p1, p2)
        ssl = self.coef[0] * ti + self.coef[1] * tv + self.coef[2] * tc
        terms = {"ssl": ssl, "ssl.invariance": ti, "ssl.variance": tv, "ssl.covariance": tc}
        total = ssl
        if self.k:
            eq = z[:, 1:, self.d_inv:]
            inp = torch.cat([eq[:b], eq[b:]], -1)
            recs = []
            for dec, t in zip(self.decoders, targets):
                if self.target == "normalised":
                    m = t.mean((1, 2, 3), keepdim=True)
                    s = t.std((1, 2, 3), keepdim=True, unbiased=False)
                    t = (t - m) / (s + 1e-6)
                recs.append(F.mse_loss(dec(inp), t))
            rec = sum(recs) / len(recs)
            terms["rec"] = rec
            total = total + self.rec_w * rec
        terms["total"] = total
        return total, terms


def make_optimizer(model, oc):
    groups = {}
    for name, p in model.named_parameters():
        decay = p.ndim >= 2 and not any(s in name for s in ("cls_token", "pos_embed"))
        scale = oc.get("decoderLrScale", 1) if name.startswith("decoders.") else 1
        groups.setdefault((decay, scale), []).append(p)
    pg = [{"params": ps, "weight_decay": oc["weightDecay"] if d else 0.0, "scale": s} for (d, s), ps in groups.items()]
    return torch.optim.AdamW(pg, lr=oc["lr"], betas=(oc.get("beta1", 0.9), oc.get("beta2", 0.999)), eps=oc.get("eps", 1e-8))


def warmup_cosine(step, total, lr, min_lr, warm):
    if warm > 0 and step < warm:
        return lr * (step + 1) / warm
    span = max(1, total - warm)
    prog = min(1.0, (step - warm) / span)
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * prog))


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


def evaluate(model, ev, seed, readouts, probe=True):
    """R²(rotation) per readout and part; k-NN and linear on clsmean-full."""
    x = ev["x_eq"]
    n = x.shape[0]
    gen = np.random.default_rng([seed, 7])
    theta = torch.tensor(gen.uniform(-45, 45, size=n), dtype=torch.float32)
    gx = rotate(x, theta)
    zf, zn = encode(model, x)
    gf, gn = encode(model, gx)
    y = theta[:, None]
    ntr = int(0.8 * n)
    out = {}
    parts = {"full": (zf, gf)}
    if model.d_inv > 0:
        parts["inv"] = (zn[..., : model.d_inv], gn[..., : model.d_inv])
    if model.d_equi > 0:
        parts["equi"] = (zn[..., model.d_inv:], gn[..., model.d_inv:])
    for r in readouts:
        for pname, (a, b) in parts.items():
            pairs = torch.cat([readout(a, r), readout(b, r)], 1)
            if r == "tokens":
                val, _ = ridge_r2(pairs[:ntr], y[:ntr], pairs[ntr:], y[ntr:])
            else:
                val = mlp_r2(pairs[:ntr], y[:ntr], pairs[ntr:], y[ntr:], seed)
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
def run_seed(cfg, seed, eval_at, ev, readouts, emit, log_every=100):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    xtr = ev["x_train"]
    model = Model(cfg, tuple(xtr.shape[1:]))
    opt = make_optimizer(model, cfg["optimizer"])
    oc = cfg["optimizer"]
    steps, bs = cfg["steps"], cfg["batchSize"]
    history = []
    order, pos = rng.permutation(xtr.shape[0]), 0
    t0 = time.time()
    tt = 0.0
    for step in range(steps + 1):
        if step in eval_at:
            te = time.time()
            last = history[-50:]
            terms = {k: round(sum(h[k] for h in last) / len(last), 5) for k in last[0]} if last else {}
            res = evaluate(model, ev, seed, readouts, probe=True)
            emit({"seed": seed, "step": step, "terms": terms, **res, "train_s": round(tt, 1), "eval_s": round(time.time() - te, 1)})
        if step == steps:
            break
        ts = time.time()
        if pos + bs > len(order):
            order, pos = rng.permutation(xtr.shape[0]), 0
        x = xtr[torch.from_numpy(order[pos: pos + bs])]
        pos += bs
        v1, v2, targets = make_views(x, cfg, rng, model.k)
        lr = warmup_cosine(step, steps, oc["lr"], oc["minLr"], oc["warmupSteps"])
        for g in opt.param_groups:
            g["lr"] = lr * g["scale"]
        total, terms = model.loss(v1, v2, targets)
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
    a = ap.parse_args()
    raw = json.load(open(a.config))
    overrides = {}
    for s in a.set:
        k, v = s.split("=", 1)
        overrides[k] = parse_value(v)
        set_path(raw, k, overrides[k])
    cfg = resolve(raw)
    eval_at = sorted({int(s) for s in a.eval_at.split(",")}) if a.eval_at else [0, cfg["steps"]]
    eval_at = [s for s in eval_at if s <= cfg["steps"]]
    data = cfg["data"]
    if data["name"] == "idx":
        xtr, ytr = load_data(data, data.get("split", "train"))
        xte, yte = load_data(data, "test")
    elif os.path.isdir(os.path.join(data["dir"], "train")) and os.path.isdir(os.path.join(data["dir"], "test")):
        # a folder with train/ and test/ (e.g. make-crops --regions): its own disjoint parts
        xtr, ytr = load_image_folder(os.path.join(data["dir"], "train"), data["size"])
        xte, yte = load_image_folder(os.path.join(data["dir"], "test"), data["size"])
        gen = np.random.default_rng([0, 20])
        ptr, pte = torch.from_numpy(gen.permutation(len(ytr))), torch.from_numpy(gen.permutation(len(yte)))
        (xtr, ytr), (xte, yte) = (xtr[ptr], ytr[ptr]), (xte[pte], yte[pte])
    else:
        (xtr, ytr), (xte, yte) = stratified_split(*load_data(data, "train"))
    ev = {"x_train": xtr, "x_eq": xte[: a.eval_images], "x_ptr": xtr[: a.probe_train], "y_ptr": ytr[: a.probe_train],
          "x_pte": xte[: a.probe_test], "y_pte": yte[: a.probe_test]}
    readouts = [r for r in a.readouts.split(",") if r]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)

    def emit(rec):
        line = {"config": os.path.relpath(a.config), "overrides": overrides, "tag": a.tag, **rec}
        with open(a.out, "a") as f:
            f.write(json.dumps(line) + "\n")
        print(json.dumps({k: v for k, v in line.items() if k not in ("config",)}), flush=True)

    for seed in [int(s) for s in a.seeds.split(",")]:
        run_seed(cfg, seed, eval_at, ev, readouts, emit)


if __name__ == "__main__":
    main()
