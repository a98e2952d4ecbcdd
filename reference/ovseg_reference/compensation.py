"""SGSeg's representation-compensation distance (our own code).

Restates `Representation_Compensation` with its defaults (difference "sl1",
prepro "relu", spp_scales [1, 2, 4]) and `_global_pod` of
H1NATA111/SGSeg@d07437b `sgseg/representation_compensation.py`, as described in
`docs/sgseg-released.md` §2:

    distance(F_s, F_t) = SmoothL1_mean,β=1( POD(ReLU(F_s)), POD(ReLU(F_t)) )
    loss_rc            = 0.1 · distance          (sgseg_model.py:184)

POD(x) for x [B, C, H, W]: if H ≠ W, x is first resized bilinearly
(align_corners=False) to the larger side squared; for each scale s the map is
average-pooled with kernel ⌊W/s⌋ (W = the *original* width; stride = kernel,
floor output size), giving p [B, C, a, b]; then h = Σ over the rows of p
(dim 2) flattened to C·b values, v = Σ over the columns (dim 3) flattened to
C·a values, and the embedding is cat_s [h, v]. At 24×24, C = 768 that is
2·768·(1+2+4) = 10752 values per image.

The Swift side reuses `compensation_distance` as a drift diagnostic between a
tuned and a frozen encoder, so it is kept standalone and unweighted.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

RC_WEIGHT = 0.1
POD_SCALES = (1, 2, 4)


def pod_embedding(x: torch.Tensor, scales: Sequence[int] = POD_SCALES) -> torch.Tensor:
    """Pooled-outputs-distillation embedding [B, Σ_s 2·C·s] (for square maps)."""
    if x.dim() != 4:
        raise ValueError(f"POD expects [B, C, H, W], got {tuple(x.shape)}")
    b, _, h, w = x.shape
    if h != w:
        side = max(h, w)
        x = F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)
    parts = []
    for s in scales:
        kernel = w // s
        if kernel < 1:
            raise ValueError(f"POD scale {s} exceeds the map width {w}")
        p = F.avg_pool2d(x, kernel_size=kernel)
        parts.append(torch.cat([p.sum(dim=2).reshape(b, -1), p.sum(dim=3).reshape(b, -1)], dim=-1))
    return torch.cat(parts, dim=1)


def compensation_distance(student: torch.Tensor, teacher: torch.Tensor,
                          scales: Sequence[int] = POD_SCALES) -> torch.Tensor:
    """SmoothL1 (β = 1, mean over batch and embedding) between the POD
    embeddings of ReLU(student) and ReLU(teacher), both [B, C, H, W]. Scalar.
    Multiply by RC_WEIGHT (0.1) for the training loss."""
    if student.shape != teacher.shape:
        raise ValueError(f"student {tuple(student.shape)} and teacher {tuple(teacher.shape)} differ in shape")
    a = pod_embedding(student.clamp(min=0.0), scales)
    b = pod_embedding(teacher.clamp(min=0.0), scales)
    return F.smooth_l1_loss(a, b, reduction="mean", beta=1.0)
