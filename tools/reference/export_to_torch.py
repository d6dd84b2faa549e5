#!/usr/bin/env python3
"""Loads an encoder written by `equissl export --format safetensors` into the
PyTorch reference ViT (../shared/bench/torch_reference.py) and prints its
features of a fixed batch.

    npm run equissl -- export out/pretrain/checkpoint.safetensors --out encoder.safetensors
    /usr/bin/python3 tools/reference/export_to_torch.py encoder.safetensors --out features.json

Needs only Debian's python3-torch (apt-get install python3-torch
libopenblas0-openmp); the safetensors file is parsed here, without the
safetensors package. Names are mapped and dense weights transposed from
equissl's [in, out] to torch.nn.Linear's [out, in] as docs/export.md describes;
every parameter of the torch model must be filled, and every tensor of the
file used (but `encoder.maskToken`, iBOT's mask embedding, which plain
inference never reads, and the neck, applied separately).

The batch comes from a closed formula that the TypeScript test reproduces:
image k of the flattened NHWC batch [B, H, W, C] is 0.5 * sin(0.11 k + 0.2) + 0.5,
rounded to float32. The forward pass runs in float64. The JSON written holds
`cls` [B, D] and `patches` [B, N, D] (the backbone's output after the final
LayerNorm: the representation), and with `neck: linear` also `neck.cls` and
`neck.patches` (x @ neck.weight + neck.bias, whose first dInv channels are
z_inv and the rest z_equi).
"""
import argparse
import json
import math
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_REFERENCE = os.path.join(HERE, "..", "..", "..", "shared", "bench")
FORMAT = "equissl-encoder/1"


def fail(message):
    print(f"export_to_torch: {message}", file=sys.stderr)
    sys.exit(2)


def read_safetensors(path):
    """(tensors as float32 torch tensors, metadata) of a safetensors file with F32 tensors."""
    import torch

    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        fail(f"{path}: cannot read ({e.strerror}); pass the file `equissl export` wrote")
    if len(raw) < 8:
        fail(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    try:
        header = json.loads(raw[8 : 8 + n].decode("utf8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        fail(f"{path}: unreadable safetensors header ({e}); pass the file `equissl export` wrote")
    meta = header.pop("__metadata__", {}) or {}
    if meta.get("format") == "equissl-checkpoint/1":
        fail(f"{path}: is a pretraining checkpoint, not an exported encoder; export it first: "
             f"npm run equissl -- export {path} --out encoder.safetensors")
    if meta.get("format") != FORMAT:
        fail(f"{path}: not an exported equissl encoder (format {meta.get('format', 'missing')}); "
             f"pass the file `npm run equissl -- export CHECKPOINT` wrote")
    base = 8 + n
    tensors = {}
    for name, e in header.items():
        if e["dtype"] != "F32":
            fail(f"{path}: tensor {name} has dtype {e['dtype']}; expected F32")
        b, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(raw[base + b : base + end]), dtype=torch.float32)
        tensors[name] = t.reshape(e["shape"])
    return tensors, meta


def wave(shape, a, b, scale):
    import torch

    n = math.prod(shape)
    return torch.tensor([scale * math.sin(a * k + b) for k in range(n)], dtype=torch.float64).reshape(shape)


def torch_name(name):
    """equissl name -> (torch ViT state-dict key, transpose?) or None for tensors not in the ViT."""
    if not name.startswith("encoder."):
        return None
    n = name[len("encoder."):]
    fixed = {"clsToken": ("cls", False), "posEmbed": ("pos", False), "maskToken": None,
             "patchEmbed.weight": ("patch_embed.weight", True), "patchEmbed.bias": ("patch_embed.bias", False),
             "norm.weight": ("norm.weight", False), "norm.bias": ("norm.bias", False)}
    if n in fixed:
        return fixed[n]
    parts = n.split(".")  # blocks.<i>.<layer...>.<weight|bias>
    if parts[0] != "blocks":
        fail(f"unexpected tensor {name}")
    i, layer, kind = parts[1], ".".join(parts[2:-1]), parts[-1]
    torch_layer = {"norm1": "n1", "norm2": "n2", "attn.qkv": "attn.qkv", "attn.proj": "attn.proj",
                   "mlp.fc1": "fc1", "mlp.fc2": "fc2"}.get(layer)
    if torch_layer is None:
        fail(f"unexpected tensor {name}")
    return (f"blocks.{i}.{torch_layer}.{kind}", kind == "weight" and not layer.startswith("norm"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("encoder", help="encoder.safetensors written by `equissl export`")
    p.add_argument("--batch", type=int, default=2, help="images in the fixed batch")
    p.add_argument("--out", default="", help="write the features as JSON here (default: stdout)")
    p.add_argument("--reference", default=DEFAULT_REFERENCE, help="folder of torch_reference.py")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()

    sys.path.insert(0, os.path.abspath(a.reference))
    try:
        import torch_reference as ref  # may re-run this script once with OpenBLAS on LD_LIBRARY_PATH
    except ImportError as e:
        fail(f"cannot import torch_reference from {a.reference} ({e}); pass --reference FOLDER")
    import torch

    torch.set_num_threads(a.threads)
    torch.set_default_dtype(torch.float64)
    tensors, meta = read_safetensors(a.encoder)
    arch = json.loads(meta["architecture"])
    vit = ref.ViT(arch["imageSize"], arch["patchSize"], arch["channels"], arch["dim"], arch["depth"],
                  arch["heads"], arch["mlpRatio"])
    for m in vit.modules():
        if isinstance(m, torch.nn.LayerNorm):
            m.eps = arch["layerNormEps"]

    state = {}
    for name, t in tensors.items():
        target = torch_name(name)
        if target is None:
            continue
        key, transpose = target
        state[key] = (t.T if transpose else t).to(torch.float64).contiguous()
    missing, unexpected = vit.load_state_dict(state, strict=False)
    if missing or unexpected:
        fail(f"{a.encoder}: does not fit the reference ViT (missing {missing}, unexpected {unexpected})")
    for key, value in vit.state_dict().items():
        if tuple(value.shape) != tuple(state[key].shape):
            fail(f"{a.encoder}: {key} has shape {list(state[key].shape)}, the ViT wants {list(value.shape)}")

    h, w, c = json.loads(meta["input"])["imageShape"]
    images = wave([a.batch, h, w, c], 0.11, 0.2, 0.5).add(0.5).to(torch.float32).to(torch.float64)
    vit.eval()
    with torch.no_grad():
        cls, patches = vit(images.permute(0, 3, 1, 2))
        out = {"encoder": a.encoder, "architecture": arch, "torch": torch.__version__,
               "images": {"shape": [a.batch, h, w, c], "formula": "0.5 * sin(0.11 k + 0.2) + 0.5 over NHWC, float32"},
               "cls": cls.tolist(), "patches": patches.tolist()}
        if meta.get("neck") == "linear":
            wt, bias = tensors["neck.weight"].to(torch.float64), tensors["neck.bias"].to(torch.float64)
            out["neck"] = {"split": json.loads(meta["split"]), "cls": (cls @ wt + bias).tolist(),
                           "patches": (patches @ wt + bias).tolist()}
    text = json.dumps(out)
    if a.out:
        with open(a.out + ".tmp", "w") as f:
            f.write(text)
        os.replace(a.out + ".tmp", a.out)
        print(f"torch {torch.__version__}: ViT D={arch['dim']} depth={arch['depth']} heads={arch['heads']}; "
              f"cls {list(cls.shape)}, patches {list(patches.shape)}; cls[0][:4] = "
              f"{[round(v, 6) for v in cls[0][:4].tolist()]}; wrote {a.out}")
    else:
        print(text)


if __name__ == "__main__":
    main()
