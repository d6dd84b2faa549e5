#!/usr/bin/env python3
"""PyTorch re-implementations of equissl's SSL loss plugins sie, ibot, dinov2 and stl.

Written from the papers and the public reference code, not from equissl's
TypeScript, so the fixtures made from them (make_loss_fixtures.py) check the
plugins independently:

- SIE: Garrido, Najman, LeCun, "Self-supervised learning of Split
  Invariant-Equivariant representations", ICML 2023;
  facebookresearch/SIE `src/models.py` (class SIE, Projector, off_diagonal)
  and `src/hypernetwork.py` (ParametrizedNet with a linear, bias-free HyperNet).
- iBOT: Zhou et al., "iBOT: Image BERT Pre-Training with Online Tokenizer",
  ICLR 2022; bytedance/ibot `main_ibot.py` (class iBOTLoss) and
  `models/head.py` (iBOTHead: MLP, L2 normalisation, weight-normalised last layer).
- DINOv2: Oquab et al., "DINOv2: Learning Robust Visual Features without
  Supervision", TMLR 2024; facebookresearch/dinov2
  `dinov2/loss/dino_clstoken_loss.py` (DINOLoss.sinkhorn_knopp_teacher, forward),
  `dinov2/loss/ibot_patch_loss.py` (iBOTPatchLoss.sinkhorn_knopp_teacher, forward_masked),
  `dinov2/loss/koleo_loss.py` (KoLeoLoss), `dinov2/train/ssl_meta_arch.py` (how they combine).
- STL: Yu, Kim, Yang, Kim, "Self-supervised Transformation Learning for
  Equivariant Representations", NeurIPS 2024; jaemyung-u/stl `model.py`
  (load_mlp, EquiTrans, STL.info_nce_loss, STL.forward).

Distributed reductions (all_gather, all_reduce) are dropped: one process.
The backbones are left out: each loss takes the features equissl hands it.

equissl's deliberate choices, mirrored here (each is documented in the module
comment of the TypeScript plugin), marked `# equissl:` below:

- SIE: the predictor is residual, x + W(θ)·x (θ are offsets from the identity);
- iBOT: one DINO head for cls and patch tokens (iBOT's --shared_head), its
  prototypes weight-normalised with the norm fixed at 1 (norm_last_layer);
  the centres are given as the loss's state; one teacher temperature
  schedule for cls and patches, per step instead of per epoch;
- DINOv2: Sinkhorn over the masked patches only (as DINOv2), KoLeo on the
  pooled student features z of each view;
- STL: the loss reads the given z; equissl's MLPs have hidden-layer biases
  (STL's load_mlp has none) — each is followed by batch norm, which removes
  any constant shift, so the reference keeps STL's bias-free layers;
- batch norm always uses the batch's statistics (biased variance, eps 1e-5):
  PyTorch's BatchNorm1d in training mode.

Dense weights here are in PyTorch's layout (Linear.weight is [out, in]);
make_loss_fixtures.py transposes equissl's [in, out] parameters into them.
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


# ============================================================================ SIE

def sie_projector(embedding, mlp):
    """SIE's Projector: Linear → BatchNorm1d → ReLU per hidden width, last Linear without bias."""
    f = [embedding] + list(mlp)
    layers = []
    for i in range(len(f) - 2):
        layers.append(nn.Linear(f[i], f[i + 1]))
        layers.append(nn.BatchNorm1d(f[i + 1]))
        layers.append(nn.ReLU(True))
    layers.append(nn.Linear(f[-2], f[-1], bias=False))
    return nn.Sequential(*layers)


def sie_part_widths(mlp, part, whole):
    """SIE's per-part widths: np.round(mlp_dims * part / whole)."""
    return [int(w) for w in np.round(np.array(mlp) * (part / float(whole))).astype(int)]


class SieParametrizedNet(nn.Module):
    """SIE's hypernetwork predictor with a one-layer (E → E) target net, no biases, no ReLU."""

    def __init__(self, equivariant_size, latent_size, residual=True):
        super().__init__()
        self.size = equivariant_size
        self.hypernet = nn.Linear(latent_size, equivariant_size * equivariant_size, bias=False)
        self.residual = residual

    def forward(self, x, z):
        # x (B, 1, E); the weights are viewed (out, in) and applied as x @ Wᵀ, as SIE's bmm
        w = self.hypernet(z).view(-1, self.size, self.size)
        out = torch.bmm(x, torch.transpose(w, -2, -1)).squeeze(1)
        # equissl: residual predictor x + W(θ)·x
        return x.squeeze(1) + out if self.residual else out


def off_diagonal(x):
    n, m = x.shape
    assert n == m
    return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()


class SIE(nn.Module):
    """SIE's loss (class SIE's forward after the backbone): z = invariant part, e = equivariant part."""

    def __init__(self, inv_size, equi_size, transform_dim, mlp, sim_coeff=10.0, std_coeff=10.0, cov_coeff=1.0,
                 equi_factor=0.45, residual=True):
        super().__init__()
        whole = inv_size + equi_size
        self.mlp_inv = sie_part_widths(mlp, inv_size, whole)
        self.mlp_equi = sie_part_widths(mlp, equi_size, whole)
        self.projector_inv = sie_projector(inv_size, self.mlp_inv)
        self.projector_equi = sie_projector(equi_size, self.mlp_equi)
        self.predictor = SieParametrizedNet(self.mlp_equi[-1], transform_dim, residual)
        self.sim_coeff, self.std_coeff, self.cov_coeff, self.equi_factor = sim_coeff, std_coeff, cov_coeff, equi_factor

    def forward(self, x_inv, y_inv, x_equi, y_equi, z):
        batch_size = x_inv.shape[0]
        x_inv, y_inv = self.projector_inv(x_inv), self.projector_inv(y_inv)
        x_equi, y_equi = self.projector_equi(x_equi), self.projector_equi(y_equi)
        x = torch.cat((x_inv, x_equi), dim=1)
        y = torch.cat((y_inv, y_equi), dim=1)

        repr_loss_inv = F.mse_loss(x_inv, y_inv)
        y_equi_pred = self.predictor(x_equi.unsqueeze(1), z)
        repr_loss_equi = F.mse_loss(y_equi_pred, y_equi)

        p = y_equi_pred - y_equi_pred.mean(dim=0)
        pred_std_loss = torch.mean(F.relu(1 - torch.sqrt(p.var(dim=0) + 0.0001))) / 2

        x = x - x.mean(dim=0)
        y = y - y.mean(dim=0)
        std_x = torch.sqrt(x.var(dim=0) + 0.0001)
        std_y = torch.sqrt(y.var(dim=0) + 0.0001)
        std_loss = torch.mean(F.relu(1 - std_x)) / 2 + torch.mean(F.relu(1 - std_y)) / 2
        cov_x = (x.T @ x) / (batch_size - 1)
        cov_y = (y.T @ y) / (batch_size - 1)
        cov_loss = off_diagonal(cov_x).pow(2).sum().div(cov_x.shape[0]) + off_diagonal(cov_y).pow(2).sum().div(cov_x.shape[0])

        loss = (self.sim_coeff * repr_loss_inv
                + self.equi_factor * self.sim_coeff * repr_loss_equi
                + self.std_coeff * std_loss
                + self.std_coeff * pred_std_loss
                + self.cov_coeff * cov_loss)
        terms = {"invariance": repr_loss_inv, "equivariance": repr_loss_equi, "variance": std_loss,
                 "predVariance": pred_std_loss, "covariance": cov_loss}
        return loss, terms


# ======================================================================= DINO head

class DinoHead(nn.Module):
    """iBOTHead / DINOv2 DINOHead with nlayers 3, no batch norm: MLP (GELU) → L2 normalise → weight-normalised prototypes."""

    def __init__(self, in_dim, hidden_dim, bottleneck_dim, out_dim):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, hidden_dim), nn.GELU(),
                                 nn.Linear(hidden_dim, bottleneck_dim))
        self.last_layer = nn.utils.weight_norm(nn.Linear(bottleneck_dim, out_dim, bias=False))
        # norm_last_layer: the norm of each prototype is fixed at 1
        self.last_layer.weight_g.data.fill_(1)
        self.last_layer.weight_g.requires_grad = False

    def forward(self, x):
        x = self.mlp(x)
        x = F.normalize(x, dim=-1, p=2, eps=1e-12)
        return self.last_layer(x)


def teacher_temp_schedule(warmup_teacher_temp, teacher_temp, warmup_steps, steps):
    """iBOT's schedule: linspace(warmup, final, warmup_steps), then final (indexed per step in equissl)."""
    return np.concatenate((np.linspace(warmup_teacher_temp, teacher_temp, warmup_steps),
                           np.ones(max(0, steps - warmup_steps)) * teacher_temp))


def mean_entropy(p):
    """Mean entropy of rows of probabilities (equissl's teacherEntropy diagnostic)."""
    return torch.mean(-torch.sum(torch.special.xlogy(p, p), dim=-1))


def marginal_entropy(p):
    """Entropy of the rows' mean distribution (equissl's teacherMarginalEntropy: 0 when one prototype takes every row)."""
    m = p.reshape(-1, p.shape[-1]).mean(dim=0)
    return -torch.sum(torch.special.xlogy(m, m))


# ============================================================================ iBOT

class IBOTLoss(nn.Module):
    """bytedance/ibot iBOTLoss with two global crops and no local crops."""

    def __init__(self, out_dim, patch_out_dim, warmup_teacher_temp, teacher_temp, warmup_steps, steps,
                 student_temp=0.1, center_momentum=0.9, center_momentum2=0.9, lambda1=1.0, lambda2=1.0):
        super().__init__()
        self.student_temp = student_temp
        self.center_momentum = center_momentum
        self.center_momentum2 = center_momentum2
        self.ngcrops = 2
        self.ncrops = 2
        self.register_buffer("center", torch.zeros(1, out_dim))
        self.register_buffer("center2", torch.zeros(1, 1, patch_out_dim))
        self.lambda1, self.lambda2 = lambda1, lambda2
        # equissl: one schedule for cls and patches (iBOT's defaults have the same temperatures)
        self.teacher_temp_schedule = teacher_temp_schedule(warmup_teacher_temp, teacher_temp, warmup_steps, steps)
        self.teacher_temp2_schedule = self.teacher_temp_schedule

    def forward(self, student_output, teacher_output, student_mask, epoch):
        student_cls, student_patch = student_output
        teacher_cls, teacher_patch = teacher_output

        student_cls = student_cls / self.student_temp
        student_cls_c = student_cls.chunk(self.ncrops)
        student_patch = student_patch / self.student_temp
        student_patch_c = student_patch.chunk(self.ngcrops)

        temp = self.teacher_temp_schedule[epoch]
        temp2 = self.teacher_temp2_schedule[epoch]
        teacher_cls_p = F.softmax((teacher_cls - self.center) / temp, dim=-1)
        teacher_cls_c = teacher_cls_p.detach().chunk(self.ngcrops)
        teacher_patch_c = F.softmax((teacher_patch - self.center2) / temp2, dim=-1)
        teacher_patch_c = teacher_patch_c.detach().chunk(self.ngcrops)

        total_loss1, n_loss_terms1 = 0, 0
        total_loss2, n_loss_terms2 = 0, 0
        for q in range(len(teacher_cls_c)):
            for v in range(len(student_cls_c)):
                if v == q:
                    loss2 = torch.sum(-teacher_patch_c[q] * F.log_softmax(student_patch_c[v], dim=-1), dim=-1)
                    mask = student_mask[v].flatten(-2, -1)
                    loss2 = torch.sum(loss2 * mask.float(), dim=-1) / mask.sum(dim=-1).clamp(min=1.0)
                    total_loss2 += loss2.mean()
                    n_loss_terms2 += 1
                else:
                    loss1 = torch.sum(-teacher_cls_c[q] * F.log_softmax(student_cls_c[v], dim=-1), dim=-1)
                    total_loss1 += loss1.mean()
                    n_loss_terms1 += 1

        total_loss1 = total_loss1 / n_loss_terms1 * self.lambda1
        total_loss2 = total_loss2 / n_loss_terms2 * self.lambda2
        # equissl's diagnostics: the teacher's mean entropy and cls − entropy (the mean KL)
        entropy = mean_entropy(teacher_cls_p)
        total_loss = dict(cls=total_loss1, patch=total_loss2, loss=total_loss1 + total_loss2,
                          teacherEntropy=entropy, teacherMarginalEntropy=marginal_entropy(teacher_cls_p),
                          kl=total_loss1 / self.lambda1 - entropy)
        self.update_center(teacher_cls, teacher_patch)
        return total_loss

    @torch.no_grad()
    def update_center(self, teacher_cls, teacher_patch):
        cls_center = torch.sum(teacher_cls, dim=0, keepdim=True) / len(teacher_cls)
        self.center = self.center * self.center_momentum + cls_center * (1 - self.center_momentum)
        patch_center = torch.sum(teacher_patch.mean(1), dim=0, keepdim=True) / len(teacher_patch)
        self.center2 = self.center2 * self.center_momentum2 + patch_center * (1 - self.center_momentum2)


def ibot_step(head, loss_fn, z1, z2, tokens1, tokens2, teacher, masks1, masks2, step):
    """One iBOT step: the student head on both views (cls and patch tokens), the teacher's logits given."""
    student_cls = head(torch.cat([z1, z2]))
    student_patch = head(torch.cat([tokens1, tokens2]))
    teacher_cls = torch.cat([teacher["cls1"], teacher["cls2"]])
    teacher_patch = torch.cat([teacher["patches1"], teacher["patches2"]])
    return loss_fn((student_cls, student_patch), (teacher_cls, teacher_patch), [masks1, masks2], step)


# ========================================================================== DINOv2

@torch.no_grad()
def sinkhorn_knopp_teacher(teacher_output, teacher_temp, n_iterations=3):
    """DINOLoss.sinkhorn_knopp_teacher (iBOTPatchLoss's is the same with B = the number of masked patches).

    DINOv2's algorithm as published, in float64: plain exp does not overflow
    for the fixtures' logits (|t/τ| ≤ 25); equissl computes the same in the log domain.
    """
    Q = torch.exp(teacher_output / teacher_temp).t()  # K-by-B
    B = Q.shape[1]
    K = Q.shape[0]
    Q /= torch.sum(Q)
    for _ in range(n_iterations):
        Q /= torch.sum(Q, dim=1, keepdim=True)
        Q /= K
        Q /= torch.sum(Q, dim=0, keepdim=True)
        Q /= B
    Q *= B
    return Q.t()


def dino_cls_loss(student_output_list, teacher_out_softmaxed_centered_list, student_temp=0.1):
    """DINOLoss.forward."""
    total_loss = 0
    for s in student_output_list:
        lsm = F.log_softmax(s / student_temp, dim=-1)
        for t in teacher_out_softmaxed_centered_list:
            total_loss -= torch.sum(t * lsm, dim=-1).mean()
    return total_loss


def ibot_forward_masked(student_patch_tokens_masked, teacher_patch_tokens_masked, student_masks_flat, student_temp=0.1):
    """iBOTPatchLoss.forward_masked (masks_weight from the masks)."""
    loss = torch.sum(teacher_patch_tokens_masked * F.log_softmax(student_patch_tokens_masked / student_temp, dim=-1), dim=-1)
    masks_weight = (1 / student_masks_flat.sum(-1).clamp(min=1.0)).unsqueeze(-1).expand_as(student_masks_flat)[student_masks_flat]
    loss = loss * masks_weight
    return -loss.sum() / student_masks_flat.shape[0]


class KoLeoLoss(nn.Module):
    """dinov2 KoLeoLoss."""

    def __init__(self):
        super().__init__()
        self.pdist = nn.PairwiseDistance(2, eps=1e-8)

    def pairwise_NNs_inner(self, x):
        dots = torch.mm(x, x.t())
        n = x.shape[0]
        dots.view(-1)[:: (n + 1)].fill_(-1)
        _, I = torch.max(dots, dim=1)  # noqa: E741
        return I

    def forward(self, student_output, eps=1e-8):
        student_output = F.normalize(student_output, eps=eps, p=2, dim=-1)
        I = self.pairwise_NNs_inner(student_output)  # noqa: E741
        distances = self.pdist(student_output, student_output[I])
        return -torch.log(distances + eps).mean()


def dinov2_step(head, z1, z2, tokens1, tokens2, teacher, masks1, masks2, teacher_temp, student_temp=0.1,
                n_iterations=3, koleo_weight=0.1, dino_weight=1.0, ibot_weight=1.0):
    """ssl_meta_arch's forward_backward for two global crops, no local crops, shared head, Sinkhorn centring."""
    n_global_crops = 2
    B = z1.shape[0]
    # teacher: cls of the two crops swapped so that student crop A meets teacher crop B
    teacher_cls = torch.cat([teacher["cls2"], teacher["cls1"]])
    teacher_dino = sinkhorn_knopp_teacher(teacher_cls, teacher_temp, n_iterations).view(n_global_crops, -1, teacher_cls.shape[-1])
    # masks over both crops; the teacher's patches of the masked positions only
    masks = torch.cat([masks1, masks2]).bool()
    mask_indices_list = masks.flatten().nonzero().flatten()
    n_masked_patches = mask_indices_list.shape[0]
    teacher_patch = torch.cat([teacher["patches1"], teacher["patches2"]]).flatten(0, 1)
    teacher_ibot = sinkhorn_knopp_teacher(teacher_patch[mask_indices_list], teacher_temp, n_iterations)

    student_cls = head(torch.cat([z1, z2]))
    student_patch_masked = head(torch.cat([tokens1, tokens2]).flatten(0, 1)[mask_indices_list])

    loss_scales = 2  # the student's global crops
    n_global_crops_loss_terms = (n_global_crops - 1) * n_global_crops
    dino_loss = dino_cls_loss([student_cls], [teacher_dino.flatten(0, 1)], student_temp) * loss_scales / n_global_crops_loss_terms
    ibot_loss = (ibot_forward_masked(student_patch_masked, teacher_ibot, masks, student_temp) * loss_scales / n_global_crops
                 if n_masked_patches > 0 else torch.zeros((), dtype=z1.dtype))
    koleo = KoLeoLoss()
    # equissl: KoLeo on the pooled student features z of each view
    koleo_loss = sum(koleo(p) for p in [z1, z2])
    loss = dino_weight * dino_loss + ibot_weight * ibot_loss + koleo_weight * koleo_loss
    # diagnostics: the Sinkhorn teacher's mean entropy, and cls − entropy
    entropy = mean_entropy(teacher_dino.flatten(0, 1))
    assert B * 2 == teacher_dino.flatten(0, 1).shape[0]
    return dict(loss=loss, cls=dino_loss, patch=ibot_loss, koleo=koleo_loss, teacherEntropy=entropy,
                teacherMarginalEntropy=marginal_entropy(teacher_dino.flatten(0, 1)), kl=dino_loss - entropy)


# ============================================================================= STL

def load_mlp(input_dim, layers):
    """STL's load_mlp: (Linear without bias → BatchNorm1d → ReLU) per hidden width, last Linear without bias."""
    sizes = [input_dim] + list(layers)
    layer_list = []
    for i in range(len(sizes) - 2):
        layer_list.append(nn.Linear(sizes[i], sizes[i + 1], bias=False))
        layer_list.append(nn.BatchNorm1d(sizes[i + 1]))
        layer_list.append(nn.ReLU(inplace=True))
    layer_list.append(nn.Linear(sizes[-2], sizes[-1], bias=False))
    return nn.Sequential(*layer_list)


class EquiTrans(nn.Module):
    """STL's hypernetwork: a bias-free Linear from the transformation representation to an E×E (out, in) matrix."""

    def __init__(self, equi_repr_dim, trans_repr_dim):
        super().__init__()
        self.dim = equi_repr_dim
        self.hypernet = nn.Linear(trans_repr_dim, equi_repr_dim * equi_repr_dim, bias=False)

    def forward(self, r, t):
        w = self.hypernet(t).view(-1, self.dim, self.dim)
        return torch.bmm(r.unsqueeze(1), w.transpose(-2, -1)).squeeze(1)


class STL(nn.Module):
    """jaemyung-u/stl STL.forward after the backbone: y1, y2 are the representations equissl hands the loss."""

    def __init__(self, repr_dim, batch_size, projector, trans_backbone, trans_projector, temperature=0.2,
                 inv=1.0, equi=1.0, trans=0.1):
        super().__init__()
        trans_repr_dim = trans_backbone[-1]
        self.trans_backbone = load_mlp(2 * repr_dim, trans_backbone)
        self.equi_transform = EquiTrans(repr_dim, trans_repr_dim)
        self.inv_projector = load_mlp(repr_dim, projector)
        self.equi_projector = load_mlp(repr_dim, projector)
        self.trans_projector = load_mlp(trans_repr_dim, trans_projector)
        self.even_idxs = 2 * torch.arange(batch_size // 2)
        self.odd_idxs = 2 * torch.arange(batch_size // 2) + 1
        self.shifted_idxs = torch.flatten(torch.stack([self.odd_idxs, self.even_idxs], dim=1))
        self.inv, self.equi, self.trans, self.temperature = inv, equi, trans, temperature

    def info_nce_loss(self, z1, z2):
        z1 = F.normalize(z1, dim=1)
        z2 = F.normalize(z2, dim=1)
        z = torch.cat([z1, z2], dim=0)
        scores = torch.matmul(z, z.t()) / self.temperature
        n = z1.size(0)
        labels = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
        scores = scores.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
        return F.cross_entropy(scores, labels)

    def forward(self, y1, y2):
        y_trans122 = self.trans_backbone(torch.cat([y1, y2], dim=-1))
        y_trans221 = self.trans_backbone(torch.cat([y2, y1], dim=-1))
        y_trans1 = torch.cat([y_trans122[self.even_idxs], y_trans221[self.even_idxs]], dim=0)
        y_trans2 = torch.cat([y_trans122[self.odd_idxs], y_trans221[self.odd_idxs]], dim=0)
        y_pred1 = self.equi_transform(y2, y_trans221[self.shifted_idxs])
        y_pred2 = self.equi_transform(y1, y_trans122[self.shifted_idxs])
        inv_loss = self.info_nce_loss(self.inv_projector(y1), self.inv_projector(y2))
        z_equi = torch.cat([self.equi_projector(y1), self.equi_projector(y2)], dim=0)
        z_equi_pred = torch.cat([self.equi_projector(y_pred1), self.equi_projector(y_pred2)], dim=0)
        equi_loss = self.info_nce_loss(z_equi, z_equi_pred)
        trans_loss = self.info_nce_loss(self.trans_projector(y_trans1), self.trans_projector(y_trans2))
        total_loss = self.inv * inv_loss + self.equi * equi_loss + self.trans * trans_loss
        return total_loss, {"invariance": inv_loss, "equivariance": equi_loss, "transformation": trans_loss}
