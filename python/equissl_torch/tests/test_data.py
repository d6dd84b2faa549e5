"""Data as equissl reads it: the generator's streams, the procedural images, the batch order, image folders, IDX files."""
import gzip
import json
import os

import numpy as np
import pytest

from conftest import FIXTURES
from equissl_torch.data import BatchOrder, EquisslSampler, ImageDataset, open_dataset, split_entries
from equissl_torch.procedural import render
from equissl_torch.rng import Rng


def test_rng_draws_what_equissls_draws():
    # values printed by packages/core/src/rng.ts for the same calls
    r = Rng.seeded(0).fork("augment").fork(3).fork(1)
    assert r.next_uint32() == 3745326969
    assert r.uniform() == 0.33932161470875144
    assert r.between(-45, 45) == 0.5924448603764176
    assert r.int(7) == 0
    assert [r.normal(), r.normal(), r.normal()] == [1.2990840553145904, 1.5050891986024437, -1.2203763612899425]
    assert Rng.seeded(12345).fork("data").fork(0).permutation(10) == [5, 1, 0, 3, 4, 8, 9, 7, 2, 6]
    assert Rng.seeded(0).fork("data").state() == [2344958853, 2101171485, 1339195671, 1701321818]
    assert Rng.seeded(-5.5).state() == [1959625965, 3985765495, 1553781357, 1563421749]


def test_procedural_images_are_equissls():
    with open(os.path.join(FIXTURES, "procedural.json")) as f:
        expected = json.load(f)["images"]
    for e in expected:
        image, label = render(0, e["split"], e["index"], e["size"])
        assert label == e["label"]
        assert image.shape == (e["size"], e["size"], 3) and image.dtype == np.float32
        assert image.reshape(-1)[:12].tolist() == e["first"]
        assert float(image.astype(np.float64).sum()) == pytest.approx(e["sum"], abs=1e-9)


def test_batch_order_is_the_streams():
    # equissl's checkpoint after 2 steps of batch 8 over 64 images stores this stream state
    order = BatchOrder.seeded(64, 8, 0)
    first = order.next()
    order.next()
    assert order.state() == {"seed": [2344958853, 2101171485, 1339195671, 1701321818], "epoch": 0, "cursor": 16, "skipped": 0}
    assert first == Rng.from_state(order.seed).fork(0).permutation(64)[:8]
    # the incomplete last batch is dropped: 20 images in batches of 8 give two per epoch
    short = BatchOrder.seeded(20, 8, 0)
    batches = [short.next() for _ in range(3)]
    assert short.epoch == 1 and short.cursor == 8
    assert sorted(batches[0] + batches[1]) == sorted(Rng.from_state(short.seed).fork(0).permutation(20)[:16])
    resumed = BatchOrder.from_state(20, 8, {"seed": short.seed, "epoch": 0, "cursor": 16})
    assert resumed.next() == batches[2]


def test_sampler_gives_each_rank_its_shard_of_every_batch():
    data = ImageDataset(open_dataset({"name": "procedural", "count": 64, "size": 8, "seed": 0, "split": "train"}))
    order = BatchOrder.seeded(64, 8, 0)
    shards = [list(EquisslSampler(data, order, 3, num_replicas=2, rank=r)) for r in range(2)]
    batches = [order.next() for _ in range(3)]
    assert shards[0] == [i for b in batches for i in b[:4]]
    assert shards[1] == [i for b in batches for i in b[4:]]
    assert len(EquisslSampler(data, order, 3, num_replicas=2, rank=0)) == 12


def test_image_folder_split_and_labels(tmp_path):
    pil = pytest.importorskip("PIL.Image", reason="needs Pillow: apt-get install python3-pil")
    for cls, colour in [("b-red", (255, 0, 0)), ("a-green", (0, 255, 0))]:
        os.makedirs(tmp_path / cls)
        for i in range(5):
            pil.new("RGB", (20, 12), colour).save(tmp_path / cls / f"{i}.png")
    c = {"name": "image-folder", "dir": str(tmp_path), "size": 8, "channels": 3, "fit": "cover",
         "extensions": [".png"], "skipCorrupt": False, "split": "all", "testFraction": 0.2, "splitSeed": 0}
    ds = open_dataset(c)
    assert len(ds) == 10 and ds.class_names == ["a-green", "b-red"] and ds.image_shape == (8, 8, 3)
    x, y = ds.read([0, 9])
    assert y.tolist() == [0, 1]
    assert np.allclose(x[0, ..., 1], 1) and np.allclose(x[1, ..., 0], 1) and np.allclose(x[1, ..., 1], 0)
    test = open_dataset({**c, "split": "test"})
    train = open_dataset({**c, "split": "train"})
    assert len(test) == 2 and len(train) == 8
    assert sorted(test.read(range(2))[1].tolist()) == [0, 1]
    assert not {e[0] for e in test.entries} & {e[0] for e in train.entries}


def test_split_entries_follow_equissls_streams():
    entries = [(f"f{i}", i % 2) for i in range(10)]
    test = split_entries(entries, "test", 0.2, 0)
    root = Rng.seeded(0).fork("image-folder-split")
    chosen = [e for label in (0, 1) for e in root.fork(f"class {label}").shuffle([x for x in entries if x[1] == label])[:1]]
    assert test == root.fork("order test").shuffle(chosen)


def test_idx_files_padded_and_replicated(tmp_path):
    images = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    with gzip.open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + b"".join(int(s).to_bytes(4, "big") for s in images.shape) + images.tobytes())
    with open(tmp_path / "train-labels-idx1-ubyte", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + (2).to_bytes(4, "big") + bytes([7, 3]))
    ds = open_dataset({"name": "idx", "dir": str(tmp_path), "images": None, "labels": None, "split": "train",
                       "channels": 3, "pad": 1, "limit": 0, "skipCorrupt": False})
    x, y = ds.read([1])
    assert ds.image_shape == (6, 6, 3) and y.tolist() == [3]
    assert x[0, 0, 0].tolist() == [0, 0, 0] and x[0, 1, 1, 0] == pytest.approx(16 / 255)
    assert (x[0, ..., 0] == x[0, ..., 2]).all()
