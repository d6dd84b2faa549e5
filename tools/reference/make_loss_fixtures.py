#!/usr/bin/env python3
"""Reference numbers for equissl's sie, ibot, dinov2 and stl loss plugins.

Run with Debian's interpreter and torch (apt-get install python3-torch):

    /usr/bin/python3 tools/reference/make_loss_fixtures.py

It writes tools/reference/loss-fixtures.json next to this file: for each case
the loss, every named term the TypeScript plugin returns, iBOT's next state,
and the gradients of the loss with respect to the inputs (z1, z2, e1, e2,
tokens1, tokens2 as the loss reads them), all in float64 with the
re-implementations of ssl_losses.py.

Inputs and weights come from make_fixtures.py's closed formula
value[k] = scale · sin(a·k + b) over the flattened tensor, rounded to float32
(the TypeScript tests build Float32Arrays from the same formula); parameters
by param_wave(name, shape), keyed by equissl's parameter names and stored in
equissl's [in, out] layout (transposed here into PyTorch's Linear weights).
Teacher logits (iBOT, DINOv2) and masks are fixed inputs.
"""
import json
import math
import os

import numpy as np
import torch
from torch import nn

import ssl_losses as ref

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

here = os.path.dirname(os.path.abspath(__file__))


def wave(shape, a, b, scale=1.0):
    n = math.prod(shape)
    return torch.tensor([scale * math.sin(a * k + b) for k in range(n)]).reshape(shape)


def f32(t):
    """Rounded to float32 and back: the TypeScript side holds these values exactly."""
    return t.float().double()


def param_wave(name, shape):
    """The formula for a named parameter, in equissl's layout."""
    return f32(wave(shape, 0.37, 0.05 * len(name), 0.1))


class Params:
    """Sets PyTorch parameters from equissl-named waves and records equissl's parameter list."""

    def __init__(self):
        self.names = {}

    def get(self, name, shape):
        self.names[name] = list(shape)
        return param_wave(name, shape)

    def linear(self, lin, name, bias=True):
        fout, fin = lin.weight.shape
        lin.weight.data = self.get(name + ".weight", [fin, fout]).T.clone()
        if bias:
            b = self.get(name + ".bias", [fout])
            if lin.bias is not None:
                lin.bias.data = b
            # else: equissl's hidden bias, followed by batch norm, which removes it (STL's load_mlp has none)

    def mlp(self, seq, name, hidden_bias=True):
        """An MLP of (Linear, BatchNorm1d, ReLU)… Linear named `${name}.${i}.weight`, `.bias`, `.bn.weight`, `.bn.bias`."""
        mods = list(seq)
        linears = [m for m in mods if isinstance(m, nn.Linear)]
        for i, lin in enumerate(linears):
            last = i == len(linears) - 1
            self.linear(lin, f"{name}.{i}", bias=not last and hidden_bias)
            if not last:
                bn = mods[mods.index(lin) + 1]
                assert isinstance(bn, nn.BatchNorm1d)
                bn.weight.data = self.get(f"{name}.{i}.bn.weight", [bn.num_features])
                bn.bias.data = self.get(f"{name}.{i}.bn.bias", [bn.num_features])

    def listing(self):
        return [[k, v] for k, v in self.names.items()]


def input_wave(shape, a, b, scale=1.0):
    """An input tensor and its spec for the TypeScript side."""
    return f32(wave(shape, a, b, scale)).requires_grad_(False), {"shape": list(shape), "wave": [a, b, scale]}


def flat(t):
    return t.detach().flatten().tolist()


def grads(loss, inputs):
    """d loss / d input; an input the loss does not read (unmasked tokens) has gradient 0."""
    g = torch.autograd.grad(loss, list(inputs.values()), allow_unused=True)
    return {k: flat(torch.zeros_like(x) if v is None else v) for (k, x), v in zip(inputs.items(), g)}


def scalars(d):
    return {k: float(v) for k, v in d.items()}


def koleo_margin(z):
    """Smallest gap between the nearest and second-nearest neighbour's inner product (ties would make float32 pick differently)."""
    x = torch.nn.functional.normalize(z, dim=-1)
    dots = x @ x.T
    dots.fill_diagonal_(-2)
    top = dots.topk(2, dim=1).values
    return float((top[:, 0] - top[:, 1]).min())


shape = {"dim": 6, "equiDim": 4, "tokens": 4, "transformDim": 3}
B, D, E, N, P = 8, shape["dim"], shape["equiDim"], shape["tokens"], shape["transformDim"]
cases = {}

# common inputs
z1, z1s = input_wave([B, D], 0.77, 0.1)
z2, z2s = input_wave([B, D], -0.83, 0.3, 1.5)
e1, e1s = input_wave([B, E], 0.53, -0.2, 0.8)
e2, e2s = input_wave([B, E], -0.41, 0.6, 1.2)
theta, thetas = input_wave([B, P], 0.29, 0.4, 0.5)
tok1, tok1s = input_wave([B, N, D], 0.61, -0.3)
tok2, tok2s = input_wave([B, N, D], -0.47, 0.2, 1.3)
assert koleo_margin(z1) > 1e-3 and koleo_margin(z2) > 1e-3

# ============================================================================ SIE
for case, residual in [("sie", True), ("sie_plain", False)]:
    config = {"name": "sie", "projector": [12, 8], "projectorNorm": "batch", "residualPredictor": residual}
    model = ref.SIE(D, E, P, config["projector"], residual=residual)
    p = Params()
    p.mlp(model.projector_inv, "loss.projectorInv")
    p.mlp(model.projector_equi, "loss.projectorEqui")
    E2 = model.mlp_equi[-1]
    model.predictor.hypernet.weight.data = p.get("loss.predictor.weight", [P, E2 * E2]).T.clone()
    model.train()
    ins = {"z1": z1.clone().requires_grad_(), "z2": z2.clone().requires_grad_(), "e1": e1.clone().requires_grad_(),
           "e2": e2.clone().requires_grad_()}
    loss, terms = model(ins["z1"], ins["z2"], ins["e1"], ins["e2"], theta)
    cases[case] = {
        "config": config, "shape": shape, "step": 0, "params": p.listing(),
        "inputs": {"z1": z1s, "z2": z2s, "e1": e1s, "e2": e2s, "transformParams": thetas},
        "loss": float(loss), "terms": scalars(terms), "grads": grads(loss, ins),
        "widths": {"inv": model.mlp_inv, "equi": model.mlp_equi},
    }

# ======================================================== iBOT and DINOv2 shared
head_config = {"headHidden": 8, "bottleneck": 5, "prototypes": 7}
K = head_config["prototypes"]
temps = {"studentTemp": 0.1, "teacherTemp": 0.07, "warmupTeacherTemp": 0.04, "teacherTempWarmupSteps": 10}
teacher_specs = {}
teacher = {}
for name, shp, a, b, s in [("cls1", [B, K], 0.83, 0.1, 1.0), ("cls2", [B, K], -0.67, 0.5, 0.9),
                           ("patches1", [B, N, K], 0.71, -0.4, 1.0), ("patches2", [B, N, K], -0.59, 0.25, 0.8)]:
    teacher[name], teacher_specs[name] = input_wave(shp, a, b, s)
# 1 where the student's patch was masked; images 2 and 5 of view 1 and 0 and 6 of view 2 have none
masks1 = torch.tensor([[1, 0, 1, 0], [0, 1, 1, 1], [0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 0], [1, 1, 1, 1], [0, 1, 0, 0]],
                      dtype=torch.float64)
masks2 = torch.tensor([[0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 1], [1, 0, 1, 1], [0, 1, 0, 0], [1, 0, 0, 1], [0, 0, 0, 0], [1, 1, 1, 0]],
                      dtype=torch.float64)


def make_head(p):
    head = ref.DinoHead(D, head_config["headHidden"], head_config["bottleneck"], K)
    for i in range(3):
        p.linear(head.mlp[2 * i], f"loss.head.{i}")
    head.last_layer.weight_v.data = p.get("loss.head.prototypes", [head_config["bottleneck"], K]).T.clone()
    return head


def token_inputs():
    return {"z1": z1.clone().requires_grad_(), "z2": z2.clone().requires_grad_(), "tokens1": tok1.clone().requires_grad_(),
            "tokens2": tok2.clone().requires_grad_()}


grid = int(math.isqrt(N))
token_specs = {"z1": z1s, "z2": z2s, "tokens1": tok1s, "tokens2": tok2s}

# ============================================================================ iBOT
for case, step, state in [("ibot", 3, {"center": wave([K], 0.9, 0.2, 0.3), "center2": wave([K], -0.8, 0.7, 0.2)}),
                          ("ibot_initial", 12, None)]:
    config = {"name": "ibot", **head_config, **temps, "centerMomentum": 0.9, "clsWeight": 1, "patchWeight": 1}
    p = Params()
    head = make_head(p)
    loss_fn = ref.IBOTLoss(K, K, temps["warmupTeacherTemp"], temps["teacherTemp"], temps["teacherTempWarmupSteps"], 100,
                           student_temp=temps["studentTemp"])
    state_json = None
    if state is not None:
        state = {k: f32(v) for k, v in state.items()}
        loss_fn.center = state["center"].view(1, K).clone()
        loss_fn.center2 = state["center2"].view(1, 1, K).clone()
        state_json = {k: v.tolist() for k, v in state.items()}
    ins = token_inputs()
    out = ref.ibot_step(head, loss_fn, ins["z1"], ins["z2"], ins["tokens1"], ins["tokens2"], teacher,
                        masks1.view(B, grid, grid), masks2.view(B, grid, grid), step)
    loss = out.pop("loss")
    cases[case] = {
        "config": config, "shape": shape, "step": step, "params": p.listing(), "state": state_json,
        "inputs": {**token_specs, "masks1": flat(masks1), "masks2": flat(masks2)}, "teacher": teacher_specs,
        "teacherTemp": float(loss_fn.teacher_temp_schedule[step]),
        "loss": float(loss), "terms": scalars(out), "grads": grads(loss, ins),
        "nextState": {"center": flat(loss_fn.center), "center2": flat(loss_fn.center2)},
    }

# ========================================================================== DINOv2
for case, m1, m2 in [("dinov2", masks1, masks2), ("dinov2_unmasked", torch.zeros_like(masks1), torch.zeros_like(masks2))]:
    step = 3
    config = {"name": "dinov2", **head_config, **temps, "sinkhornIterations": 3, "koleoWeight": 0.1, "clsWeight": 1, "patchWeight": 1}
    p = Params()
    head = make_head(p)
    tau = float(ref.teacher_temp_schedule(temps["warmupTeacherTemp"], temps["teacherTemp"], temps["teacherTempWarmupSteps"], 100)[step])
    ins = token_inputs()
    out = ref.dinov2_step(head, ins["z1"], ins["z2"], ins["tokens1"], ins["tokens2"], teacher, m1, m2, tau,
                          student_temp=temps["studentTemp"], n_iterations=3, koleo_weight=0.1)
    loss = out.pop("loss")
    cases[case] = {
        "config": config, "shape": shape, "step": step, "params": p.listing(),
        "inputs": {**token_specs, "masks1": flat(m1), "masks2": flat(m2)}, "teacher": teacher_specs, "teacherTemp": tau,
        "loss": float(loss), "terms": scalars(out), "grads": grads(loss, ins),
    }

# ============================================================================= STL
config = {"name": "stl", "projector": [8, 5], "transBackbone": [7, 6], "transProjector": [6, 4], "temperature": 0.2,
          "invWeight": 1, "equiWeight": 1, "transWeight": 0.1}
model = ref.STL(D, B, config["projector"], config["transBackbone"], config["transProjector"], temperature=0.2)
p = Params()
p.mlp(model.trans_backbone, "loss.transBackbone")
model.equi_transform.hypernet.weight.data = p.get("loss.equiTransform.weight", [config["transBackbone"][-1], D * D]).T.clone()
p.mlp(model.inv_projector, "loss.projectorInv")
p.mlp(model.equi_projector, "loss.projectorEqui")
p.mlp(model.trans_projector, "loss.transProjector")
model.train()
ins = {"z1": z1.clone().requires_grad_(), "z2": z2.clone().requires_grad_()}
loss, terms = model(ins["z1"], ins["z2"])
cases["stl"] = {
    "config": config, "shape": {**shape, "equiDim": 0, "tokens": 0, "transformDim": 0}, "step": 0, "params": p.listing(),
    "inputs": {"z1": z1s, "z2": z2s}, "loss": float(loss), "terms": scalars(terms), "grads": grads(loss, ins),
}

out = {"generator": "tools/reference/make_loss_fixtures.py (re-implementations: tools/reference/ssl_losses.py)",
       "torch": torch.__version__, "cases": cases}
with open(os.path.join(here, "loss-fixtures.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
for name, c in cases.items():
    print(f"{name}: loss {c['loss']:.6f} " + " ".join(f"{k} {v:.6f}" for k, v in c["terms"].items()))
