#!/usr/bin/env python3
"""Reference numbers for equissl's tests, computed with PyTorch.

Run with Debian's interpreter and torch (apt-get install python3-torch):

    /usr/bin/python3 tools/reference/make_fixtures.py > packages/testing-fixtures.json

It uses the model classes of the benchmark reference (../shared/bench/torch_reference.py:
ViT, Decoder, vicreg) so equissl's layers are checked against the same code the
benchmark compares with, plus textbook SimCLR (NT-Xent) and Barlow Twins.
Every input and weight comes from a closed formula that the TypeScript tests
reproduce: value[k] = scale * sin(a * k + b) over the flattened tensor.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "shared", "bench"))
import torch_reference as ref  # noqa: E402

torch.set_default_dtype(torch.float64)


def wave(shape, a, b, scale=1.0):
    n = math.prod(shape)
    return torch.tensor([scale * math.sin(a * k + b) for k in range(n)]).reshape(shape)


def param_wave(name, shape):
    """The formula for a named parameter, in equissl's layout."""
    return wave(shape, 0.37, 0.05 * len(name), 0.1)


# ----------------------------------------------------------------- losses
z1 = wave([6, 4], 0.7, 0.1)
z2 = wave([6, 4], -0.9, 0.3, 1.5)
inv = F.mse_loss(z1, z2)


def vic_terms(a, b, eps=1e-4):
    n, d = a.shape
    ac, bc = a - a.mean(0), b - b.mean(0)
    sa, sb = torch.sqrt(ac.var(0) + eps), torch.sqrt(bc.var(0) + eps)
    v = F.relu(1 - sa).mean() / 2 + F.relu(1 - sb).mean() / 2
    ca, cb = ac.T @ ac / (n - 1), bc.T @ bc / (n - 1)
    off = lambda c: c.pow(2).sum() - c.diagonal().pow(2).sum()
    return v, off(ca) / d + off(cb) / d


var_t, cov_t = vic_terms(z1, z2)


def nt_xent(a, b, tau):
    z = F.normalize(torch.cat([a, b]), dim=1)
    logits = z @ z.T / tau
    n = a.shape[0]
    logits.fill_diagonal_(-1e9)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, target)


def barlow(a, b, lam):
    bn = lambda z: (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + 1e-5)
    c = bn(a).T @ bn(b) / a.shape[0]
    on = (torch.diagonal(c) - 1).pow(2).sum()
    off = c.pow(2).sum() - torch.diagonal(c).pow(2).sum()
    return on, off, on + lam * off


on, off, bt = barlow(z1, z2, 5e-3)
losses = {
    "inputs": {"z1": [0.7, 0.1, 1.0], "z2": [-0.9, 0.3, 1.5], "shape": [6, 4]},
    "vicreg_sie": {"invariance": inv.item(), "variance": var_t.item(), "covariance": cov_t.item(),
                   "total": ref.vicreg(z1, z2).item()},
    "simclr_tau_0.2": nt_xent(z1, z2, 0.2).item(),
    "barlow_lambda_5e-3": {"onDiagonal": on.item(), "offDiagonal": off.item(), "total": bt.item()},
}

# ----------------------------------------------------------------- ViT
spec = dict(img=8, patch=4, dim=8, depth=2, heads=2, mlp_ratio=2.0)
vit = ref.ViT(spec["img"], spec["patch"], 3, spec["dim"], spec["depth"], spec["heads"], spec["mlp_ratio"])
for m in vit.modules():
    if isinstance(m, torch.nn.LayerNorm):
        m.eps = 1e-6
D, T = spec["dim"], (spec["img"] // spec["patch"]) ** 2 + 1
H = int(D * spec["mlp_ratio"])


def linear(torch_linear, name, fin, fout):
    torch_linear.weight.data = param_wave(name + ".weight", [fin, fout]).T.clone()
    torch_linear.bias.data = param_wave(name + ".bias", [fout])


def norm(torch_norm, name):
    torch_norm.weight.data = param_wave(name + ".weight", [D])
    torch_norm.bias.data = param_wave(name + ".bias", [D])


p = "encoder."
linear(vit.patch_embed, p + "patchEmbed", spec["patch"] ** 2 * 3, D)
vit.cls.data = param_wave(p + "clsToken", [1, 1, D])
vit.pos.data = param_wave(p + "posEmbed", [1, T, D])
for i, blk in enumerate(vit.blocks):
    q = f"{p}blocks.{i}."
    norm(blk.n1, q + "norm1")
    linear(blk.attn.qkv, q + "attn.qkv", D, 3 * D)
    linear(blk.attn.proj, q + "attn.proj", D, D)
    norm(blk.n2, q + "norm2")
    linear(blk.fc1, q + "mlp.fc1", D, H)
    linear(blk.fc2, q + "mlp.fc2", H, D)
norm(vit.norm, p + "norm")
images_nhwc = wave([2, 8, 8, 3], 0.11, 0.2, 0.5) + 0.5
with torch.no_grad():
    cls, tok = vit(images_nhwc.permute(0, 3, 1, 2))
vit_fixture = {"spec": spec, "images": [0.11, 0.2, 0.5, 0.5], "cls": cls.flatten().tolist(),
               "patches": tok.flatten().tolist()}

# ----------------------------------------------------------------- decoder
ch, grid, ind = 8, 2, 6
dec = ref.Decoder(ind, grid=grid, ch=ch)
dp = "decoders.0."
linear(dec.lin, dp + "linear", ind, ch)
for name, conv, cin, cout in [("conv1", dec.c1, ch, ch), ("conv2", dec.c2, ch, ch // 2),
                              ("conv3", dec.c3, ch // 2, ch // 2), ("conv4", dec.c4, ch // 2, 3)]:
    conv.weight.data = param_wave(dp + name + ".weight", [3, 3, cin, cout]).permute(3, 2, 0, 1).clone()
    conv.bias.data = param_wave(dp + name + ".bias", [cout])
tokens = wave([2, grid * grid, ind], 0.23, -0.4)
with torch.no_grad():
    out = dec(tokens).permute(0, 2, 3, 1)
decoder_fixture = {"channels": ch, "grid": grid, "inDim": ind, "patch": 4, "tokens": [0.23, -0.4, 1.0],
                   "output": out.flatten().tolist()}

json.dump({"generator": "tools/reference/make_fixtures.py", "torch": torch.__version__, "losses": losses,
           "vit": vit_fixture, "decoder": decoder_fixture}, sys.stdout, indent=1)
print()
