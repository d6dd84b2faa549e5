"""The model of a pretraining config: ViT → neck → split → SSL loss on z_inv, K conv4 decoders on z_equi.

The same architecture, initialisation laws and parameter names as equissl
(packages/backbones/src/vit.ts, encoder/src/encoder.ts, losses/src/projector.ts,
decoders/src/decoder.ts and intermediate.ts, pipeline/src/model.ts): every
module is named so that a parameter's `state_dict` key *is* its equissl name
(`encoder.blocks.0.attn.qkv.weight`, `neck.weight`, `loss.projector.0.bn.weight`,
`decoders.1.conv3.bias`); only layouts differ (torch's Linear weights are
[out, in], equissl's dense kernels [in, out]; torch's convolutions
[out, in, 3, 3], equissl's [3, 3, in, out]) and checkpoint.py converts them.

- ViT: pre-norm blocks (LayerNorm ε 1e-6, exact GELU), qkv columns (q | k | v)
  with heads contiguous, patches flattened (py, px, c) as equissl's patchify;
  `encoder.maskToken` is kept as a buffer (equissl trains it only with token
  masks, which the losses here never ask for).
- Initialisation as equissl's: trunc-normal(0.02) matrices, cls token and
  position embedding, zero biases, unit norms; neck and decoders PyTorch's
  U(±1/√fan-in); the random numbers are torch's (seeded), not tfjs's — start
  from an equissl checkpoint (`--init`) for equissl's exact weights.
- Losses (losses.py): vicreg (SIE or original coefficients), simclr,
  barlow-twins, each with the optional projector; the reconstruction objective
  L_rec = (1/K) Σ_k mean‖D_k([z1_equi ; z2_equi]) − u_k‖² (pixels or
  normalised targets).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .losses import barlow_terms, info_nce, vicreg_terms

LAYER_NORM_EPS = 1e-6


def trunc_normal_(t, std=0.02):
    """N(0, std²) cut at ±2 std (timm / equissl's `truncNormal`)."""
    nn.init.trunc_normal_(t, std=std, a=-2 * std, b=2 * std)


def fan_in_uniform_(t, fan_in):
    """PyTorch's default for Linear/Conv weights and biases, U(±1/√fan-in) (equissl's `fanInUniform`)."""
    b = 1 / math.sqrt(fan_in)
    with torch.no_grad():
        t.uniform_(-b, b)


def _dense(fin, fout):
    """An equissl dense layer: trunc-normal(0.02) weight, zero bias."""
    lin = nn.Linear(fin, fout)
    trunc_normal_(lin.weight)
    nn.init.zeros_(lin.bias)
    return lin


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.hd = heads, dim // heads
        self.qkv, self.proj = _dense(dim, 3 * dim), _dense(dim, dim)

    def forward(self, x):
        n, t, d = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.heads, self.hd).permute(2, 0, 3, 1, 4)
        a = ((qkv[0] * self.hd ** -0.5) @ qkv[1].transpose(-2, -1)).softmax(-1)
        return self.proj((a @ qkv[2]).transpose(1, 2).reshape(n, t, d))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.fc2 = _dense(dim, hidden), _dense(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """equissl's ViT (vit.ts): input NCHW in [0, 1], output `(n, 1 + P, D)` after the final LayerNorm."""

    def __init__(self, image_size, patch_size, channels, dim, depth, heads, mlp_ratio):
        super().__init__()
        self.p, self.g, self.dim = patch_size, image_size // patch_size, dim
        hidden = int(math.floor(dim * mlp_ratio + 0.5))
        # creation order = equissl's parameter order (patchEmbed, clsToken, posEmbed, maskToken, blocks, norm)
        self.patchEmbed = _dense(patch_size * patch_size * channels, dim)
        self.clsToken = nn.Parameter(torch.zeros(1, 1, dim))
        self.posEmbed = nn.Parameter(torch.zeros(1, self.g * self.g + 1, dim))
        trunc_normal_(self.clsToken)
        trunc_normal_(self.posEmbed)
        self.register_buffer("maskToken", torch.zeros(1, 1, dim))
        self.blocks = nn.ModuleList([Block(dim, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)

    def forward(self, x):
        n, c, _, _ = x.shape
        p, g = self.p, self.g
        x = x.reshape(n, c, g, p, g, p).permute(0, 2, 4, 3, 5, 1).reshape(n, g * g, p * p * c)
        x = torch.cat([self.clsToken.expand(n, -1, -1), self.patchEmbed(x)], 1) + self.posEmbed
        for b in self.blocks:
            x = b(x)
        return self.norm(x)


class BatchNorm(nn.Module):
    """Batch norm with the batch's own statistics always (biased variance, ε 1e-5): equissl's projector norm."""

    def __init__(self, width):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))
        self.bias = nn.Parameter(torch.zeros(width))

    def forward(self, x):
        return F.batch_norm(x, None, None, self.weight, self.bias, training=True, eps=1e-5)


class ProjectorLayer(nn.Module):
    def __init__(self, fin, fout, norm):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(fout, fin))
        self.bias = nn.Parameter(torch.zeros(fout))
        trunc_normal_(self.weight)
        if norm:
            self.bn = BatchNorm(fout)


class Projector(nn.Module):
    """projector.ts: Linear → [BatchNorm] → ReLU per hidden width, then a Linear; `[]` is the identity.

    Its layers are its children `0`, `1`, … so that their names are equissl's
    (`projector.<i>.weight`, `projector.<i>.bn.weight`).
    """

    def __init__(self, dim, widths, norm):
        super().__init__()
        self.count = len(widths)
        for i, w in enumerate(widths):
            hidden = i < len(widths) - 1
            self.add_module(str(i), ProjectorLayer(dim if i == 0 else widths[i - 1], w, hidden and norm == "batch"))

    def forward(self, z):
        for i in range(self.count):
            layer = self._modules[str(i)]
            z = F.linear(z, layer.weight, layer.bias)
            if i < self.count - 1:
                z = F.relu(layer.bn(z) if hasattr(layer, "bn") else z)
        return z


class Loss(nn.Module):
    """The SSL loss of a decoded `loss` slot, on pooled invariant features of the two views."""

    def __init__(self, slot, dim):
        super().__init__()
        self.slot = slot
        self.projector = Projector(dim, slot["projector"], slot["projectorNorm"])
        if slot["name"] == "vicreg":
            presets = {"sie": (10, 10, 1), "vicreg": (25, 25, 1)}[slot["variant"]]
            given = (slot["simCoeff"], slot["stdCoeff"], slot["covCoeff"])
            self.coef = tuple(p if g is None else g for g, p in zip(given, presets))

    def forward(self, z1, z2):
        """(loss, {term: value}) of the projected pair."""
        p1, p2 = self.projector(z1), self.projector(z2)
        name = self.slot["name"]
        if name == "vicreg":
            inv, var, cov = vicreg_terms(p1, p2)
            s, d, c = self.coef
            return s * inv + d * var + c * cov, {"invariance": inv, "variance": var, "covariance": cov}
        if name == "simclr":
            v = info_nce(p1, p2, self.slot["temperature"])
            return v, {"infoNce": v}
        on, off = barlow_terms(p1, p2)
        return on + self.slot["lambda"] * off, {"onDiagonal": on, "offDiagonal": off}


class Conv4(nn.Module):
    """decoder.ts conv4: Linear onto the patch grid, four 3×3 convs with GELU, ×2 nearest upsampling to the image size."""

    def __init__(self, in_dim, grid, patch, ch, out_ch, mode):
        super().__init__()
        self.mode, self.grid, self.ch = mode, grid, ch
        half = max(1, ch // 2)
        out = grid * grid * ch if mode == "pooled" else ch
        self.linear = nn.Linear(in_dim, out)
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.conv2 = nn.Conv2d(ch, half, 3, padding=1)
        self.conv3 = nn.Conv2d(half, half, 3, padding=1)
        self.conv4 = nn.Conv2d(half, out_ch, 3, padding=1)
        fan_in_uniform_(self.linear.weight, in_dim)
        fan_in_uniform_(self.linear.bias, in_dim)
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            fan_in_uniform_(conv.weight, 9 * conv.in_channels)
            fan_in_uniform_(conv.bias, 9 * conv.in_channels)
        ups = int(round(math.log2(patch)))
        self.before = 1 if ups >= 4 else 0
        self.after = [ups >= 1, ups >= 2, ups >= 3]

    def forward(self, tok):
        """`(n, P, in_dim)` tokens → `(n, C, H, W)` image."""
        n, g = tok.shape[0], self.grid
        if self.mode == "pooled":
            h = self.linear(tok.mean(1)).reshape(n, self.ch, g, g)
        else:
            h = self.linear(tok).reshape(n, g, g, self.ch).permute(0, 3, 1, 2)
        for _ in range(self.before):
            h = F.interpolate(h, scale_factor=2, mode="nearest")
        for i, conv in enumerate((self.conv1, self.conv2, self.conv3, self.conv4)):
            h = conv(h)
            if i < 3:
                h = F.gelu(h)
                if self.after[i]:
                    h = F.interpolate(h, scale_factor=2, mode="nearest")
        return h


def normalise_per_image(t):
    """intermediate.ts `normalisePerImage`: zero mean, unit variance per image (+1e-6 on σ)."""
    m = t.mean((1, 2, 3), keepdim=True)
    s = ((t - m) ** 2).mean((1, 2, 3), keepdim=True).sqrt()
    return (t - m) / (s + 1e-6)


class PretrainModel(nn.Module):
    """The whole trained model of a decoded config: `encoder`, `neck`, `loss`, `decoders`, in equissl's order."""

    def __init__(self, config, d_inv, d_equi, seed=0):
        super().__init__()
        bb = config["backbone"]
        torch.manual_seed(seed)
        self.encoder = ViT(bb["imageSize"], bb["patchSize"], bb["channels"], bb["dim"], bb["depth"], bb["heads"],
                           bb["mlpRatio"])
        self.d_inv, self.d_equi = d_inv, d_equi
        if config["neck"] == "linear":
            self.neck = nn.Linear(bb["dim"], bb["dim"])
            fan_in_uniform_(self.neck.weight, bb["dim"])
            fan_in_uniform_(self.neck.bias, bb["dim"])
        else:
            self.neck = None
        self.loss = Loss(config["loss"], d_inv)
        rec = config["reconstruction"]
        self.decoders = nn.ModuleList()
        if rec != "off":
            dc = rec["decoder"]
            grid = bb["imageSize"] // bb["patchSize"]
            for _ in range(rec["k"]):
                self.decoders.append(Conv4(2 * d_equi, grid, bb["patchSize"], dc["channels"], bb["channels"], dc["input"]))
            self.rec_weight, self.k, self.target = rec["weight"], rec["k"], rec["target"]
        else:
            self.rec_weight, self.k, self.target = 0.0, 0, "pixels"

    def features(self, x):
        """Backbone output and the split representation (after the neck), both `(n, 1 + P, D)`."""
        z = self.encoder(x)
        return z, (self.neck(z) if self.neck is not None else z)

    def forward(self, v1, v2, targets, gather=None):
        """(total, {term: tensor}) of a step's views; `gather` turns this process's rows of z1, z2 into the batch's."""
        b = v1.shape[0]
        _, z = self.features(torch.cat([v1, v2], 0))
        inv = z[:, 0, : self.d_inv]
        z1, z2 = inv[:b], inv[b:]
        if gather is not None:
            z1, z2 = gather(z1), gather(z2)
        ssl, parts = self.loss(z1, z2)
        terms = {"ssl": ssl, **{f"ssl.{k}": v for k, v in parts.items()}}
        total = ssl
        if self.k:
            eq = z[:, 1:, self.d_inv:]
            inp = torch.cat([eq[:b], eq[b:]], -1)
            recs = []
            for dec, t in zip(self.decoders, targets):
                goal = normalise_per_image(t) if self.target == "normalised" else t
                recs.append(F.mse_loss(dec(inp), goal))
            rec = sum(recs) / len(recs)
            terms["rec"] = rec
            for i, r in enumerate(recs):
                terms[f"rec.k{i + 1}"] = r
            total = total + self.rec_weight * rec
        terms["total"] = total
        return total, terms
