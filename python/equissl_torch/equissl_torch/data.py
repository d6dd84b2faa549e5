"""Datasets, the batch order of equissl's data stream, and the distributed sampler built on it.

Datasets (the `data` slot of a config):

- `procedural` (procedural.py): equissl's embedded images, the same pixels;
- `image-folder`: a folder of images, class sub-folders optional, the same
  listing, labels and seeded train/test split as equissl's plugin
  (packages/data/src/image-folder.ts), a folder holding only `train/` and
  `test/` read as already split; images are decoded and resized with Pillow
  (Lanczos), so pixels differ from equissl's (sharp) by a few grey levels;
- `idx`: MNIST / Fashion-MNIST files (`.gz` or not), padded and replicated to
  RGB as equissl's `idx` plugin does.

Every dataset reads `[n, H, W, C]` float32 in [0, 1] with `read(indices)`.

`BatchOrder` is `BatchStream`'s order (packages/data/src/stream.ts): epoch e
visits `Rng.from_state(seed).fork(e).permutation(n)` in batches of the global
batch size, the incomplete last batch dropped; its state
(`{seed, epoch, cursor, skipped}`) is what a checkpoint stores.
`EquisslSampler` is a `torch.utils.data.distributed.DistributedSampler` over
that order: rank r of W reads rows `[r·B/W, (r+1)·B/W)` of every global batch,
as equissl's data-parallel replicas split a batch.
"""
import gzip
import os

import numpy as np
import torch
from torch.utils.data import Dataset
from torch.utils.data.distributed import DistributedSampler

from .config import ConfigError
from .procedural import Procedural
from .rng import Rng


class DataError(Exception):
    """Data that cannot be read: the message names the file or folder and says what to do."""


# ----------------------------------------------------------------------------- image folder


def _locale_key(name):
    """An approximation of JavaScript's localeCompare for folder names: case-insensitive, lower case first on ties."""
    return (name.casefold(), name.swapcase())


def _list_images(d, extensions):
    if d == "":
        raise DataError('<image-folder>: no folder given; set "dir" to a folder of images')
    if not os.path.isdir(d):
        raise DataError(f"{d}: no such directory")
    is_image = lambda n: os.path.splitext(n)[1].lower() in extensions
    entries = list(os.scandir(d))
    root_files = sorted(e.name for e in entries if e.is_file() and is_image(e.name))
    classes = []
    for sub in sorted((e for e in entries if e.is_dir()), key=lambda e: _locale_key(e.name)):
        files = sorted(f.name for f in os.scandir(sub.path) if f.is_file() and is_image(f.name))
        if files:
            classes.append((sub.name, [os.path.join(d, sub.name, f) for f in files]))
    if classes and root_files:
        raise DataError(f"{d}: mixes {len(root_files)} top-level images (e.g. {root_files[0]}) with class sub-folders; "
                        "move the top-level images into a sub-folder")
    if classes:
        return [(f, label) for label, (_, files) in enumerate(classes) for f in files], [n for n, _ in classes]
    if not root_files:
        raise DataError(f"{d}: no images found (extensions {' '.join(extensions)})")
    return [(os.path.join(d, f), None) for f in root_files], None


def split_entries(entries, split, test_fraction, seed):
    """image-folder.ts `splitEntries`: per class a seeded shuffle, its first round(f·n) files test; then a seeded order."""
    if split == "all":
        return list(entries)
    root = Rng.seeded(seed).fork("image-folder-split")
    groups = {}
    for e in entries:
        groups.setdefault(-1 if e[1] is None else e[1], []).append(e)
    chosen = []
    for label in sorted(groups):
        files = groups[label]
        shuffled = root.fork(f"class {label}").shuffle(files)
        n_test = int(np.floor(test_fraction * len(files) + 0.5))
        chosen.extend(shuffled[:n_test] if split == "test" else shuffled[n_test:])
    return root.fork(f"order {split}").shuffle(chosen)


def _is_split_folder(d):
    try:
        top = [e for e in os.scandir(d) if not e.name.startswith(".")]
    except OSError:
        return False
    return len(top) == 2 and all(e.is_dir() for e in top) and sorted(e.name for e in top) == ["test", "train"]


class ImageFolder:
    """The dataset of a decoded `image-folder` slot."""

    name = "image-folder"

    def __init__(self, c):
        try:
            from PIL import Image  # noqa: F401
        except ImportError:
            raise DataError(f"{c['dir']}: reading an image folder needs Pillow: apt-get install python3-pil "
                            "(or pip install pillow)") from None
        self.c = c
        d = c["dir"]
        if _is_split_folder(d):
            train, names = _list_images(os.path.join(d, "train"), c["extensions"])
            test, test_names = _list_images(os.path.join(d, "test"), c["extensions"])
            if names is not None:
                missing = [n for n in (test_names or []) if n not in names]
                if test_names is None or missing:
                    raise DataError(f"{os.path.join(d, 'test')}: holds classes train/ does not; "
                                    "give test/ the class sub-folders of train/")
                test = [(f, names.index(test_names[label])) for f, label in test]
            parts = {"train": train, "test": test, "all": train + test}[c["split"]]
            entries = parts if c["split"] == "all" else \
                Rng.seeded(c["splitSeed"]).fork("image-folder-split").fork(f"order {c['split']}").shuffle(parts)
            self.source = f"{d} (train/ and test/)" if c["split"] == "all" else os.path.join(d, c["split"])
        else:
            listed, names = _list_images(d, c["extensions"])
            entries = split_entries(listed, c["split"], c["testFraction"], c["splitSeed"])
            if not entries:
                raise DataError(f"{d}: the {c['split']} split (testFraction {c['testFraction']}) of {len(listed)} "
                                "images is empty; add images or change testFraction")
            self.source = d if c["split"] == "all" else \
                f"{d} ({c['split']} split, testFraction {c['testFraction']}, splitSeed {c['splitSeed']})"
        self.entries = entries
        self.class_names = names
        self.image_shape = (c["size"], c["size"], c["channels"])

    def __len__(self):
        return len(self.entries)

    def _decode(self, file):
        from PIL import Image

        size, fit = self.c["size"], self.c["fit"]
        try:
            with Image.open(file) as im:
                im = im.convert("L" if self.c["channels"] == 1 else "RGB")
                w, h = im.size
                if fit == "fill":
                    im = im.resize((size, size), Image.LANCZOS)
                else:
                    s = max(size / w, size / h) if fit == "cover" else min(size / w, size / h)
                    nw, nh = max(1, round(w * s)), max(1, round(h * s))
                    im = im.resize((nw, nh), Image.LANCZOS)
                    if fit == "cover":
                        left, top = (nw - size) // 2, (nh - size) // 2
                        im = im.crop((left, top, left + size, top + size))
                    else:
                        canvas = Image.new(im.mode, (size, size))
                        canvas.paste(im, ((size - nw) // 2, (size - nh) // 2))
                        im = canvas
                a = np.asarray(im, dtype=np.float32) / 255.0
        except (OSError, ValueError) as e:
            raise DataError(f"{file}: cannot decode the image ({e}); remove it, or set data.skipCorrupt: true") from None
        return a.reshape(size, size, self.c["channels"])

    def read(self, indices):
        out = np.empty((len(indices), *self.image_shape), np.float32)
        labels = np.full(len(indices), -1, np.int64)
        for k, i in enumerate(indices):
            file, label = self.entries[int(i)]
            try:
                out[k] = self._decode(file)
            except DataError:
                if not self.c["skipCorrupt"]:
                    raise
                out[k] = 0  # equissl refills a skipped image from the stream; here it stays black
            labels[k] = -1 if label is None else label
        return out, labels


# ----------------------------------------------------------------------------- idx


def _read_idx(path, dims, skip_corrupt):
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e})") from None
    ndim = data[3] if len(data) >= 4 else 0
    if len(data) < 4 + 4 * ndim or ndim != dims:
        raise DataError(f"{path}: not an IDX file of {dims} dimensions")
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    per = int(np.prod(shape[1:])) if ndim > 1 else 1
    have = (len(data) - 4 - 4 * ndim) // per
    if have < shape[0]:
        if not skip_corrupt:
            raise DataError(f"{path}: truncated ({have} of {shape[0]} records); set data.skipCorrupt: true to use them")
        shape[0] = have
    return np.frombuffer(data, np.uint8, count=shape[0] * per, offset=4 + 4 * ndim).reshape(shape)


def _first_existing(candidates, what):
    for c in candidates:
        if os.path.exists(c):
            return c
    raise DataError(f"{candidates[0]}: no {what} file (also tried {', '.join(candidates[1:])}); "
                    "apt-get install dataset-fashion-mnist, or set data.dir (or EQUISSL_FASHION_MNIST)")


class Idx:
    """The dataset of a decoded `idx` slot."""

    name = "idx"

    def __init__(self, c):
        prefix = "train" if c["split"] == "train" else "t10k"
        stem = lambda k: [os.path.join(c["dir"], f"{prefix}-{k}-ubyte{ext}") for ext in ("", ".gz")]
        images = c["images"] or _first_existing(stem("images-idx3"), "images")
        labels = c["labels"] or _first_existing(stem("labels-idx1"), "labels")
        x = _read_idx(images, 3, c["skipCorrupt"])
        y = _read_idx(labels, 1, c["skipCorrupt"]).astype(np.int64)
        n = min(len(x), len(y))
        if c["limit"]:
            n = min(n, c["limit"])
        self.x, self.y, self.c = x[:n], y[:n], c
        h, w = x.shape[1] + 2 * c["pad"], x.shape[2] + 2 * c["pad"]
        self.image_shape = (h, w, c["channels"])
        self.class_names = [str(i) for i in range(int(self.y.max()) + 1)] if n else None
        self.source = images

    def __len__(self):
        return len(self.x)

    def read(self, indices):
        idx = np.asarray(indices, np.int64)
        p = self.c["pad"]
        raw = self.x[idx].astype(np.float32) / 255.0
        if p:
            raw = np.pad(raw, ((0, 0), (p, p), (p, p)))
        out = np.repeat(raw[..., None], self.c["channels"], axis=3)
        return np.ascontiguousarray(out), self.y[idx].copy()


def open_dataset(slot):
    """The dataset of a decoded `data` slot."""
    name = slot["name"]
    try:
        if name == "procedural":
            return Procedural(slot)
        if name == "image-folder":
            return ImageFolder(slot)
        if name == "idx":
            return Idx(slot)
    except DataError as e:
        raise ConfigError("data", str(e)) from None
    raise ConfigError("data.name", f'dataset "{name}" is not supported by equissl_torch')


# ----------------------------------------------------------------------------- order and sampler


class BatchOrder:
    """BatchStream's order of global batches (shuffled epochs, incomplete last batch dropped); resumable."""

    def __init__(self, size, batch_size, seed_state, epoch=0, cursor=0, skipped=0):
        if size < batch_size:
            raise ConfigError("batchSize", f"{batch_size} is more than the {size} images of the data; "
                                           "lower batchSize or add images")
        self.size, self.batch_size = size, batch_size
        self.seed = list(seed_state)
        self.epoch, self.cursor, self.skipped = epoch, cursor, skipped
        self._order = self._order_of(epoch)

    @staticmethod
    def seeded(size, batch_size, run_seed):
        """The order of a run with seed `run_seed`: `Rng.seeded(seed).fork('data')`, as pipeline/run.ts."""
        return BatchOrder(size, batch_size, Rng.seeded(run_seed).fork("data").state())

    @staticmethod
    def from_state(size, batch_size, state):
        return BatchOrder(size, batch_size, state["seed"], state["epoch"], state["cursor"], state.get("skipped", 0))

    def _order_of(self, epoch):
        return Rng.from_state(self.seed).fork(epoch).permutation(self.size)

    def state(self):
        return {"seed": list(self.seed), "epoch": self.epoch, "cursor": self.cursor, "skipped": self.skipped}

    def next(self):
        """The indices of the next global batch."""
        if self.cursor + self.batch_size > self.size:
            self.epoch += 1
            self.cursor = 0
            self._order = self._order_of(self.epoch)
        batch = self._order[self.cursor: self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return batch

    def copy(self):
        return BatchOrder.from_state(self.size, self.batch_size, self.state())


class EquisslSampler(DistributedSampler):
    """A DistributedSampler over equissl's batch order: this rank's shard of each of `steps` global batches."""

    def __init__(self, dataset, order, steps, num_replicas=1, rank=0):
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=False, drop_last=True)
        if order.batch_size % num_replicas != 0:
            raise ConfigError("batchSize", f"{order.batch_size} cannot be split evenly over {num_replicas} processes")
        self.order, self.steps = order.copy(), steps
        self.shard = order.batch_size // num_replicas

    def __iter__(self):
        order = self.order.copy()
        lo = self.rank * self.shard
        for _ in range(self.steps):
            yield from order.next()[lo: lo + self.shard]

    def __len__(self):
        return self.steps * self.shard

    def set_epoch(self, epoch):
        """The order spans epochs by itself (each from the run's seed): nothing to do."""


class ImageDataset(Dataset):
    """A torch Dataset over an equissl dataset: item i is (image `[H, W, C]` float32 tensor, label)."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        x, y = self.dataset.read([i])
        return torch.from_numpy(x[0]), int(y[0])
