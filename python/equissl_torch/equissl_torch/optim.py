"""AdamW with equissl's parameter groups, and its warm-up + cosine learning-rate schedule.

As packages/pipeline/src/adamw.ts and schedule.ts: torch.optim.AdamW (the
same update as equissl's, decoupled weight decay p ← p·(1 − lr·wd) first),
weight decay on matrices only (rank ≥ 2, not the cls token, mask token or
position embedding), the decoders' rate scaled by `optimizer.decoderLrScale`;
the rate of step s rises linearly over `warmupSteps`, then follows a cosine
from `lr` to `minLr` at `steps`.
"""
import math

import torch


def decays(name, shape):
    """adamw.ts `decays`: matrices only, never the cls / mask token or the position embedding."""
    return len(shape) >= 2 and not name.endswith(("clsToken", "maskToken", "posEmbed"))


def make_optimizer(model, oc):
    """AdamW over `model`'s parameters (equissl names), one group per (decay, lr scale); each group keeps its `scale`."""
    groups = {}
    for name, p in model.named_parameters():
        scale = oc["decoderLrScale"] if name.startswith("decoders.") else 1
        groups.setdefault((decays(name, p.shape), scale), []).append(p)
    param_groups = [{"params": ps, "weight_decay": oc["weightDecay"] if d else 0.0, "scale": s}
                    for (d, s), ps in groups.items()]
    return torch.optim.AdamW(param_groups, lr=oc["lr"], betas=(oc["beta1"], oc["beta2"]), eps=oc["eps"], foreach=False)


def warmup_cosine(step, total, lr, min_lr, warmup):
    """schedule.ts `warmupCosine`: the learning rate of step `step` (0-based)."""
    if warmup > 0 and step < warmup:
        return lr * (step + 1) / warmup
    span = max(1, total - warmup)
    progress = min(1.0, (step - warmup) / span)
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * progress))


def set_lr(optimizer, lr):
    for g in optimizer.param_groups:
        g["lr"] = lr * g["scale"]
