"""equissl's checkpoint file, read and written: the contract of docs/checkpoint-contract.md.

A checkpoint is one safetensors file (packages/core/src/safetensors.ts: an
8-byte little-endian header length, a JSON header padded with spaces to a
multiple of 8, then the raw little-endian float32 data in header order) holding

- `param/<name>`: every trained parameter, in equissl's names and layouts
  (dense kernels [in, out], convolutions [3, 3, in, out]);
- `adam.m/<name>`, `adam.v/<name>`: AdamW's moments, in the same layouts;
- metadata (strings): `format` (`equissl-checkpoint/1`), `step`, `stream`,
  `lossState`, `config`, `backend`, `imageShape`, `encoder`, `plugins`,
  `savedAt` (packages/encoder/src/checkpoint.ts and spec.ts).

The model here (model.py) names its parameters as equissl does, so the only
conversion is the layout: `to_equissl` / `from_equissl` transpose torch's
Linear weights ([out, in]) and permute its Conv2d weights ([out, in, kh, kw]).
Files are written to a temporary file beside the target and renamed, so a
crash never leaves a half-written checkpoint. Only the standard library,
numpy and torch are needed (no `safetensors` package).
"""
import datetime
import json
import os
import struct

import numpy as np
import torch

FORMAT = "equissl-checkpoint/1"


class CheckpointError(Exception):
    """A checkpoint that cannot be used: the message names the file and the tensor or key, and says what to do."""


# ----------------------------------------------------------------------------- safetensors


def write_safetensors(path, tensors, metadata):
    """Writes named float32/int32 numpy arrays (in the given order) and string metadata, atomically."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    offset = 0
    arrays = []
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        if a.dtype not in (np.float32, np.int32):
            a = a.astype(np.float32)
        arrays.append(a)
        header[name] = {"dtype": "F32" if a.dtype == np.float32 else "I32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False)
    while (8 + len(text.encode("utf8"))) % 8 != 0:
        text += " "
    raw = text.encode("utf8")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(raw)))
            f.write(raw)
            for a in arrays:
                f.write(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())
        os.replace(tmp, path)
    except OSError as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise CheckpointError(f"{path}: cannot write ({e.strerror}); check the folder exists and is writable") from None


def read_safetensors(path):
    """(ordered dict name → numpy array, metadata dict) of a safetensors file with F32/I32 tensors."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint file") from None
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read ({e.strerror})") from None
    if len(raw) < 8:
        raise CheckpointError(f"{path}: too short for a safetensors file ({len(raw)} bytes)")
    if len(raw) > 8 and raw[8:9] != b"{":
        raise CheckpointError(f"{path}: is not a safetensors file; pass a checkpoint.safetensors written by "
                              "equissl pretrain or equissl_torch.train")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise CheckpointError(f"{path}: truncated: header of {n} bytes but the file has {len(raw)} bytes")
    try:
        header = json.loads(raw[8: 8 + n].decode("utf8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: unreadable safetensors header ({e})") from None
    meta = header.pop("__metadata__", None) or {}
    base = 8 + n
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        dtype = {"F32": "<f4", "I32": "<i4"}.get(e["dtype"])
        if dtype is None:
            raise CheckpointError(f'{path}: tensor "{name}" has dtype {e["dtype"]}; only F32 and I32 are supported')
        count = int(np.prod(e["shape"])) if e["shape"] else 1
        if end - begin != 4 * count or base + end > len(raw):
            raise CheckpointError(f'{path}: tensor "{name}" has {end - begin} bytes for shape {e["shape"]}')
        tensors[name] = np.frombuffer(raw, dtype, count, base + begin).reshape(e["shape"]).astype(dtype[1:], copy=True)
    return tensors, meta


# ----------------------------------------------------------------------------- layouts


def layout(name, ndim):
    """How equissl lays out parameter `name` with `ndim` axes: 'dense' ([in, out]), 'conv' ([3, 3, in, out]) or 'same'."""
    if ndim == 4 and name.startswith("decoders."):
        return "conv"
    if ndim == 2 and name.endswith(".weight"):
        return "dense"
    return "same"


def to_equissl(name, t):
    """A torch parameter as equissl stores it (numpy float32)."""
    a = t.detach().to("cpu", torch.float32)
    kind = layout(name, a.ndim)
    if kind == "dense":
        a = a.T
    elif kind == "conv":
        a = a.permute(2, 3, 1, 0)
    return np.ascontiguousarray(a.numpy())


def from_equissl(name, a, like):
    """An equissl tensor as the torch parameter `like` holds it; shape mismatches name the tensor."""
    t = torch.from_numpy(np.ascontiguousarray(a))
    kind = layout(name, like.ndim)
    if kind == "dense" and t.ndim == 2:
        t = t.T
    elif kind == "conv" and t.ndim == 4:
        t = t.permute(3, 2, 0, 1)
    if tuple(t.shape) != tuple(like.shape):
        want = tuple(like.shape) if kind == "same" else tuple(to_equissl(name, like).shape)
        raise CheckpointError(f"{name}: has shape {list(a.shape)} in the checkpoint, the model wants {list(want)}; "
                              "was it trained with another backbone, loss or decoder config?")
    return t.contiguous()


def equissl_order(names):
    """Parameter names in equissl's creation order: encoder (patch embedding, tokens, blocks, norm), neck, loss, decoders."""
    head = {"encoder.patchEmbed.weight": 0, "encoder.patchEmbed.bias": 1, "encoder.clsToken": 2, "encoder.posEmbed": 3,
            "encoder.maskToken": 4}
    group = lambda n: 0 if n.startswith("encoder.") else 1 if n.startswith("neck.") else 2 if n.startswith("loss.") else 3
    return [n for _, n in sorted(enumerate(names), key=lambda p: (group(p[1]), head.get(p[1], 5), p[0]))]


def model_tensors(model):
    """{equissl name: torch tensor} of every parameter and of the encoder's mask token, in torch's layout."""
    out = {n: p for n, p in model.named_parameters()}
    out["encoder.maskToken"] = model.encoder.maskToken
    return {n: out[n] for n in equissl_order(list(out))}


# ----------------------------------------------------------------------------- checkpoints


def plugin_uses(config):
    """spec.ts `pluginUses` without modules: the plugins the config's slots name (built into equissl)."""
    uses = [("dataset", "data", config["data"]), ("transform", "path", config["path"])]
    if config["augment"] is not None:
        uses.append(("transform", "augment", config["augment"]))
    uses += [("backbone", "backbone", config["backbone"]), ("loss", "loss", config["loss"])]
    if config["reconstruction"] != "off":
        uses.append(("decoder", "reconstruction.decoder", config["reconstruction"]["decoder"]))
    return [{"kind": k, "name": s["name"], "field": f} for k, f, s in uses]


def save_checkpoint(path, model, optimizer, moments, *, step, stream, given_config, config, image_shape, backend):
    """Writes the run's state as equissl writes it (pipeline/run.ts `checkpoint`)."""
    params = model_tensors(model)
    state = optimizer.state if optimizer is not None else {}
    tensors = {}
    for name, p in params.items():
        tensors[f"param/{name}"] = to_equissl(name, p)
    for kind, key in (("adam.m", "exp_avg"), ("adam.v", "exp_avg_sq")):
        for name, p in params.items():
            s = state.get(p, {}) if isinstance(p, torch.nn.Parameter) else {}
            if key in s:
                tensors[f"{kind}/{name}"] = to_equissl(name, s[key])
            elif (kind, name) in moments:
                tensors[f"{kind}/{name}"] = moments[(kind, name)]
            else:
                tensors[f"{kind}/{name}"] = np.zeros_like(tensors[f"param/{name}"])
    for name, a in tensors.items():
        if not np.isfinite(a).all():
            raise CheckpointError(f'tensor "{name}" holds a non-finite value after step {step}, so no checkpoint was '
                                  "written; lower optimizer.lr and resume from the last checkpoint or restart")
    spec = {"backbone": config["backbone"], "neck": config["neck"], "dInv": model.d_inv, "dEqui": model.d_equi}
    metadata = {
        "format": FORMAT,
        "step": str(step),
        "stream": json.dumps(stream, separators=(",", ":")),
        "lossState": "null",
        "config": json.dumps(given_config, separators=(",", ":")),
        "backend": backend,
        "imageShape": json.dumps(list(image_shape), separators=(",", ":")),
        "encoder": json.dumps(spec, separators=(",", ":")),
        "plugins": json.dumps(plugin_uses(config), separators=(",", ":")),
        "savedAt": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    write_safetensors(path, tensors, metadata)


def read_checkpoint(path):
    """(tensors, metadata with JSON values parsed) of an equissl checkpoint; other files are refused naming why."""
    tensors, meta = read_safetensors(path)
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: is not an equissl checkpoint (format {meta.get('format', 'missing')}); "
                              "an exported encoder (equissl export) has no training state")
    parsed = dict(meta)
    try:
        for key in ("stream", "lossState", "config", "imageShape", "encoder", "plugins"):
            if key in meta:
                parsed[key] = json.loads(meta[key])
        parsed["step"] = int(meta["step"])
    except (KeyError, ValueError) as e:
        raise CheckpointError(f"{path}: has unreadable metadata ({e})") from None
    return tensors, parsed


def load_parameters(path, tensors, model):
    """Assigns `param/<name>` of a checkpoint to every parameter (and the mask token) of `model`; names what is missing."""
    targets = model_tensors(model)
    loaded = {}
    for name, t in targets.items():
        a = tensors.get(f"param/{name}")
        if a is None:
            raise CheckpointError(f'{path}: has no tensor "param/{name}"; was it trained with another config '
                                  "(loss projector, reconstruction, neck)? Give the config it was trained with")
        try:
            loaded[name] = from_equissl(name, a, t)
        except CheckpointError as e:
            raise CheckpointError(f"{path}: {e}") from None
    with torch.no_grad():
        for name, t in targets.items():
            t.copy_(loaded[name].to(t))


def load_moments(path, tensors, model, optimizer, step):
    """Restores AdamW's moments and step count from `adam.m/…`, `adam.v/…`; returns the moments of non-parameters."""
    extra = {}
    for name, t in model_tensors(model).items():
        m, v = tensors.get(f"adam.m/{name}"), tensors.get(f"adam.v/{name}")
        if m is None or v is None:
            raise CheckpointError(f'{path}: has no optimizer state for "{name}" (adam.m/…, adam.v/…); '
                                  "start a new run from its weights with --init instead of --resume")
        if not isinstance(t, torch.nn.Parameter):
            extra[("adam.m", name)], extra[("adam.v", name)] = m, v
            continue
        optimizer.state[t] = {"step": torch.tensor(float(step)), "exp_avg": from_equissl(name, m, t).to(t),
                              "exp_avg_sq": from_equissl(name, v, t).to(t)}
    return extra
