"""The checkpoint contract from this side: what is written is what equissl writes, and it reads back exactly."""
import json
import os

import numpy as np
import pytest
import torch

from conftest import FIXTURES
from equissl_torch.checkpoint import (CheckpointError, load_moments, load_parameters, read_checkpoint, save_checkpoint,
                                      write_safetensors, read_safetensors)
from equissl_torch.config import check_model, decode_pretrain_config, resolve_backbone
from equissl_torch.data import BatchOrder
from equissl_torch.model import PretrainModel
from equissl_torch.optim import make_optimizer


def build(raw, seed=0):
    c = decode_pretrain_config(raw)
    c["backbone"] = resolve_backbone(c["backbone"], (16, 16, 3))
    d_inv, d_equi = check_model(c)
    return c, PretrainModel(c, d_inv, d_equi, seed=seed)


def one_step(model):
    opt = make_optimizer(model, {"lr": 1e-3, "weightDecay": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "decoderLrScale": 1})
    x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    total, _ = model(x, x.flip(3), [x, x])
    total.backward()
    opt.step()
    return opt


def write(path, raw, model, opt, config):
    save_checkpoint(path, model, opt, {}, step=1, stream=BatchOrder.seeded(64, 8, 0).state(), given_config=raw,
                    config=config, image_shape=(16, 16, 3), backend="torch (test)")


def test_names_shapes_and_metadata_are_equissls(tmp_path, tiny_config):
    with open(os.path.join(FIXTURES, "tiny-tensors.json")) as f:
        expected = json.load(f)
    config, model = build(tiny_config)
    opt = one_step(model)
    path = str(tmp_path / "checkpoint.safetensors")
    write(path, tiny_config, model, opt, config)
    tensors, meta = read_checkpoint(path)
    assert [[n, list(a.shape)] for n, a in tensors.items()] == expected["tensors"]
    assert sorted(k for k in meta) == expected["metadata"]
    assert meta["format"] == "equissl-checkpoint/1" and meta["step"] == 1 and meta["lossState"] is None
    assert meta["encoder"] == {"backbone": config["backbone"], "neck": "linear", "dInv": 8, "dEqui": 8}
    assert [p["field"] for p in meta["plugins"]] == ["data", "path", "backbone", "loss", "reconstruction.decoder"]
    assert meta["imageShape"] == [16, 16, 3] and meta["config"] == tiny_config
    assert meta["stream"] == {"seed": [2344958853, 2101171485, 1339195671, 1701321818], "epoch": 0, "cursor": 0, "skipped": 0}
    assert [f for f in os.listdir(tmp_path)] == ["checkpoint.safetensors"]  # the temporary file was renamed


def test_layouts_in_the_file(tmp_path, tiny_config):
    config, model = build(tiny_config)
    opt = one_step(model)
    path = str(tmp_path / "c.safetensors")
    write(path, tiny_config, model, opt, config)
    tensors, _ = read_checkpoint(path)
    assert np.array_equal(tensors["param/encoder.blocks.0.attn.qkv.weight"], model.encoder.blocks[0].attn.qkv.weight.detach().T.numpy())
    assert np.array_equal(tensors["param/decoders.1.conv2.weight"], model.decoders[1].conv2.weight.detach().permute(2, 3, 1, 0).numpy())
    exp_avg = opt.state[model.neck.weight]["exp_avg"]
    assert np.array_equal(tensors["adam.m/neck.weight"], exp_avg.T.numpy())
    assert not tensors["adam.v/encoder.maskToken"].any()


def test_reads_back_into_another_model(tmp_path, tiny_config):
    config, model = build(tiny_config, seed=0)
    opt = one_step(model)
    path = str(tmp_path / "c.safetensors")
    write(path, tiny_config, model, opt, config)
    _, other = build(tiny_config, seed=1)
    assert not torch.equal(other.encoder.posEmbed, model.encoder.posEmbed)
    tensors, meta = read_checkpoint(path)
    load_parameters(path, tensors, other)
    opt2 = make_optimizer(other, config["optimizer"])
    load_moments(path, tensors, other, opt2, meta["step"])
    for (n, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        assert torch.equal(a, b), n
    assert torch.equal(opt2.state[other.decoders[0].conv1.weight]["exp_avg_sq"], opt.state[model.decoders[0].conv1.weight]["exp_avg_sq"])
    assert float(opt2.state[other.neck.bias]["step"]) == 1


def test_safetensors_bytes(tmp_path):
    path = str(tmp_path / "t.safetensors")
    write_safetensors(path, {"a": np.arange(3, dtype=np.float32), "b": np.ones((2, 2), np.int32)}, {"k": "v"})
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    assert (8 + n) % 8 == 0 and raw[8:9] == b"{"
    header = json.loads(raw[8: 8 + n])
    assert header["a"] == {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]} and header["__metadata__"] == {"k": "v"}
    tensors, meta = read_safetensors(path)
    assert tensors["a"].tolist() == [0, 1, 2] and tensors["b"].dtype == np.int32 and meta == {"k": "v"}


def test_errors_name_the_file_and_tensor(tmp_path, tiny_config):
    config, model = build(tiny_config)
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        read_checkpoint(str(tmp_path / "missing.safetensors"))
    png = tmp_path / "x.safetensors"
    png.write_bytes(b"\x89PNG\r\n\x1a\n0000")
    with pytest.raises(CheckpointError, match="is not a safetensors file"):
        read_checkpoint(str(png))
    other = str(tmp_path / "other.safetensors")
    write_safetensors(other, {"param/encoder.clsToken": np.zeros((1, 1, 16), np.float32)}, {"format": "equissl-checkpoint/1", "step": "0"})
    tensors, _ = read_checkpoint(other)
    with pytest.raises(CheckpointError, match='has no tensor "param/encoder.patchEmbed.weight"'):
        load_parameters(other, tensors, model)
    enc = str(tmp_path / "enc.safetensors")
    write_safetensors(enc, {}, {"format": "equissl-encoder/1"})
    with pytest.raises(CheckpointError, match="not an equissl checkpoint"):
        read_checkpoint(enc)
