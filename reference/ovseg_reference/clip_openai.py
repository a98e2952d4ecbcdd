"""OpenAI-CLIP backbone of CAT-Seg checkpoints, on Hugging Face `CLIPModel` (our own code).

CAT-Seg (KU-CVLAB/CAT-Seg@6d3a188) fine-tunes OpenAI CLIP and reads, per
window (`docs/segmentation-core.md` §2.6, §4.3, §4.4):

* dense features: the last block in CAT-Seg's value-path mode,
  `z' = out_proj(v_proj(LN1(h))) + h[CLS]` (the CLS row of the block input
  broadcast to every token), `z = z' + MLP(LN2(z'))`, then `post_layernorm`
  on all tokens and `visual_projection`; the CLS row is dropped, the rest is
  **not** normalised;
* guidance taps: the raw residual stream after blocks l (0-based; 3/7 for
  B/16, 7/15 for L/14), patch tokens only = HF `hidden_states[l + 1][:, 1:]`;
* text: the tower's final-LN output at the first EOT position (OpenAI
  `argmax(ids)`, independent of the config's legacy `eos_token_id`), times
  `text_projection`, unnormalised.

The model keeps Hugging Face names so a checkpoint's CLIP keys are
`sem_seg_head.predictor.clip_model.{vision_model,text_model,visual_projection,
text_projection,logit_scale}…` (OpenAI-named CAT-Seg weights are renamed by
`export.convert`, `docs/checkpoint-format.md` §5).
"""
from __future__ import annotations

from typing import Dict, Sequence, Tuple

import torch
from transformers import CLIPConfig, CLIPModel


def build_clip(config: CLIPConfig) -> CLIPModel:
    """A float32 CLIPModel with eager attention (the fixture oracle's setting)."""
    config._attn_implementation = "eager"
    return CLIPModel(config).float()


def catseg_dense(clip: CLIPModel, pixels: torch.Tensor, taps: Sequence[int]
                 ) -> Tuple[torch.Tensor, Dict[int, torch.Tensor]]:
    """pixels [B, 3, S, S] (normalised) → (dense [B, N, E] unnormalised patch
    features, {l: [B, N, W] raw patch tokens after block l}). Position
    embeddings are interpolated (bicubic, by size) when S is not the native size."""
    vm = clip.vision_model
    native = clip.config.vision_config.image_size
    out = vm(pixel_values=pixels, output_hidden_states=True,
             interpolate_pos_encoding=pixels.shape[-1] != native or pixels.shape[-2] != native)
    hs = out.hidden_states
    depth = len(vm.encoder.layers)
    if len(hs) != depth + 1:
        raise RuntimeError(f"expected {depth + 1} hidden states, got {len(hs)}")
    h, last = hs[depth - 1], vm.encoder.layers[depth - 1]
    z = last.self_attn.out_proj(last.self_attn.v_proj(last.layer_norm1(h))) + h[:, :1]
    z = z + last.mlp(last.layer_norm2(z))
    dense = clip.visual_projection(vm.post_layernorm(z))[:, 1:]
    return dense, {l: hs[l + 1][:, 1:] for l in taps}


def encode_text(clip: CLIPModel, ids: torch.Tensor) -> torch.Tensor:
    """ids [T, S] (EOT = the largest id of each row) → [T, E] unnormalised."""
    hidden = clip.text_model(input_ids=ids).last_hidden_state
    pooled = hidden[torch.arange(ids.shape[0]), ids.argmax(dim=-1)]
    return clip.text_projection(pooled)


def trainable_names(name: str) -> bool:
    """CAT-Seg's `CLIP_FINETUNE = attention`: only the q and v projection
    weights of every block of both towers (HF names), biases frozen."""
    return ".self_attn.q_proj.weight" in name or ".self_attn.v_proj.weight" in name
