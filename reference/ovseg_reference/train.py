"""Training of the SGSeg reference model (our own code).

Restates the training branch of `SGSeg.forward`, `frozen_backbone` and the
solver of H1NATA111/SGSeg@d07437b (`sgseg/sgseg_model.py`, `train_net.py`,
`configs/{config_rs,eva_vitl_336_rs}.yaml`) from `docs/sgseg-released.md` §2, §3.1:

* batch: RGB crops [B,3,h,w] in 0–255 and labels [B,h,w] (training-class ids,
  255 = ignore); normalise with the CLIP constants, zero-pad to a multiple of
  32, bilinear to the CLIP input;
* tuned encoder → dense map F_s and guidance taps; the frozen teacher (a deep
  copy of the CLIP taken before training, `teacher_sem_seg_head`) → F_t on the
  same pixels, without gradient;
* head with the labels: the memory EMA update runs first (dense map bilinearly
  resized to the label size), then the scene bias and the logits [B,T,4g,4g];
* `loss_sem_seg` = BCE-with-logits, mean over all pixels × classes, on the
  logits bilinearly resized to the label size; the target is the one-hot of
  the label, and an ignored pixel has an all-zero target — the release does
  not remove ignored pixels from the mean, and neither do we by default
  (`exclude_ignored=True` removes them);
* `loss_rc` = 0.1 · compensation_distance(F_s, F_t) (compensation.py);
* trainable: EVA vision `blocks.*.attn.q_proj.weight`/`v_proj.weight`, text
  `transformer.resblocks.*.attn.in_proj_weight`, the whole head and
  upsample1/2 (the memory prototypes are EMA-only); for an OpenAI/HF backbone
  (which the release cannot train) CAT-Seg's rule: q/v projection weights of
  both towers;
* class-attention pooling 2 while training (`POOLING_SIZES [2,2]`);
* optimiser: AdamW (lr 2e-4, weight decay 1e-4, none on norms/embeddings),
  CLIP parameters at lr × 0.01, full-model gradient-norm clipping 0.01,
  cosine schedule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import clip_openai
from .compensation import RC_WEIGHT, compensation_distance
from .model import SGSegModel
from .windows import normalise, pad_to_divisible, resize


@dataclass
class TrainConfig:
    lr: float = 2e-4
    clip_multiplier: float = 0.01
    weight_decay: float = 1e-4
    grad_clip: float = 0.01            # full-model gradient-norm clip (0 = off)
    rc_weight: float = RC_WEIGHT
    steps: int = 40000                 # for the cosine schedule
    pooling: int = 2                   # class-attention pooling while training (the EVA config's [2,2])
    ignore: int = 255
    exclude_ignored: bool = False      # the release keeps ignored pixels as all-negative targets


def is_trainable_clip_parameter(name: str, backbone: str) -> bool:
    """The release's `frozen_backbone` rule for the tuned CLIP (names relative to clip_model)."""
    if backbone == "eva02":
        if name.startswith("visual.blocks."):
            return ".attn." in name and ("q_proj" in name or "v_proj" in name)
        if name.startswith("text.transformer.resblocks."):
            return "in_proj_weight" in name
        return False
    return clip_openai.trainable_names(name)


def set_trainable(model: SGSegModel) -> List[str]:
    """requires_grad as the release; returns the names of the trainable parameters."""
    for name, p in model.clip.named_parameters():
        p.requires_grad_(is_trainable_clip_parameter(name, model.cfg.backbone))
    if model.teacher_clip is not None:
        for p in model.teacher_clip.parameters():
            p.requires_grad_(False)
    for name, p in model.named_parameters():
        if name.startswith(("sem_seg_head.predictor.transformer.", "upsample1.", "upsample2.")):
            p.requires_grad_(not name.endswith("memory.memory"))
    return [n for n, p in model.named_parameters() if p.requires_grad]


def build_optimizer(model: SGSegModel, cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW with the release's parameter groups (CLIP lr × multiplier; no decay on norms/embeddings)."""
    groups = []
    seen = set()
    norm_types = (nn.LayerNorm, nn.GroupNorm)
    for module_name, module in model.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            if not p.requires_grad or id(p) in seen:
                continue
            seen.add(id(p))
            lr = cfg.lr * (cfg.clip_multiplier if "clip_model" in module_name else 1.0)
            wd = 0.0 if isinstance(module, (norm_types, nn.Embedding)) else cfg.weight_decay
            groups.append({"params": [p], "lr": lr, "weight_decay": wd, "initial_lr": lr})
    return torch.optim.AdamW(groups)


def cosine_factor(step: int, total: int) -> float:
    """detectron2 WarmupCosineLR without warm-up: 0.5·(1 + cos(π·step/total))."""
    return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))


def segmentation_loss(logits: torch.Tensor, labels: torch.Tensor, ignore: int = 255,
                      exclude_ignored: bool = False) -> torch.Tensor:
    """BCE-with-logits over all classes on logits [B,T,h',w'] resized to the labels [B,h,w]."""
    b, t = logits.shape[:2]
    up = F.interpolate(logits, size=tuple(labels.shape[-2:]), mode="bilinear", align_corners=False)
    up = up.permute(0, 2, 3, 1)
    valid = labels != ignore
    if bool((labels[valid] >= t).any()) or bool((labels[valid] < 0).any()):
        raise ValueError(f"labels outside 0…{t - 1} (and ≠ {ignore})")
    target = torch.zeros_like(up)
    target[valid] = F.one_hot(labels[valid].long(), num_classes=t).to(up.dtype)
    if exclude_ignored:
        return F.binary_cross_entropy_with_logits(up[valid], target[valid])
    return F.binary_cross_entropy_with_logits(up, target)


def training_losses(model: SGSegModel, images: torch.Tensor, labels: torch.Tensor, text_ids: torch.Tensor,
                    cfg: TrainConfig = TrainConfig()) -> Dict[str, torch.Tensor]:
    """One forward pass in training mode → {"loss_sem_seg", "loss_rc", "loss"}.
    images [B,3,h,w] 0–255, labels [B,h,w] int, text_ids [T,P,L] of the training classes."""
    if model.teacher_clip is None:
        raise RuntimeError("training needs the frozen teacher: call model.attach_teacher() before training")
    model.train()
    pixels = resize(pad_to_divisible(normalise(images.float())), model.cfg.clip_input)
    text = model.encode_text(text_ids)
    dense, res4, res5 = model.encode_image(pixels) if not model.cfg.frozen_compensation else \
        _tuned_only(model, pixels)
    b = pixels.shape[0]
    logits = model.aggregator(dense, text.unsqueeze(0).expand(b, *text.shape), [res4, res5],
                              pooling=cfg.pooling, gt=labels)
    with torch.no_grad():
        if model.cfg.backbone == "eva02":
            frozen, _ = model.teacher_clip.visual.forward_dense(pixels, ())
        else:
            frozen, _ = clip_openai.catseg_dense(model.teacher_clip, pixels, ())
        g = model.cfg.grid
        frozen = frozen.transpose(1, 2).reshape(b, -1, g, g)
    loss_seg = segmentation_loss(logits, labels, cfg.ignore, cfg.exclude_ignored)
    loss_rc = cfg.rc_weight * compensation_distance(dense, frozen)
    return {"loss_sem_seg": loss_seg, "loss_rc": loss_rc, "loss": loss_seg + loss_rc}


def _tuned_only(model: SGSegModel, pixels: torch.Tensor):
    """Training always distils the tuned encoder's own dense map (the variant's
    inference-time fusion is not part of training)."""
    model.cfg.frozen_compensation = False
    try:
        return model.encode_image(pixels)
    finally:
        model.cfg.frozen_compensation = True


class Trainer:
    """Minimal loop: set_trainable, AdamW groups, cosine schedule, gradient clipping."""

    def __init__(self, model: SGSegModel, cfg: TrainConfig = TrainConfig()):
        self.model, self.cfg = model, cfg
        if model.teacher_clip is None:
            model.attach_teacher()
        self.trainable = set_trainable(model)
        self.optimizer = build_optimizer(model, cfg)
        self.step_count = 0

    def step(self, images: torch.Tensor, labels: torch.Tensor, text_ids: torch.Tensor) -> Dict[str, float]:
        factor = cosine_factor(self.step_count, self.cfg.steps)
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"] * factor
        losses = training_losses(self.model, images, labels, text_ids, self.cfg)
        self.optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        if self.cfg.grad_clip > 0:
            params = [p for g in self.optimizer.param_groups for p in g["params"]]
            torch.nn.utils.clip_grad_norm_(params, self.cfg.grad_clip)
        self.optimizer.step()
        self.step_count += 1
        return {k: float(v.detach()) for k, v in losses.items()}
