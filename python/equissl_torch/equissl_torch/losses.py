"""The SSL losses equissl_torch trains, term for term as equissl's plugins compute them.

- `vicreg_terms` (losses/src/vicreg.ts): invariance MSE; variance hinge
  mean(relu(1 − σ))/2 per view with σ = sqrt(Var + 1e-4), unbiased variance;
  covariance off(C)/d per view, C over (B − 1);
- `info_nce` (simclr.ts): NT-Xent over the 2B L2-normalised embeddings, the
  partner as positive, self-similarities masked with −1e9;
- `barlow_terms` (barlow-twins.ts): per-dimension standardisation over the
  batch (biased variance, ε 1e-5), C = z1ᵀz2 / B, on-diagonal Σ(1 − C_ii)²
  and off-diagonal Σ_{i≠j} C_ij².

Each takes the whole batch's embeddings: under DistributedDataParallel the
training step gathers every process's rows first (`GatherRows`), as equissl's
data-parallel replicas do, so the batch statistics are those of the global
batch.
"""
import torch
import torch.distributed as dist
import torch.nn.functional as F


def vicreg_terms(z1, z2, eps=1e-4):
    """(invariance, variance, covariance) of a pair `[B, d]`, unweighted."""
    n, d = z1.shape

    def regularisers(z):
        zc = z - z.mean(0, keepdim=True)
        var = (zc ** 2).sum(0) / (n - 1)
        std = torch.sqrt(var + eps)
        cov = zc.T @ zc / (n - 1)
        return F.relu(1 - std).mean(), ((cov ** 2).sum() - (var ** 2).sum()) / d

    h1, o1 = regularisers(z1)
    h2, o2 = regularisers(z2)
    return ((z1 - z2) ** 2).mean(), h1 / 2 + h2 / 2, o1 + o2


def info_nce(z1, z2, temperature):
    """NT-Xent of a pair `[B, d]` at temperature τ."""
    b = z1.shape[0]
    z = torch.cat([z1, z2], 0)
    z = z / (z.norm(dim=1, keepdim=True) + 1e-12)
    logits = z @ z.T / temperature - torch.eye(2 * b, dtype=z.dtype, device=z.device) * 1e9
    partner = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)]).to(z.device)
    return (torch.logsumexp(logits, 1) - logits.gather(1, partner[:, None])[:, 0]).mean()


def barlow_terms(z1, z2):
    """(on-diagonal, off-diagonal) terms of Barlow Twins' cross-correlation of a pair `[B, d]`."""
    b = z1.shape[0]

    def standardise(z):
        m = z.mean(0, keepdim=True)
        v = ((z - m) ** 2).mean(0, keepdim=True)
        return (z - m) / torch.sqrt(v + 1e-5)

    c = standardise(z1).T @ standardise(z2) / b
    diag = torch.diagonal(c)
    return ((1 - diag) ** 2).sum(), (c ** 2).sum() - (diag ** 2).sum()


class GatherRows(torch.autograd.Function):
    """This process's rows `[b, …]` → the batch's `[W·b, …]` in rank order; the gradient of the own rows × W.

    Every process computes the same batch-level loss on the gathered rows
    (the others' rows are constants on its tape, as in equissl's replicas),
    so the own rows' gradient is one W-th of what DistributedDataParallel's
    averaging needs: it is scaled by W here, and the average over processes
    is then the gradient of the loss of the whole batch.
    """

    @staticmethod
    def forward(ctx, x):
        world, rank = dist.get_world_size(), dist.get_rank()
        ctx.world, ctx.rank, ctx.rows = world, rank, x.shape[0]
        parts = [torch.empty_like(x) for _ in range(world)]
        dist.all_gather(parts, x.contiguous())
        parts[rank] = x
        return torch.cat(parts, 0)

    @staticmethod
    def backward(ctx, grad):
        lo = ctx.rank * ctx.rows
        return grad[lo: lo + ctx.rows] * ctx.world


def gather_rows(x):
    """GatherRows when more than one process trains, else x."""
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return GatherRows.apply(x)
    return x
