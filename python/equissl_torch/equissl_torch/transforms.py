"""The views and transformation paths of a training step, drawn as equissl draws them.

Ports of packages/transforms/src (views.ts, family.ts, rotation.ts,
translation.ts, se2.ts, color-jitter.ts, color-ops.ts, gaussian-blur.ts,
all.ts, all-rot.ts) on NCHW torch tensors in [0, 1]:

- `make_views(x, config, families, k, rng)`: v1 = A1(x), u = A2(x)
  (random resized crop, flip, colour jitter, grayscale, blur, solarize; the
  second view's crop shared with `views.pairing: shared-crop`), θ per image,
  v2 = g_θ(u) (then the `augment` family, if any), and the K targets
  u_k = g(kθ/(K+1))(u). Every draw comes from `rng` (rng.py) in equissl's
  order, so with the same step generator the same crops, flips, jitters and
  angles are drawn as in `equissl pretrain`.
- the families `rotation`, `translation`, `se2`, `colorJitter`,
  `gaussianBlur`, `all`, `allRot`, each with `identity`, `sample`,
  `interpolate` and `apply`.

Conventions (same as equissl): a positive angle rotates the content
counter-clockwise about the pixel centre ((W−1)/2, (H−1)/2), positive tx / ty
move it right / down, bilinear sampling with zero fill (`constant`) or the
edge pixel (`nearest`); crop boxes as torchvision's RandomResizedCrop,
resampled bilinearly with corner-aligned sampling (tf.image.cropAndResize);
colour operations with torchvision's formulas; blur with reflect padding.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

_PADDING = {"constant": "zeros", "nearest": "border"}


# ----------------------------------------------------------------------------- warps


def _sample(x, mats, size, fill):
    grid = F.affine_grid(mats, [x.shape[0], x.shape[1], size[0], size[1]], align_corners=True)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode=_PADDING[fill], align_corners=True)


def affine_warp(x, params, fill="constant"):
    """Image b rotated by params[b][0] degrees about its centre, then moved by (params[b][1], params[b][2]) pixels."""
    _, _, h, w = x.shape
    sx, sy = (w - 1) / 2, (h - 1) / 2
    rows = []
    for angle, tx, ty in params:
        a = angle * math.pi / 180
        c, s = math.cos(a), math.sin(a)
        rows.append([[c, -s * sy / sx, (-c * tx + s * ty) / sx], [s * sx / sy, c, (-s * tx - c * ty) / sy]])
    return _sample(x, torch.tensor(rows, dtype=x.dtype, device=x.device), (h, w), fill)


# ----------------------------------------------------------------------------- colour


def gray(x):
    """ITU-R 601-2 luma (torchvision's rgb_to_grayscale); one-channel images are their own."""
    return x if x.shape[1] == 1 else 0.2989 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]


def _per_image(values, x):
    return torch.tensor(values, dtype=x.dtype, device=x.device).view(-1, 1, 1, 1)


def _blend(x, y, f):
    return (f * x + (1 - f) * y).clamp(0, 1)


def _rgb_to_hsv(x):
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    maxc = torch.maximum(torch.maximum(r, g), b)
    minc = torch.minimum(torch.minimum(r, g), b)
    eq = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eq, ones, maxc)
    crd = torch.where(eq, ones, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    is_r = maxc == r
    is_g = (maxc == g) & ~is_r
    is_b = (maxc != g) & ~is_r
    h6 = (is_r * (bc - gc) + is_g * (2.0 + rc - bc) + is_b * (4.0 + gc - rc)) / 6 + 1
    return h6 - torch.floor(h6), s, maxc


def _hsv_to_rgb(h, s, v):
    h6 = h * 6
    i = torch.floor(h6)
    f = h6 - i
    sector = torch.remainder(i, 6)
    p = (v * (1 - s)).clamp(0, 1)
    q = (v * (1 - s * f)).clamp(0, 1)
    t = (v * (1 - s * (1 - f))).clamp(0, 1)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    chans = []
    for c in range(3):
        chans.append(sum((sector == k).to(v.dtype) * row[c] for k, row in enumerate(table)))
    return torch.stack(chans, 1)


def color_jitter(x, thetas):
    """θ = [b, c, s, h] per image, applied brightness → contrast → saturation → hue (parts zero for the batch skipped)."""
    col = lambda i: [th[i] for th in thetas]
    any_nonzero = lambda i: any(th[i] != 0 for th in thetas)
    if any_nonzero(0):
        x = _blend(x, torch.zeros_like(x), _per_image([1 + b for b in col(0)], x))
    if any_nonzero(1):
        x = _blend(x, gray(x).mean((1, 2, 3), keepdim=True), _per_image([1 + c for c in col(1)], x))
    if any_nonzero(2) and x.shape[1] == 3:
        x = _blend(x, gray(x), _per_image([1 + s for s in col(2)], x))
    if any_nonzero(3) and x.shape[1] == 3:
        h, s, v = _rgb_to_hsv(x)
        shifted = h + _per_image(col(3), x)[:, 0]
        x = _hsv_to_rgb(shifted - torch.floor(shifted), s, v)
    return x


def gaussian_matrix(sigma, n):
    """The n × n blur matrix of gaussian-blur.ts: radius ⌈3σ⌉ capped at n − 1, reflect borders; σ ≤ 0 gives I.

    Accumulated in float32 in equissl's order (row by row, offsets ascending), so the matrices are equissl's.
    """
    if not sigma > 0:
        return np.eye(n, dtype=np.float32)
    radius = min(math.ceil(3 * sigma), n - 1)
    weights = [math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)) for k in range(2 * radius + 1)]
    total = sum(weights)
    w = [v / total for v in weights]
    m = np.zeros((n, n), np.float32)
    # rows whose window stays inside the image: one addition per entry, written at once
    inner = np.arange(radius, n - radius)
    if inner.size:
        m[inner[:, None], inner[:, None] + np.arange(-radius, radius + 1)[None, :]] = np.array(w, np.float32)
    # rows at the borders, where reflected offsets fall on one entry more than once: added one by one in float32
    period = 2 * (n - 1)
    for i in [r for r in range(n) if r < radius or r > n - 1 - radius]:
        for k in range(-radius, radius + 1):
            j = 0 if n == 1 else (i + k) % period
            j = j if j < n else period - j
            m[i, j] += w[k + radius]
    return m


def gaussian_blur(x, sigmas):
    """Image b blurred with std sigmas[b] pixels (0: unchanged), G_h · X · G_wᵀ."""
    _, _, h, w = x.shape
    gh = torch.from_numpy(np.stack([gaussian_matrix(s, h) for s in sigmas])).to(x)
    gw = gh if w == h else torch.from_numpy(np.stack([gaussian_matrix(s, w) for s in sigmas])).to(x)
    return torch.einsum("bij,bcjk,blk->bcil", gh, x, gw)


# ----------------------------------------------------------------------------- families


class Family:
    """A transformation family: θ vectors (lists), identity, sampling, interpolation from the identity, application."""

    name = ""
    identity = ()

    def sample(self, rng):
        raise NotImplementedError

    def interpolate(self, theta, t):
        return [i + t * (v - i) for v, i in zip(theta, self.identity)]

    def apply(self, x, thetas):
        raise NotImplementedError


class Rotation(Family):
    name = "rotation"
    identity = (0,)

    def __init__(self, max_degrees, fill):
        self.max, self.fill = max_degrees, fill

    def sample(self, rng):
        return [rng.between(-self.max, self.max)]

    def apply(self, x, thetas):
        return affine_warp(x, [(th[0], 0, 0) for th in thetas], self.fill)


def max_shift(image_size, max_pixels):
    """translation.ts `maxShift`: the paper's ±10 px at 224 px scaled to the image size, unless given."""
    return max_pixels if max_pixels is not None else 10 * image_size / 224


class Translation(Family):
    name = "translation"
    identity = (0, 0)

    def __init__(self, image_size, max_pixels, fill):
        self.max, self.fill = max_shift(image_size, max_pixels), fill

    def sample(self, rng):
        return [rng.between(-self.max, self.max), rng.between(-self.max, self.max)]

    def apply(self, x, thetas):
        return affine_warp(x, [(0, th[0], th[1]) for th in thetas], self.fill)


class Se2(Family):
    name = "se2"
    identity = (0, 0, 0)

    def __init__(self, max_degrees, image_size, max_pixels, fill):
        self.max_deg, self.max, self.fill = max_degrees, max_shift(image_size, max_pixels), fill

    def sample(self, rng):
        return [rng.between(-self.max_deg, self.max_deg), rng.between(-self.max, self.max),
                rng.between(-self.max, self.max)]

    def apply(self, x, thetas):
        return affine_warp(x, [tuple(th) for th in thetas], self.fill)


class ColorJitter(Family):
    name = "colorJitter"
    identity = (0, 0, 0, 0)

    def __init__(self, brightness, contrast, saturation, hue):
        self.ranges = (brightness, contrast, saturation, hue)

    def sample(self, rng):
        return [rng.between(-r, r) for r in self.ranges]

    def apply(self, x, thetas):
        return color_jitter(x, thetas)


class GaussianBlur(Family):
    name = "gaussianBlur"
    identity = (0,)

    def __init__(self, sigma):
        self.sigma = sigma

    def sample(self, rng):
        return [rng.between(self.sigma[0], self.sigma[1])]

    def apply(self, x, thetas):
        return gaussian_blur(x, [th[0] for th in thetas])


class OneOf(Family):
    """all.ts `oneOf`: one member drawn per sample; θ concatenates the members', the others at their identity."""

    def __init__(self, name, members):
        self.name, self.members = name, members
        self.offsets, width = [], 0
        for m in members:
            self.offsets.append(width)
            width += len(m.identity)
        self.identity = tuple(v for m in members for v in m.identity)

    def _part(self, theta, i):
        o = self.offsets[i]
        return list(theta[o: o + len(self.members[i].identity)])

    def sample(self, rng):
        chosen = rng.int(len(self.members))
        return [v for i, m in enumerate(self.members) for v in (m.sample(rng) if i == chosen else m.identity)]

    def interpolate(self, theta, t):
        return [v for i, m in enumerate(self.members) for v in m.interpolate(self._part(theta, i), t)]

    def apply(self, x, thetas):
        for i, m in enumerate(self.members):
            parts = [self._part(th, i) for th in thetas]
            if all(all(v == m.identity[k] for k, v in enumerate(p)) for p in parts):
                continue
            x = m.apply(x, parts)
        return x


def all_family(max_degrees, image_size, max_pixels, fill):
    return OneOf("all", [Rotation(max_degrees, fill), Translation(image_size, max_pixels, fill),
                         ColorJitter(0.4, 0.4, 0.4, 0.1), GaussianBlur([0.1, 2])])


class AllRot(Family):
    """all-rot.ts: one of the "all" families, then a rotation; the path moves along the rotation only."""

    name = "allRot"

    def __init__(self, max_degrees, all_max_degrees, image_size, max_pixels, fill):
        self.rot = Rotation(max_degrees, fill)
        self.all = all_family(all_max_degrees, image_size, max_pixels, fill)
        self.identity = (0, *self.all.identity)

    def sample(self, rng):
        return [*self.rot.sample(rng), *self.all.sample(rng)]

    def interpolate(self, theta, t):
        return [t * theta[0], *theta[1:]]

    def apply(self, x, thetas):
        return self.rot.apply(self.all.apply(x, [th[1:] for th in thetas]), [[th[0]] for th in thetas])


def family_of(slot, image_size):
    """The family of a decoded transform slot; `image_size` fills the translations' `imageSize`."""
    n = slot["name"]
    size = slot.get("imageSize") or image_size
    if n == "rotation":
        return Rotation(slot["maxDegrees"], slot["fill"])
    if n == "translation":
        return Translation(size, slot["maxPixels"], slot["fill"])
    if n == "se2":
        return Se2(slot["maxDegrees"], size, slot["maxPixels"], slot["fill"])
    if n == "colorJitter":
        return ColorJitter(slot["brightness"], slot["contrast"], slot["saturation"], slot["hue"])
    if n == "gaussianBlur":
        return GaussianBlur(slot["sigma"])
    if n == "all":
        return all_family(slot["maxDegrees"], size, slot["maxPixels"], slot["fill"])
    if n == "allRot":
        return AllRot(slot["maxDegrees"], slot["allMaxDegrees"], size, slot["maxPixels"], slot["fill"])
    raise ValueError(f"unknown family {n}")


# ----------------------------------------------------------------------------- views


def sample_crop(rng, h, w, scale, ratio):
    """torchvision RandomResizedCrop.get_params as a normalised box (y1, x1, y2, x2), views.ts `sampleCrop`."""
    area = h * w
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))

    def box(top, left, ch, cw):
        return (top / max(h - 1, 1), left / max(w - 1, 1), (top + ch - 1) / max(h - 1, 1), (left + cw - 1) / max(w - 1, 1))

    for _ in range(10):
        target = area * rng.between(scale[0], scale[1])
        aspect = math.exp(rng.between(log_ratio[0], log_ratio[1]))
        cw = _js_round(math.sqrt(target * aspect))
        ch = _js_round(math.sqrt(target / aspect))
        if 0 < cw <= w and 0 < ch <= h:
            top = rng.int(h - ch + 1)
            return box(top, rng.int(w - cw + 1), ch, cw)
    in_ratio = w / h
    if in_ratio < ratio[0]:
        cw, ch = w, _js_round(w / ratio[0])
    elif in_ratio > ratio[1]:
        cw, ch = _js_round(h * ratio[1]), h
    else:
        cw, ch = w, h
    return box(math.floor((h - ch) / 2), math.floor((w - cw) / 2), ch, cw)


def _js_round(v):
    """Math.round: halves round up."""
    return math.floor(v + 0.5)


def sample_view_params(rng, vc, count, h, w):
    """views.ts `sampleViewParams`: per image crop, flip, jitter, grayscale, blur σ, solarize, in that order."""
    out = []
    for _ in range(count):
        crop = sample_crop(rng, h, w, vc["cropScale"], vc["cropRatio"])
        flip = rng.bernoulli(vc["flip"])
        j = vc["jitter"]
        if rng.bernoulli(j["p"]):
            jitter = [rng.between(-j["brightness"], j["brightness"]), rng.between(-j["contrast"], j["contrast"]),
                      rng.between(-j["saturation"], j["saturation"]), rng.between(-j["hue"], j["hue"])]
        else:
            jitter = [0, 0, 0, 0]
        grayscale = rng.bernoulli(vc["grayscale"])
        sigma = rng.between(vc["blur"]["sigma"][0], vc["blur"]["sigma"][1]) if rng.bernoulli(vc["blur"]["p"]) else 0
        out.append({"crop": crop, "flip": flip, "jitter": jitter, "grayscale": grayscale, "sigma": sigma,
                    "solarize": rng.bernoulli(vc["solarize"])})
    return out


def _crop_coords(lo, hi, n, size):
    """tf.image.cropAndResize's sample positions along one axis, in float32 as the wasm kernel computes them.

    lo, hi: `[B]` box edges (normalised); returns `[B, size]` positions and whether each lies inside [0, n − 1]
    (a position outside is the extrapolation value 0 for its whole row or column).
    """
    f = np.float32
    lo, hi = lo.astype(f), hi.astype(f)
    if size > 1:
        scale = (hi - lo) * f(n - 1) / f(size - 1)
        pos = (lo * f(n - 1))[:, None] + np.arange(size, dtype=f)[None, :] * scale[:, None]
    else:
        pos = (f(0.5) * (lo + hi) * f(n - 1))[:, None]
    return pos, (pos >= 0) & (pos <= n - 1)


def crop_and_resize(x, boxes, size):
    """tf.image.cropAndResize (bilinear, extrapolation 0) of NCHW images, box b = (y1, x1, y2, x2) of image b."""
    b, c, h, w = x.shape
    boxes = np.asarray(boxes, np.float64)
    ys, y_ok = _crop_coords(boxes[:, 0], boxes[:, 2], h, size[0])
    xs, x_ok = _crop_coords(boxes[:, 1], boxes[:, 3], w, size[1])
    dev = x.device
    ys_t, xs_t = torch.from_numpy(ys).to(dev), torch.from_numpy(xs).to(dev)
    top, left = torch.floor(ys_t), torch.floor(xs_t)
    bottom, right = torch.ceil(ys_t), torch.ceil(xs_t)
    y_lerp, x_lerp = (ys_t - top).to(x.dtype), (xs_t - left).to(x.dtype)
    clamp = lambda t, n: t.clamp(0, n - 1).long()
    top, bottom, left, right = clamp(top, h), clamp(bottom, h), clamp(left, w), clamp(right, w)
    bi = torch.arange(b, device=dev)[:, None, None]

    def at(rows, cols):  # [B, C, S_h, S_w]
        return x.permute(0, 2, 3, 1)[bi, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)

    xl = x_lerp[:, None, None, :]
    upper = at(top, left) + (at(top, right) - at(top, left)) * xl
    lower = at(bottom, left) + (at(bottom, right) - at(bottom, left)) * xl
    out = upper + (lower - upper) * y_lerp[:, None, :, None]
    inside = torch.from_numpy(y_ok[:, :, None] & x_ok[:, None, :]).to(dev)[:, None]
    return torch.where(inside, out, torch.zeros_like(out))


def apply_view_params(x, params, size=None):
    """crop + flip → jitter → grayscale → blur → solarize (views.ts `applyViewParams`)."""
    b, c, h, w = x.shape
    boxes = []
    for p in params:
        y1, x1, y2, x2 = p["crop"]
        boxes.append((y1, x2, y2, x1) if p["flip"] else (y1, x1, y2, x2))
    out = crop_and_resize(x, boxes, (size or h, size or w))
    if any(v != 0 for p in params for v in p["jitter"]):
        out = color_jitter(out, [p["jitter"] for p in params])
    if any(p["grayscale"] for p in params) and c == 3:
        out = _blend(out, gray(out), _per_image([0.0 if p["grayscale"] else 1.0 for p in params], out))
    if any(p["sigma"] > 0 for p in params):
        out = gaussian_blur(out, [p["sigma"] for p in params])
    if any(p["solarize"] for p in params):
        on = _per_image([1.0 if p["solarize"] else 0.0 for p in params], out) > 0
        out = torch.where(on & (out >= 0.5), 1 - out, out)
    return out


def make_views(x, config, family, augment, k, rng):
    """step.ts `makeViews`: (v1, u, v2, targets, thetas) of a batch x (NCHW), every draw from `rng` in equissl's order."""
    vc = config["views"]
    b, _, h, w = x.shape
    first = sample_view_params(rng, vc, b, h, w)
    second = sample_view_params(rng, vc, b, h, w)
    if vc["pairing"] == "shared-crop":
        second = [{**p, "crop": f["crop"], "flip": f["flip"]} for p, f in zip(second, first)]
    v1 = apply_view_params(x, first, vc["size"])
    u = apply_view_params(x, second, vc["size"])
    thetas = [family.sample(rng) for _ in range(b)]
    v2 = family.apply(u, thetas)
    targets = [family.apply(u, [family.interpolate(th, (i + 1) / (k + 1)) for th in thetas]) for i in range(k)]
    if augment is not None:
        v2 = augment.apply(v2, [augment.sample(rng) for _ in range(b)])
    return v1, u, v2, targets, thetas
