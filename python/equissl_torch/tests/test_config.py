"""The config reader against equissl's codecs: defaults, the merge rule, YAML 1.2, errors naming the field."""
import os

import pytest

from conftest import REPO
from equissl_torch.config import (ConfigError, apply_overrides, decode_pretrain_config, merge_defaults, parse_yaml,
                                  read_config_file)


def decode(raw):
    return decode_pretrain_config(raw, (32, 32, 3))


def test_defaults_are_equissls():
    c = decode({})
    assert (c["seed"], c["steps"], c["batchSize"], c["neck"], c["checkpointEvery"]) == (0, 120, 32, "none", 50)
    assert c["data"] == {"name": "procedural", "count": 4096, "size": 32, "seed": 0, "split": "train"}
    assert c["backbone"] == {"name": "vit-micro", "imageSize": 32, "patchSize": 4, "channels": 3, "dim": 96, "depth": 4,
                             "heads": 3, "mlpRatio": 4}
    assert c["loss"] == {"name": "vicreg", "variant": "sie", "simCoeff": None, "stdCoeff": None, "covCoeff": None,
                         "projector": [], "projectorNorm": "none"}
    assert c["reconstruction"] == {"weight": 1, "k": 2, "target": "pixels",
                                   "decoder": {"name": "conv4", "channels": 32, "input": "tokens"}}
    assert c["optimizer"] == {"lr": 5e-4, "minLr": 1e-5, "weightDecay": 0.05, "warmupSteps": 10, "beta1": 0.9,
                              "beta2": 0.999, "eps": 1e-8, "decoderLrScale": 1}
    assert c["views"]["cropScale"] == [0.3, 1] and c["views"]["jitter"]["p"] == 0.8 and c["path"]["maxDegrees"] == 45


def test_slots_merge_by_name():
    # a field of the default plugin keeps its name and the pretrain defaults; another plugin replaces the slot whole
    assert decode({"data": {"size": 16}})["data"]["count"] == 4096
    assert decode({"data": "procedural"})["data"]["count"] == 4096
    assert decode({"loss": {"name": "simclr"}})["loss"] == {"name": "simclr", "temperature": 0.2, "projector": [],
                                                            "projectorNorm": "none"}
    assert merge_defaults({"name": "vicreg", "variant": "sie"}, {"name": "simclr"}) == {"name": "simclr"}
    assert decode({"reconstruction": "off"})["reconstruction"] == "off"


def test_yaml_is_read_as_yaml_1_2():
    assert parse_yaml("a: off\nb: 1e-3\nc: no\nd: 0x10\ne: ~") == {"a": "off", "b": 0.001, "c": "no", "d": 16, "e": None}


def test_overrides_as_set_gives_them():
    c = apply_overrides({"loss": "vicreg"}, ["loss.simCoeff=5", "optimizer.lr=1e-3", "reconstruction=off"])
    assert c == {"loss": {"name": "vicreg", "simCoeff": 5}, "optimizer": {"lr": 0.001}, "reconstruction": "off"}


def test_the_examples_decode():
    c = decode(read_config_file(os.path.join(REPO, "docs", "examples", "method.yaml")))
    assert (c["steps"], c["workers"], c["optimizer"]["warmupSteps"], c["reconstruction"]["decoder"]["channels"]) == (300, 2, 20, 32)


@pytest.mark.parametrize("raw, path, words", [
    ({"optimiser": {}}, "optimiser", "unknown field; known fields: seed, steps"),
    ({"loss": {"simCoef": 1}}, "loss.simCoef", "unknown field"),
    ({"optimizer": {"lr": "ten"}}, "optimizer.lr", 'expected positive number, got "ten"'),
    ({"reconstruction": {"k": 0}}, "reconstruction.k", "expected positive integer, got 0"),
    ({"views": {"cropScale": [1, 0.3]}}, "views.cropScale", "lo <= hi"),
    ({"loss": {"name": "ibot"}}, "loss.name", 'loss plugin "ibot" is not supported by equissl_torch'),
    ({"data": {"name": "cifar-binary"}}, "data.name", "train this config with equissl pretrain"),
    ({"loss": {"name": "nope"}}, "loss.name", 'unknown loss plugin "nope"'),
    ({"path": {"name": "rotation", "fill": "wrap"}}, "path.fill", '"wrap" is not supported'),
    ({"plugins": ["./x.ts"]}, "plugins", "TypeScript"),
    ({"steps": True}, "steps", "expected positive integer, got true"),
])
def test_errors_name_the_field(raw, path, words):
    with pytest.raises(ConfigError) as e:
        decode(raw)
    assert e.value.path == path
    assert words in str(e.value)
