"""The model's layers and losses against the reference numbers equissl's own layers are tested with.

tools/reference/fixtures.json holds PyTorch's outputs for weights and inputs
given by a closed formula (`param_wave`, in equissl's layouts); equissl's
TypeScript tests reproduce them. Here the same weights go through
checkpoint.py's layout conversion into this package's modules, so a pass
checks the layers and the layout contract together.
"""
import json
import math
import os

import pytest
import torch

from conftest import REPO
from equissl_torch.checkpoint import from_equissl, to_equissl
from equissl_torch.losses import barlow_terms, info_nce, vicreg_terms
from equissl_torch.model import Conv4, ViT

with open(os.path.join(REPO, "tools", "reference", "fixtures.json")) as f:
    FIXTURES = json.load(f)


def wave(shape, a, b, scale=1.0):
    n = math.prod(shape)
    return torch.tensor([scale * math.sin(a * k + b) for k in range(n)], dtype=torch.float64).reshape(shape)


def fill(module, prefix):
    """Every parameter of `module` set to param_wave(prefix + name, its equissl shape), through from_equissl."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            full = prefix + name
            shape = list(to_equissl(full, p).shape)
            p.copy_(from_equissl(full, wave(shape, 0.37, 0.05 * len(full), 0.1).numpy(), p))


def test_losses_match_the_reference():
    z1, z2 = wave([6, 4], 0.7, 0.1), wave([6, 4], -0.9, 0.3, 1.5)
    ref = FIXTURES["losses"]
    inv, var, cov = vicreg_terms(z1, z2)
    assert [float(inv), float(var), float(cov)] == pytest.approx(
        [ref["vicreg_sie"][k] for k in ("invariance", "variance", "covariance")], rel=1e-12)
    assert float(10 * inv + 10 * var + cov) == pytest.approx(ref["vicreg_sie"]["total"], rel=1e-12)
    assert float(info_nce(z1, z2, 0.2)) == pytest.approx(ref["simclr_tau_0.2"], rel=1e-12)
    on, off = barlow_terms(z1, z2)
    bt = ref["barlow_lambda_5e-3"]
    assert [float(on), float(off), float(on + 5e-3 * off)] == pytest.approx([bt["onDiagonal"], bt["offDiagonal"], bt["total"]], rel=1e-10)


def test_vit_matches_the_reference():
    s = FIXTURES["vit"]["spec"]
    vit = ViT(s["img"], s["patch"], 3, s["dim"], s["depth"], s["heads"], s["mlp_ratio"]).double()
    fill(vit, "encoder.")
    images = wave([2, 8, 8, 3], 0.11, 0.2, 0.5) + 0.5
    with torch.no_grad():
        z = vit(images.permute(0, 3, 1, 2))
    assert z[:, 0].flatten().tolist() == pytest.approx(FIXTURES["vit"]["cls"], abs=1e-12)
    assert z[:, 1:].flatten().tolist() == pytest.approx(FIXTURES["vit"]["patches"], abs=1e-12)


def test_decoder_matches_the_reference():
    d = FIXTURES["decoder"]
    dec = Conv4(d["inDim"], d["grid"], d["patch"], d["channels"], 3, "tokens").double()
    fill(dec, "decoders.0.")
    with torch.no_grad():
        out = dec(wave([2, d["grid"] ** 2, d["inDim"]], 0.23, -0.4)).permute(0, 2, 3, 1)
    assert out.flatten().tolist() == pytest.approx(d["output"], abs=1e-12)


def test_layouts_round_trip():
    lin, conv = torch.nn.Linear(3, 5), torch.nn.Conv2d(2, 4, 3)
    assert to_equissl("neck.weight", lin.weight).shape == (3, 5)
    assert to_equissl("decoders.0.conv1.weight", conv.weight).shape == (3, 3, 2, 4)
    for name, p in [("neck.weight", lin.weight), ("decoders.0.conv1.weight", conv.weight), ("encoder.clsToken", torch.zeros(1, 1, 4))]:
        assert torch.equal(from_equissl(name, to_equissl(name, p), p), p.detach())
