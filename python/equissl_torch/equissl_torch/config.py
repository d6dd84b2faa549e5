"""equissl's pretraining config, read and checked as `equissl pretrain` reads it.

The same file (YAML or JSON), the same `--set key.path=value` overrides
(values parsed as YAML), the same field names, defaults and merge rule
(packages/core/src/codec.ts `mergeDefaults`: objects merge key by key, a
plugin slot written as a bare name is that slot, a slot naming another plugin
replaces the default whole) and the same checks as the TypeScript codecs
(packages/encoder/src/config.ts and each plugin's codec). A field equissl does
not know is an error naming it and the known fields; a plugin or a value
equissl knows but this package does not train (the losses sie, ibot, dinov2
and stl; the cifar-binary dataset; fill modes reflect and wrap) is an error
naming the field and saying to train that config with `equissl pretrain`.

YAML is read as YAML 1.2 (the npm `yaml` package's core schema, which
equissl uses): `off` and `no` are strings and `1e-3` is a number, unlike
PyYAML's YAML 1.1 defaults.

`decode_pretrain_config(raw)` returns the decoded config: a dict with every
field filled in, plugin slots decoded into `{name, …every field}`.
"""
import copy
import json
import math
import os
import re

import yaml


class ConfigError(Exception):
    """A config field that cannot be used: `path` is the dotted field (`loss.simCoeff`), the message says why."""

    def __init__(self, path, detail):
        self.path = path
        self.detail = detail
        super().__init__(f"{path}: {detail}" if path else detail)


# ----------------------------------------------------------------------------- YAML 1.2


class _Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader with the YAML 1.2 core schema's scalars (as the npm `yaml` package)."""


_Yaml12Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+.0123456789")),
]:
    _Yaml12Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _construct_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


def _construct_float(loader, node):
    text = loader.construct_scalar(node).lower()
    if text.endswith("inf"):
        return -math.inf if text.startswith("-") else math.inf
    if text.endswith("nan"):
        return math.nan
    return float(text)


_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def parse_yaml(text):
    """A YAML 1.2 document (JSON included) as plain Python values."""
    return yaml.load(text, Loader=_Yaml12Loader)


def read_config_file(path):
    """A YAML or JSON config file as a dict (`--config`)."""
    try:
        with open(path, encoding="utf8") as f:
            text = f.read()
    except FileNotFoundError:
        raise ConfigError("", f"{path}: no such config file") from None
    except OSError as e:
        raise ConfigError("", f"{path}: cannot read ({e.strerror})") from None
    try:
        parsed = parse_yaml(text)
    except yaml.YAMLError as e:
        raise ConfigError("", f"{path}: not valid YAML/JSON ({str(e).splitlines()[0]})") from None
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise ConfigError("", f"{path}: the config must be a mapping of fields, got {json.dumps(parsed)[:40]}")
    return parsed


def normalise_slot(u):
    """A plugin slot written as a name alone, 'vicreg', is {'name': 'vicreg'}."""
    return {"name": u} if isinstance(u, str) else u


def apply_overrides(config, overrides):
    """Applies `key.path=value` overrides (value parsed as YAML) to a copy of `config`, as `--set` does."""
    out = copy.deepcopy(config)
    for o in overrides:
        eq = o.find("=")
        if eq <= 0:
            raise ConfigError("", f"--set {o}: expected key.path=value")
        path = o[:eq].split(".")
        try:
            value = parse_yaml(o[eq + 1:])
        except yaml.YAMLError:
            value = o[eq + 1:]
        node = out
        for key in path[:-1]:
            nxt = node.get(key)
            if isinstance(nxt, str):
                node[key] = normalise_slot(nxt)
            elif not isinstance(nxt, dict):
                node[key] = {}
            node = node[key]
        node[path[-1]] = value
    return out


def merge_defaults(defaults, given):
    """codec.ts `mergeDefaults`: fills what `given` leaves out from `defaults`, at every depth, slots by name."""
    if given is None:
        return copy.deepcopy(defaults)
    if not isinstance(defaults, dict):
        return copy.deepcopy(given)
    slot = isinstance(defaults.get("name"), str)
    g = normalise_slot(given) if slot else given
    if not isinstance(g, dict):
        return copy.deepcopy(g)
    if slot and isinstance(g.get("name"), str) and g["name"] != defaults["name"]:
        return copy.deepcopy(g)
    out = copy.deepcopy(defaults)
    for k, v in g.items():
        out[k] = merge_defaults(defaults.get(k), v)
    return out


# ----------------------------------------------------------------------------- codecs

_MISSING = object()


def _render(v):
    if v is _MISSING or v is None:
        return "nothing"
    try:
        text = json.dumps(v)
    except (TypeError, ValueError):
        text = str(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _join(path, key):
    return key if path == "" else f"{path}.{key}"


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def number(what, ok):
    """A finite number satisfying `ok`; integers stay ints."""

    def check(v, path):
        if not _is_number(v) or not math.isfinite(v) or not ok(v):
            raise ConfigError(path, f"expected {what}, got {_render(v)}")
        return int(v) if float(v).is_integer() and ("integer" in what) else v

    check.what = what
    return check


positive_int = number("positive integer", lambda n: float(n).is_integer() and n > 0)
non_negative_int = number("non-negative integer", lambda n: float(n).is_integer() and n >= 0)
positive = number("positive number", lambda n: n > 0)
non_negative = number("non-negative number", lambda n: n >= 0)
probability = number("number in [0, 1]", lambda n: 0 <= n <= 1)
finite = number("finite number", lambda n: True)


def any_number(v, path):
    if not _is_number(v):
        raise ConfigError(path, f"expected number, got {_render(v)}")
    return v


def boolean(v, path):
    if not isinstance(v, bool):
        raise ConfigError(path, f"expected boolean, got {_render(v)}")
    return v


def string(v, path):
    if not isinstance(v, str):
        raise ConfigError(path, f"expected string, got {_render(v)}")
    return v


def literal(*values):
    """One of `values` (numbers compare as numbers, as io-ts literals do)."""

    def same(v, x):
        return (_is_number(v) and _is_number(x) and v == x) or (isinstance(v, str) and v == x)

    def check(v, path):
        for x in values:
            if same(v, x):
                return x
        raise ConfigError(path, f"expected {' | '.join(json.dumps(x) for x in values)}, got {_render(v)}")

    return check


def optional(inner):
    """`t.union([inner, t.undefined])` (null is accepted as unset too)."""

    def check(v, path):
        return None if v is None or v is _MISSING else inner(v, path)

    return check


def interval(v, path):
    if (not isinstance(v, list) or len(v) != 2 or not all(_is_number(x) and math.isfinite(x) for x in v)
            or v[0] > v[1]):
        raise ConfigError(path, f"expected [lo, hi] with lo <= hi, got {_render(v)}")
    return [v[0], v[1]]


def array_of(inner):
    def check(v, path):
        if not isinstance(v, list):
            raise ConfigError(path, f"expected a list, got {_render(v)}")
        return [inner(x, f"{path}[{i}]") for i, x in enumerate(v)]

    return check


def struct(name, props, defaults):
    """A strict struct with defaults (codec.ts `struct`): unknown fields are errors naming the known ones."""

    def check(v, path):
        given = {} if v is None or v is _MISSING else v
        if not isinstance(given, dict):
            raise ConfigError(path, f"expected an object ({name}), got {_render(v)}")
        extra = [k for k in given if k not in props]
        if extra:
            raise ConfigError(_join(path, extra[0]), f"unknown field; known fields: {', '.join(props)}")
        merged = merge_defaults(defaults, given)
        return {k: check_field(merged.get(k, _MISSING), _join(path, k)) for k, check_field in props.items()}

    return check


# ----------------------------------------------------------------------------- plugins

JITTER = struct("jitter", {"p": probability, "brightness": non_negative, "contrast": non_negative,
                           "saturation": non_negative, "hue": non_negative},
                {"p": 0.8, "brightness": 0.4, "contrast": 0.4, "saturation": 0.2, "hue": 0.1})
BLUR = struct("blur", {"p": probability, "sigma": interval}, {"p": 0.2, "sigma": [0.1, 1]})
VIEW_DEFAULTS = {"size": None, "cropScale": [0.3, 1], "cropRatio": [3 / 4, 4 / 3], "flip": 0.5,
                 "jitter": {"p": 0.8, "brightness": 0.4, "contrast": 0.4, "saturation": 0.2, "hue": 0.1},
                 "grayscale": 0.2, "blur": {"p": 0.2, "sigma": [0.1, 1]}, "solarize": 0, "pairing": "independent"}
VIEWS = struct("views", {"size": optional(positive_int), "cropScale": interval, "cropRatio": interval, "flip": probability,
                         "jitter": JITTER, "grayscale": probability, "blur": BLUR, "solarize": probability,
                         "pairing": literal("independent", "shared-crop")}, VIEW_DEFAULTS)

OPTIMIZER_DEFAULTS = {"lr": 5e-4, "minLr": 1e-5, "weightDecay": 0.05, "warmupSteps": 10, "beta1": 0.9, "beta2": 0.999,
                      "eps": 1e-8, "decoderLrScale": 1}
OPTIMIZER = struct("optimizer", {"lr": positive, "minLr": non_negative, "weightDecay": non_negative,
                                 "warmupSteps": non_negative_int, "beta1": probability, "beta2": probability,
                                 "eps": positive, "decoderLrScale": positive}, OPTIMIZER_DEFAULTS)


def _fill(supported):
    """The `fill` field of a warping family: equissl's FillMode, the modes this package samples exactly."""
    known = literal("constant", "reflect", "nearest", "wrap")

    def check(v, path):
        v = known(v, path)
        if v not in supported:
            raise ConfigError(path, f'"{v}" is not supported by equissl_torch (it samples {" and ".join(supported)} '
                                    "exactly as equissl); use one of those or train with equissl pretrain")
        return v

    return check


FILL = _fill(("constant", "nearest"))
_VIT = {"imageSize": positive_int, "patchSize": positive_int, "channels": positive_int, "dim": positive_int,
        "depth": positive_int, "heads": positive_int, "mlpRatio": positive}
_SMALL = {"imageSize": 32, "patchSize": 4, "channels": 3, "mlpRatio": 4}
_PROJ = {"projector": array_of(positive_int), "projectorNorm": literal("none", "batch")}
_PROJ_DEFAULTS = {"projector": [], "projectorNorm": "none"}

#: Every plugin this package trains, by kind: name → codec (the plugin's own struct and defaults).
PLUGINS = {
    "dataset": {
        "procedural": struct("procedural", {"count": positive_int, "size": positive_int, "seed": any_number,
                                            "split": literal("train", "test")},
                             {"count": 2048, "size": 32, "seed": 0, "split": "train"}),
        "image-folder": struct("image-folder", {
            "dir": string, "size": positive_int, "channels": literal(1, 3), "fit": literal("cover", "fill", "contain"),
            "extensions": array_of(string), "skipCorrupt": boolean, "split": literal("all", "train", "test"),
            "testFraction": probability, "splitSeed": finite},
            {"dir": "", "size": 32, "channels": 3, "fit": "cover",
             "extensions": [".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".avif"],
             "skipCorrupt": False, "split": "all", "testFraction": 0.2, "splitSeed": 0}),
        "idx": struct("idx", {"dir": string, "images": optional(string), "labels": optional(string),
                              "split": literal("train", "test"), "channels": literal(1, 3), "pad": non_negative_int,
                              "limit": non_negative_int, "skipCorrupt": boolean},
                      {"dir": os.environ.get("EQUISSL_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"),
                       "images": None, "labels": None, "split": "train", "channels": 3, "pad": 0, "limit": 0,
                       "skipCorrupt": False}),
    },
    "transform": {
        "rotation": struct("rotation", {"maxDegrees": non_negative, "fill": FILL}, {"maxDegrees": 45, "fill": "constant"}),
        "translation": struct("translation", {"imageSize": optional(positive_int), "maxPixels": optional(non_negative),
                                              "fill": FILL}, {"imageSize": None, "maxPixels": None, "fill": "constant"}),
        "se2": struct("se2", {"maxDegrees": non_negative, "imageSize": optional(positive_int),
                              "maxPixels": optional(non_negative), "fill": FILL},
                      {"maxDegrees": 45, "imageSize": None, "maxPixels": None, "fill": "constant"}),
        "colorJitter": struct("colorJitter", {"brightness": non_negative, "contrast": non_negative,
                                              "saturation": non_negative, "hue": non_negative},
                              {"brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.1}),
        "gaussianBlur": struct("gaussianBlur", {"sigma": interval}, {"sigma": [0.1, 2]}),
        "all": struct("all", {"maxDegrees": non_negative, "imageSize": optional(positive_int),
                              "maxPixels": optional(non_negative), "fill": FILL},
                      {"maxDegrees": 45, "imageSize": None, "maxPixels": None, "fill": "constant"}),
        "allRot": struct("allRot", {"maxDegrees": non_negative, "allMaxDegrees": non_negative,
                                    "imageSize": optional(positive_int), "maxPixels": optional(non_negative), "fill": FILL},
                         {"maxDegrees": 45, "allMaxDegrees": 45, "imageSize": None, "maxPixels": None, "fill": "constant"}),
    },
    "backbone": {
        "vit-micro": struct("vit-micro", _VIT, {**_SMALL, "dim": 96, "depth": 4, "heads": 3}),
        "vit-tiny": struct("vit-tiny", _VIT, {**_SMALL, "dim": 192, "depth": 12, "heads": 3}),
        "vit-small": struct("vit-small", _VIT, {**_SMALL, "dim": 384, "depth": 12, "heads": 6}),
        "vit": struct("vit", _VIT, {**_SMALL, "dim": 192, "depth": 6, "heads": 3}),
    },
    "loss": {
        "vicreg": struct("vicreg", {"variant": literal("sie", "vicreg"), "simCoeff": optional(non_negative),
                                    "stdCoeff": optional(non_negative), "covCoeff": optional(non_negative), **_PROJ},
                         {"variant": "sie", "simCoeff": None, "stdCoeff": None, "covCoeff": None, **_PROJ_DEFAULTS}),
        "simclr": struct("simclr", {"temperature": positive, **_PROJ}, {"temperature": 0.2, **_PROJ_DEFAULTS}),
        "barlow-twins": struct("barlow-twins", {"lambda": non_negative, **_PROJ}, {"lambda": 5e-3, **_PROJ_DEFAULTS}),
    },
    "decoder": {
        "conv4": struct("conv4", {"channels": positive_int, "input": literal("tokens", "pooled")},
                        {"channels": 32, "input": "tokens"}),
    },
}

#: Plugins equissl has and this package does not train, by kind.
NOT_HERE = {
    "dataset": ["cifar-binary"],
    "loss": ["sie", "ibot", "dinov2", "stl"],
}


def decode_slot(kind, slot, path):
    """A plugin slot decoded by its plugin's codec: `{name, …every field}` (registry.ts `decode`)."""
    slot = normalise_slot(slot)
    if not isinstance(slot, dict):
        raise ConfigError(path, f"expected a {kind} plugin config {{ name, ... }}, got {_render(slot)}")
    name = slot.get("name")
    known = PLUGINS[kind]
    if not isinstance(name, str):
        raise ConfigError(_join(path, "name"), f"expected the name of a {kind} plugin (one of: {', '.join(known)}), "
                                               f"got {_render(name)}")
    if name not in known:
        if name in NOT_HERE.get(kind, []):
            raise ConfigError(_join(path, "name"), f'{kind} plugin "{name}" is not supported by equissl_torch '
                                                   f"(its {kind} plugins: {', '.join(known)}); train this config with equissl pretrain")
        raise ConfigError(_join(path, "name"), f'unknown {kind} plugin "{name}"; equissl_torch knows {", ".join(known)}')
    fields = {k: v for k, v in slot.items() if k != "name"}
    return {**known[name](fields, path), "name": name}


def _slot(kind):
    def check(v, path):
        v = normalise_slot(v)
        if not isinstance(v, dict):
            raise ConfigError(path, f"expected a {kind} plugin config {{ name, ... }}, got {_render(v)}")
        if not isinstance(v.get("name"), str):
            raise ConfigError(_join(path, "name"), f"expected the name of a {kind} plugin, got {_render(v.get('name'))}")
        return v

    return check


RECONSTRUCTION_DEFAULTS = {"weight": 1, "k": 2, "target": "pixels", "decoder": {"name": "conv4"}}
_RECONSTRUCTION = struct("reconstruction", {"weight": non_negative, "k": positive_int,
                                            "target": literal("pixels", "normalised"), "decoder": _slot("decoder")},
                         RECONSTRUCTION_DEFAULTS)


def _reconstruction(v, path):
    return "off" if v == "off" else _RECONSTRUCTION(v, path)


def _workers(v, path):
    return "auto" if v == "auto" else positive_int(v, path)


PRETRAIN_DEFAULTS = {
    "seed": 0, "steps": 120, "batchSize": 32, "data": {"name": "procedural", "count": 4096, "size": 32},
    "views": VIEW_DEFAULTS, "augment": None, "path": {"name": "rotation"}, "backbone": {"name": "vit-micro"},
    "neck": "none", "equiFraction": None, "loss": {"name": "vicreg"}, "reconstruction": RECONSTRUCTION_DEFAULTS,
    "optimizer": OPTIMIZER_DEFAULTS, "checkpointEvery": 50, "workers": "auto",
}
PRETRAIN = struct("pretrain", {
    "seed": finite, "steps": positive_int, "batchSize": positive_int, "data": _slot("dataset"), "views": VIEWS,
    "augment": lambda v, p: None if v is None or v is _MISSING else _slot("transform")(v, p),
    "path": _slot("transform"), "backbone": _slot("backbone"), "neck": literal("none", "linear"),
    "equiFraction": optional(probability), "loss": _slot("loss"), "reconstruction": _reconstruction,
    "optimizer": OPTIMIZER, "checkpointEvery": non_negative_int, "workers": _workers,
}, PRETRAIN_DEFAULTS)


def equivariant_channels(d, fraction):
    """split.ts `equivariantChannels`: Math.round(d · fraction)."""
    return int(math.floor(d * fraction + 0.5))


def decode_pretrain_config(raw, image_shape=None):
    """The decoded config of `raw` (a dict as read from YAML): every field filled, plugin slots decoded.

    Raises ConfigError naming the field. `image_shape` ([H, W, C] of the
    training images) fills the backbone's `imageSize` and `channels` where the
    config leaves them out; without it the backbone slot is decoded later
    (`resolve_backbone`).
    """
    if isinstance(raw, dict) and "plugins" in raw:
        raise ConfigError("plugins", "user plugin modules are TypeScript, which equissl_torch cannot load; "
                                     "train a config that names your own plugins with equissl pretrain")
    c = PRETRAIN(raw if raw is not None else {}, "")
    c["data"] = decode_slot("dataset", c["data"], "data")
    c["path"] = decode_slot("transform", c["path"], "path")
    if c["augment"] is not None:
        c["augment"] = decode_slot("transform", c["augment"], "augment")
    c["loss"] = decode_slot("loss", c["loss"], "loss")
    if c["reconstruction"] != "off":
        c["reconstruction"]["decoder"] = decode_slot("decoder", c["reconstruction"]["decoder"], "reconstruction.decoder")
    if image_shape is not None:
        c["backbone"] = resolve_backbone(c["backbone"], image_shape)
    return c


def resolve_backbone(slot, image_shape):
    """The backbone slot decoded, `imageSize` and `channels` from the images where not given (encoder.ts `withDefaults`)."""
    h, w, ch = image_shape
    if h != w:
        raise ConfigError("data", f"images must be square for the ViT, got {h}×{w}; resize them (image-folder \"size\")")
    s = dict(normalise_slot(slot))
    s.setdefault("imageSize", h)
    s.setdefault("channels", ch)
    b = decode_slot("backbone", s, "backbone")
    if b["imageSize"] % b["patchSize"] != 0:
        raise ConfigError("backbone", f"imageSize {b['imageSize']} is not a multiple of patchSize {b['patchSize']}")
    if b["dim"] % b["heads"] != 0:
        raise ConfigError("backbone", f"dim {b['dim']} is not divisible by heads {b['heads']}")
    if b["imageSize"] != h or b["channels"] != ch:
        raise ConfigError("backbone", f"imageSize {b['imageSize']} and channels {b['channels']} do not fit the data's "
                                      f"{h}×{w}×{ch} images; leave them out to take the data's")
    return b


def check_model(c, world=1):
    """buildModel's checks (pipeline/model.ts) and the split; returns (dInv, dEqui)."""
    d = c["backbone"]["dim"]
    fraction = 0.5 if c["equiFraction"] is None else c["equiFraction"]
    d_equi = equivariant_channels(d, fraction)
    d_inv = d - d_equi
    if d_inv == 0:
        raise ConfigError("equiFraction", f"leaves no invariant channels of {d}; use a value below 1")
    if c["reconstruction"] != "off" and d_equi == 0:
        raise ConfigError("equiFraction", "leaves no equivariant channels for the decoders; raise it or set reconstruction: off")
    if c["batchSize"] < 2:
        raise ConfigError("batchSize", f"{c['batchSize']} is too small for loss \"{c['loss']['name']}\", which computes "
                                       "batch statistics and needs at least 2 images per batch")
    if c["batchSize"] % world != 0:
        raise ConfigError("batchSize", f"{c['batchSize']} cannot be split evenly over {world} processes; "
                                       "choose a batchSize that is a multiple of --nproc_per_node")
    if c["reconstruction"] != "off":
        p = c["backbone"]["patchSize"]
        if p & (p - 1) or p > 16:
            raise ConfigError("reconstruction.decoder", f"patch size {p} is not a power of two up to 16")
    return d_inv, d_equi
