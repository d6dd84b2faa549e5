"""The `procedural` dataset: equissl's embedded dead-leaves images, rendered here as equissl renders them.

A port of packages/data/src/procedural.ts: image `i` of `(seed, split)` draws
its background, leaves and foreground object from
`Rng.seeded(seed).fork(split).fork(i)` (rng.py, bit for bit), is rendered with
2×2 supersampling (sizes up to 64 px), one light from above and per-pixel
grain, and is stored as float32 in [0, 1], `[H, W, 3]`. The geometry is
evaluated with numpy over the supersampled grid instead of pixel by pixel;
the arithmetic is the same, so the images agree with equissl's to float32
rounding (tests/test_data.py compares them with images equissl rendered).
"""
import math

import numpy as np

from .rng import Rng

CLASSES = ("ellipse", "rectangle", "triangle", "stripes")


def _random_colour(rng):
    base = rng.between(0.15, 0.9)
    sat = rng.between(0.2, 0.8)
    return [min(1.0, max(0.0, base + sat * (rng.uniform() - 0.5))) for _ in range(3)]


def _shaded(colour, y, cy, size, amount):
    """Light from above: a shape is brighter at its top edge; colour (3,) or (…, 3), y (…)."""
    f = 1 + amount * ((cy - y) / max(size, 1e-3))
    return np.clip(np.asarray(colour) * f[..., None], 0.0, 1.0)


class _Leaf:
    __slots__ = ("kind", "cx", "cy", "size", "cos", "sin", "colour", "aspect", "second", "period")

    def __init__(self, kind, rng, cx, cy, size):
        self.kind, self.cx, self.cy, self.size = kind, cx, cy, size
        angle = rng.between(-math.pi, math.pi)
        self.cos, self.sin = math.cos(angle), math.sin(angle)
        self.colour = _random_colour(rng)
        self.aspect = rng.between(0.35, 0.8)
        if kind == "stripes":
            self.second = _random_colour(rng)
            self.period = size * rng.between(0.25, 0.5)

    def local(self, x, y):
        dx, dy = x - self.cx, y - self.cy
        return self.cos * dx + self.sin * dy, -self.sin * dx + self.cos * dy

    def inside(self, x, y):
        u, v = self.local(x, y)
        s, a = self.size, self.aspect
        if self.kind == "ellipse":
            return (u / s) ** 2 + (v / (s * a)) ** 2 <= 1
        if self.kind == "rectangle":
            return (np.abs(u) <= s) & (np.abs(v) <= s * a)
        if self.kind == "triangle":
            return (u >= -s / 2) & (u <= s) & (np.abs(v) <= ((s - u) / (1.5 * s)) * s * 0.8)
        return u * u + v * v <= s * s

    def paint(self, x, y):
        if self.kind != "stripes":
            return _shaded(self.colour, y, self.cy, self.size, 0.35)
        u, _ = self.local(x, y)
        s = 0.5 + 0.5 * np.sin((2 * math.pi * u) / self.period)
        mixed = np.asarray(self.colour) * s[..., None] + np.asarray(self.second) * (1 - s)[..., None]
        return _shaded(mixed, y, self.cy, self.size, 0.25)


def render(seed, split, index, size):
    """Image `index` of `(seed, split)` as float32 `[size, size, 3]`, and its class (renderProcedural)."""
    rng = Rng.seeded(seed).fork(split).fork(index)
    label = rng.int(len(CLASSES))
    top = _random_colour(rng)
    bottom = [c * 0.6 for c in _random_colour(rng)]
    leaves = []
    count = 4 + rng.int(7)
    for _ in range(count):
        leaf_size = 0.08 * (0.35 / 0.08) ** rng.uniform()
        kind = rng.pick(CLASSES)
        cx = rng.uniform()
        cy = rng.uniform()
        leaves.append(_Leaf(kind, rng, cx, cy, leaf_size))
    fx, fy, fs = rng.between(0.35, 0.65), rng.between(0.35, 0.65), rng.between(0.25, 0.4)
    leaves.append(_Leaf(CLASSES[label], rng, fx, fy, fs))
    noise = Rng.seeded(rng.next_uint32())
    ss = 2 if size <= 64 else 1
    n = size * ss
    coords = (np.arange(n, dtype=np.float64) + 0.5) / n
    y, x = np.meshgrid(coords, coords, indexing="ij")
    c = np.stack([top[k] * (1 - y) + bottom[k] * y for k in range(3)], -1)
    for leaf in leaves:  # later leaves cover earlier ones (the TypeScript searches from the last)
        m = leaf.inside(x, y)
        if m.any():
            c[m] = leaf.paint(x[m], y[m])
    # the supersamples of each pixel, summed in the order equissl adds them
    blocks = c.reshape(size, ss, size, ss, 3)
    total = np.zeros((size, size, 3))
    for sy in range(ss):
        for sx in range(ss):
            total = total + blocks[:, sy, :, sx]
    grain = 0.02 * np.array([noise.normal() for _ in range(size * size)]).reshape(size, size, 1)
    light = (1.3 - 0.6 * ((np.arange(size) + 0.5) / size)).reshape(size, 1, 1)
    out = np.clip((light * total) / (ss * ss) + grain, 0.0, 1.0)
    return out.astype(np.float32), label


class Procedural:
    """The dataset of a decoded `procedural` slot: `count` images of `size` px, rendered when read."""

    name = "procedural"

    def __init__(self, c):
        self.count, self.size, self.seed, self.split = c["count"], c["size"], c["seed"], c["split"]
        self.image_shape = (self.size, self.size, 3)
        self.class_names = list(CLASSES)
        self.source = f"procedural dead-leaves images (seed {self.seed}, {self.split})"

    def __len__(self):
        return self.count

    def read(self, indices):
        """Images `[n, H, W, 3]` float32 and labels `[n]` int64 of dataset indices."""
        out = np.empty((len(indices), *self.image_shape), np.float32)
        labels = np.empty(len(indices), np.int64)
        for k, i in enumerate(indices):
            out[k], labels[k] = render(self.seed, self.split, int(i), self.size)
        return out, labels
