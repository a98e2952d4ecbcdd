"""Tiny configurations and weight randomisation for fixtures, smoke tests and
the comparison with the authors' code (`docs/sgseg-released.md` §10,
`docs/segmentation-core.md` §6.1).

Sizes are chosen so every code path runs (RoPE with several frequencies, a
shifted Swin window with its mask, class padding, GroupNorm with more than one
channel per group, two decoder stages) while the checkpoints stay a few
hundred kilobytes.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn as nn

from .eva02 import EVA02TextConfig, EVA02VisionConfig
from .head import AggregatorConfig
from .model import SGSegConfig, SGSegModel
from .windows import SlidingGeometry

TINY_VOCAB = 64            # tiny text towers: ids 1…61 words, SOT 62, EOT 63 (the largest id), pad 0
TINY_SOT, TINY_EOT = TINY_VOCAB - 2, TINY_VOCAB - 1


def tiny_eva_vision(image_size: int = 16, patch: int = 4) -> EVA02VisionConfig:
    """Width 32, 2 heads of 16 (RoPE over 4 frequencies per axis), 3 blocks
    (taps 0 and 1, CSA on block 2), SwiGLU 40, E = 16, pt_seq_len 16."""
    return EVA02VisionConfig(image_size=image_size, patch_size=patch, width=32, depth=3, heads=2, mlp_hidden=40,
                             embed_dim=16, pt_seq_len=16)


def tiny_eva_text(vocab: int = TINY_VOCAB, width: int = 16, heads: int = 2) -> EVA02TextConfig:
    return EVA02TextConfig(vocab_size=vocab, context_length=77, width=width, layers=2, heads=heads, mlp=4 * width,
                           embed_dim=16)


def tiny_aggregator(embed_dim: int = 16, grid: int = 4, bias: str = "memory", memory_rows: int = 5,
                    pooling: int = 1) -> AggregatorConfig:
    """Hidden 16, 2 heads, window 2 on a 4×4 map (shifted block with mask),
    pad_len 5, decoder (16, 16) with guidance (16, 8) → (8, 4)."""
    return AggregatorConfig(embed_dim=embed_dim, prompt_channel=1, hidden=16, heads=2, window=2, layers=2,
                            pooling=pooling, feature_resolution=grid, pad_len=5, appearance_proj=16, text_proj=16,
                            decoder_dims=(16, 16), decoder_guidance_dims=(16, 8), decoder_guidance_proj_dims=(8, 4),
                            bias=bias, memory_rows=memory_rows)


TINY_GEOMETRY = SlidingGeometry(out_res=48, window=32, stride=16)


def tiny_hf_clip(vocab: int = TINY_VOCAB):
    """A tiny OpenAI-style CLIP (HF names): vision width 32, 4 heads, 3 layers,
    patch 4, image 16; text width 16, 2 heads, 2 layers; projection 16; QuickGELU."""
    from transformers import CLIPConfig, CLIPTextConfig, CLIPVisionConfig
    text = CLIPTextConfig(vocab_size=vocab, hidden_size=16, num_attention_heads=2, num_hidden_layers=2,
                          intermediate_size=37, max_position_embeddings=77, bos_token_id=vocab - 2,
                          eos_token_id=vocab - 1, pad_token_id=0, hidden_act="quick_gelu")
    vision = CLIPVisionConfig(hidden_size=32, num_attention_heads=4, num_hidden_layers=3, intermediate_size=37,
                              patch_size=4, image_size=16, hidden_act="quick_gelu")
    return CLIPConfig(text_config=text.to_dict(), vision_config=vision.to_dict(), projection_dim=16)


def tiny_sgseg_config(**overrides) -> SGSegConfig:
    kw = dict(backbone="eva02", vision=tiny_eva_vision(), text=tiny_eva_text(), aggregator=tiny_aggregator(),
              guidance_layers=(0, 1), geometry=TINY_GEOMETRY)
    kw.update(overrides)
    return SGSegConfig(**kw)


def tiny_catseg_config(**overrides) -> SGSegConfig:
    kw = dict(backbone="openai", hf_clip=tiny_hf_clip(), bias="none", aggregator=tiny_aggregator(bias="none"),
              guidance_layers=(0, 1), geometry=TINY_GEOMETRY)
    kw.update(overrides)
    return SGSegConfig(**kw)


@torch.no_grad()
def randomise_(module: nn.Module, generator: torch.Generator, scale: float = 1.0) -> nn.Module:
    """Make every tensor non-trivial: norm weights 1 + 0.3·N, biases 0.1·N,
    embeddings / positions / CLS 0.5·N, 2-D+ weights N·(fan_in)^−½ (so
    activations stay O(1)), memory prototypes N with a scorer whose bias makes
    some rows score positive (a ReLU that is all zero would hide ordering)."""
    for name, p in module.named_parameters():
        leaf = name.rsplit(".", 1)[-1]
        if name.endswith("memory.memory"):
            p.copy_(torch.randn(p.shape, generator=generator))
        elif p.dim() == 1 and (any(s in name for s in ("norm", "ln_", "layer_norm", "layrnorm", "ffn_ln"))
                               or ".double_conv.1." in name or ".double_conv.4." in name):
            base = 1.0 if leaf == "weight" else 0.0
            p.copy_(base + (0.3 if leaf == "weight" else 0.1) * torch.randn(p.shape, generator=generator))
        elif any(s in name for s in ("embedding", "pos_embed", "cls_token", "padding_")):
            p.copy_(0.5 * torch.randn(p.shape, generator=generator))
        elif name.endswith("logit_scale"):
            p.fill_(4.6052)
        elif p.dim() == 1 or name.endswith(("q_bias", "v_bias")):
            p.copy_(0.1 * torch.randn(p.shape, generator=generator))
        elif name.endswith("gamma_v") or name.endswith("gamma_l"):
            p.copy_(0.1 * torch.randn(p.shape, generator=generator))
        else:
            fan_in = p[0].numel() if p.dim() > 1 else p.numel()
            if "upsample" in name or name.endswith("up.weight"):      # ConvTranspose: [in, out, k, k]
                fan_in = p.shape[0]
            p.copy_(scale * torch.randn(p.shape, generator=generator) / fan_in ** 0.5)
        if name.endswith("memory.linear.0.bias"):
            p.fill_(0.3)
    return module


def tiny_ids(prompts_tokens: Sequence[Sequence[int]], context: int = 77) -> torch.Tensor:
    """Rows of tiny-vocabulary word ids → [T, 1, context] with SOT/EOT and zero padding."""
    ids = torch.zeros(len(prompts_tokens), 1, context, dtype=torch.long)
    for r, words in enumerate(prompts_tokens):
        row = [TINY_SOT] + list(words) + [TINY_EOT]
        ids[r, 0, :len(row)] = torch.tensor(row)
    return ids


def real_to_tiny_ids(ids: torch.Tensor, vocab: int = TINY_VOCAB) -> torch.Tensor:
    """Map real open_clip token ids onto a tiny vocabulary, deterministically:
    SOT 49406 → vocab−2, EOT 49407 → vocab−1, padding 0 → 0, any other id i →
    1 + (i mod (vocab − 3)). Used so tiny fixtures come from real prompts."""
    out = torch.where(ids == 0, torch.zeros_like(ids), 1 + ids % (vocab - 3))
    out = torch.where(ids == 49406, torch.full_like(ids, vocab - 2), out)
    return torch.where(ids == 49407, torch.full_like(ids, vocab - 1), out)


def build_tiny(cfg: SGSegConfig, seed: int, teacher_perturbation: Optional[float] = None) -> SGSegModel:
    """A randomised tiny model; with `teacher_perturbation` a teacher CLIP is
    attached and the tuned CLIP's trainable projections are then perturbed
    (so tuned ≠ frozen, as after fine-tuning)."""
    g = torch.Generator().manual_seed(seed)
    model = SGSegModel(cfg)
    randomise_(model, g)
    if teacher_perturbation is not None:
        if model.teacher_clip is None:
            model.attach_teacher()
        else:
            model.teacher_clip.load_state_dict(model.clip.state_dict())
        with torch.no_grad():
            for name, p in model.clip.named_parameters():
                if name.endswith(("q_proj.weight", "v_proj.weight", "in_proj_weight")):
                    p.add_(teacher_perturbation * torch.randn(p.shape, generator=g) / p.shape[-1] ** 0.5)
    return model.eval()
