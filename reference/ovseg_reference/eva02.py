"""EVA02-CLIP towers as used by SGSeg (our own PyTorch code).

Restates the vision tower (`EVAVisionTransformer` in CSA dense mode) and the
text tower (`TextTransformer`) of the released SGSeg backbone
(H1NATA111/SGSeg@d07437b, `sgseg/src/open_clip/eva_clip/eva_vit_model.py`,
`rope.py`, `transformer.py`, `model.py`) from `docs/sgseg-released.md` §6.1, §6.2,
§7.1 (tensor names: `docs/checkpoint-format.md` §2.1). Only the inference path SGSeg uses is restated: standard blocks
with 2-D RoPE on the patch tokens, guidance taps after chosen blocks, a CSA last
block (no RoPE, no residual, no MLP), `norm` → `head` → L2 per token; and the
causal text transformer pooled at the EOT (`argmax(ids)`) and projected as x·P.

Module names mirror the authors' so that `EVA02CLIP.state_dict()` carries the
tails of §8.2 (prefix them with `sem_seg_head.predictor.clip_model.` for a
checkpoint). Deliberate differences:
  * the RoPE tables are non-persistent buffers (the authors store
    `rope.freqs_cos/sin` and repeat them under every block; their loader drops
    them from pretrained files, and they are deterministic);
  * `pos_embed` is never interpolated: the input must have the native size
    (the released model always resizes windows to `image_size`);
  * the text attention mask is built for the actual sequence length (the
    causal mask restricted to the first L positions is the same mask);
  * no pooled image embedding (`encode_image`), no patch dropout, no
    xformers: attention is the plain softmax(q·kᵀ·scale)·v it computes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


# --------------------------------------------------------------------------- RoPE

def rope_tables(head_dim: int, pt_seq_len: int, grid: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables [grid*grid, head_dim] of the EVA02 2-D rotary embedding.

    The authors build `VisionRotaryEmbeddingFast(dim=head_dim/2, pt_seq_len,
    ft_seq_len=grid)`: frequencies f_i = 10000^(−2i/(head_dim/2)) for
    i < head_dim/4, positions τ = arange(grid)/grid·pt_seq_len, every angle
    repeated twice (adjacent pairs), then [row angles | column angles] for the
    token at (row y, column x), tokens in row-major order. Computed in float32
    with the same operation order so the tables agree bit for bit.
    """
    if head_dim % 4 != 0:
        raise ValueError(f"RoPE needs a head width divisible by 4, got {head_dim}")
    half = head_dim // 2
    freqs = 1.0 / (10000 ** (torch.arange(0, half, 2)[: half // 2].float() / half))
    positions = torch.arange(grid) / grid * pt_seq_len
    angles = torch.einsum("i,f->if", positions, freqs)           # [grid, half/2]
    angles = angles.repeat_interleave(2, dim=-1)                  # [grid, half]
    rows = angles[:, None, :].expand(grid, grid, half)            # τ_y for token (y, x)
    cols = angles[None, :, :].expand(grid, grid, half)            # τ_x for token (y, x)
    table = torch.cat((rows, cols), dim=-1).reshape(grid * grid, head_dim)
    return table.cos(), table.sin()


def rotate_pairs(x: torch.Tensor) -> torch.Tensor:
    """(x0, x1, x2, x3, …) → (−x1, x0, −x3, x2, …): the rotation partner of each pair."""
    pairs = x.unflatten(-1, (-1, 2))
    return torch.stack((-pairs[..., 1], pairs[..., 0]), dim=-1).flatten(-2)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """RoPE on [..., N, head_dim] with tables [N, head_dim]."""
    return x * cos + rotate_pairs(x) * sin


# --------------------------------------------------------------------------- vision

@dataclass
class EVA02VisionConfig:
    """EVA02-CLIP-L/14-336 defaults (§12.1). `mlp_hidden` is int(1024·2.6667)."""
    image_size: int = 336
    patch_size: int = 14
    width: int = 1024
    depth: int = 24
    heads: int = 16
    mlp_hidden: int = 2730
    embed_dim: int = 768
    pt_seq_len: int = 16
    eps: float = 1e-6

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    @property
    def head_dim(self) -> int:
        return self.width // self.heads


class PatchEmbed(nn.Module):
    """Non-overlapping patch convolution (kernel = stride = patch), tokens row-major."""

    def __init__(self, cfg: EVA02VisionConfig):
        super().__init__()
        self.proj = nn.Conv2d(3, cfg.width, kernel_size=cfg.patch_size, stride=cfg.patch_size)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.proj(pixels).flatten(2).transpose(1, 2)


class EVA02Attention(nn.Module):
    """Sub-LN attention: separate q/k/v projections without bias tensors, q and v
    biases as parameters (k has none), `inner_attn_ln` over the merged heads."""

    def __init__(self, cfg: EVA02VisionConfig):
        super().__init__()
        self.heads = cfg.heads
        self.scale = cfg.head_dim ** -0.5
        self.q_proj = nn.Linear(cfg.width, cfg.width, bias=False)
        self.k_proj = nn.Linear(cfg.width, cfg.width, bias=False)
        self.v_proj = nn.Linear(cfg.width, cfg.width, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(cfg.width))
        self.v_bias = nn.Parameter(torch.zeros(cfg.width))
        self.inner_attn_ln = nn.LayerNorm(cfg.width, eps=cfg.eps)
        self.proj = nn.Linear(cfg.width, cfg.width)

    def _qkv(self, x: torch.Tensor):
        b, n, _ = x.shape
        q = F.linear(x, self.q_proj.weight, self.q_bias)
        k = F.linear(x, self.k_proj.weight, None)
        v = F.linear(x, self.v_proj.weight, self.v_bias)
        split = lambda t: t.reshape(b, n, self.heads, -1).transpose(1, 2)  # [B, h, N, d]
        return split(q), split(k), split(v)

    def _merge_project(self, o: torch.Tensor) -> torch.Tensor:
        b, _, n, _ = o.shape
        o = o.transpose(1, 2).reshape(b, n, -1)
        return self.proj(self.inner_attn_ln(o))

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        """softmax(q·kᵀ/√d)·v with RoPE on the patch rows of q and k (row 0, CLS, untouched)."""
        q, k, v = self._qkv(x)
        q = torch.cat((q[:, :, :1], apply_rope(q[:, :, 1:], cos, sin)), dim=2)
        k = torch.cat((k[:, :, :1], apply_rope(k[:, :, 1:], cos, sin)), dim=2)
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self._merge_project(attn @ v)

    def csa(self, x: torch.Tensor) -> torch.Tensor:
        """CSA (`ss_attn(mode='csa')`): (softmax(q·qᵀ) + softmax(k·kᵀ))·v per head,
        no scale, no RoPE, over all tokens including CLS."""
        q, k, v = self._qkv(x)
        weights = (q @ q.transpose(-2, -1)).softmax(dim=-1) + (k @ k.transpose(-2, -1)).softmax(dim=-1)
        return self._merge_project(weights @ v)


class SwiGLU(nn.Module):
    """w3(ffn_ln(SiLU(w1·x) ⊙ w2·x)), all linears with bias."""

    def __init__(self, cfg: EVA02VisionConfig):
        super().__init__()
        self.w1 = nn.Linear(cfg.width, cfg.mlp_hidden)
        self.w2 = nn.Linear(cfg.width, cfg.mlp_hidden)
        self.ffn_ln = nn.LayerNorm(cfg.mlp_hidden, eps=cfg.eps)
        self.w3 = nn.Linear(cfg.mlp_hidden, cfg.width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w3(self.ffn_ln(F.silu(self.w1(x)) * self.w2(x)))


class EVA02Block(nn.Module):
    def __init__(self, cfg: EVA02VisionConfig):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.width, eps=cfg.eps)
        self.attn = EVA02Attention(cfg)
        self.norm2 = nn.LayerNorm(cfg.width, eps=cfg.eps)
        self.mlp = SwiGLU(cfg)

    def forward(self, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        h = h + self.attn(self.norm1(h), cos, sin)
        return h + self.mlp(self.norm2(h))

    def csa(self, h: torch.Tensor) -> torch.Tensor:
        """`forward_without_rcffn(mode='csa')`: CSA of norm1(h); no residual, no MLP."""
        return self.attn.csa(self.norm1(h))


class EVA02Visual(nn.Module):
    """EVA02 vision tower; state_dict names are the tails of `visual.*` (§8.2)."""

    def __init__(self, cfg: EVA02VisionConfig = EVA02VisionConfig()):
        super().__init__()
        self.cfg = cfg
        tokens = cfg.grid * cfg.grid + 1
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.width))
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, cfg.width))
        self.patch_embed = PatchEmbed(cfg)
        self.blocks = nn.ModuleList(EVA02Block(cfg) for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(cfg.width, eps=cfg.eps)
        self.head = nn.Linear(cfg.width, cfg.embed_dim)
        cos, sin = rope_tables(cfg.head_dim, cfg.pt_seq_len, cfg.grid)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)

    def embed(self, pixels: torch.Tensor) -> torch.Tensor:
        """[B,3,S,S] normalised pixels → [B, 1+N, width] (CLS first, plus positions)."""
        size = self.cfg.image_size
        if pixels.dim() != 4 or pixels.shape[1] != 3 or pixels.shape[2] != size or pixels.shape[3] != size:
            raise ValueError(f"EVA02 expects pixels [B,3,{size},{size}], got {list(pixels.shape)}")
        tokens = self.patch_embed(pixels)
        cls = self.cls_token.expand(tokens.shape[0], -1, -1)
        return torch.cat((cls, tokens), dim=1) + self.pos_embed

    def forward_blocks(self, pixels: torch.Tensor, upto: int) -> torch.Tensor:
        """Hidden state [B, 1+N, width] after standard blocks 0…upto-1."""
        h = self.embed(pixels)
        for block in self.blocks[:upto]:
            h = block(h, self.rope_cos, self.rope_sin)
        return h

    def forward_dense(self, pixels: torch.Tensor, taps: Iterable[int] = ()
                      ) -> Tuple[torch.Tensor, Dict[int, torch.Tensor]]:
        """Dense CSA features and guidance taps (§6.1 steps 1–6).

        Returns `dense` [B, N, embed_dim] = L2-normalised `head(norm(csa_last(h)[:, 1:]))`
        and `{tap: patch tokens [B, N, width]}` of the outputs of blocks `tap`
        (0-based, after the MLP residual, CLS dropped). Taps must be standard
        blocks, i.e. < depth − 1.
        """
        taps = sorted(set(int(t) for t in taps))
        last = self.cfg.depth - 1
        for t in taps:
            if not 0 <= t < last:
                raise ValueError(f"tap {t} is not a standard block (0…{last - 1})")
        h = self.embed(pixels)
        tapped: Dict[int, torch.Tensor] = {}
        for i, block in enumerate(self.blocks[:last]):
            h = block(h, self.rope_cos, self.rope_sin)
            if i in taps:
                tapped[i] = h[:, 1:].clone()
        z = self.blocks[last].csa(h)[:, 1:]
        dense = F.normalize(self.head(self.norm(z)), dim=-1)
        return dense, tapped


# --------------------------------------------------------------------------- text

@dataclass
class EVA02TextConfig:
    """EVA02-CLIP-L/14-336 text defaults (§6.2)."""
    vocab_size: int = 49408
    context_length: int = 77
    width: int = 768
    layers: int = 12
    heads: int = 12
    mlp: int = 3072
    embed_dim: int = 768
    eps: float = 1e-5


class TextMLP(nn.Module):
    def __init__(self, cfg: EVA02TextConfig):
        super().__init__()
        self.c_fc = nn.Linear(cfg.width, cfg.mlp)
        self.c_proj = nn.Linear(cfg.mlp, cfg.width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(F.gelu(self.c_fc(x)))  # exact (erf) GELU


class TextBlock(nn.Module):
    """Pre-LN residual block with `nn.MultiheadAttention` (packed in_proj, out_proj)."""

    def __init__(self, cfg: EVA02TextConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.width, eps=cfg.eps)
        self.attn = nn.MultiheadAttention(cfg.width, cfg.heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(cfg.width, eps=cfg.eps)
        self.mlp = TextMLP(cfg)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        u = self.ln_1(x)
        x = x + self.attn(u, u, u, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class TextTransformer(nn.Module):
    def __init__(self, cfg: EVA02TextConfig):
        super().__init__()
        self.resblocks = nn.ModuleList(TextBlock(cfg) for _ in range(cfg.layers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for block in self.resblocks:
            x = block(x, mask)
        return x


class EVA02Text(nn.Module):
    """EVA02 text tower; state_dict names are the tails of `text.*` (§8.2)."""

    def __init__(self, cfg: EVA02TextConfig = EVA02TextConfig()):
        super().__init__()
        self.cfg = cfg
        self.token_embedding = nn.Embedding(cfg.vocab_size, cfg.width)
        self.positional_embedding = nn.Parameter(torch.zeros(cfg.context_length, cfg.width))
        self.transformer = TextTransformer(cfg)
        self.ln_final = nn.LayerNorm(cfg.width, eps=cfg.eps)
        self.text_projection = nn.Parameter(torch.zeros(cfg.width, cfg.embed_dim))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids [T, L ≤ context] (int64) → unnormalised embeddings [T, embed_dim],
        pooled at argmax(ids) (the EOT has the highest id) and projected as x·P."""
        length = ids.shape[1]
        if length > self.cfg.context_length:
            raise ValueError(f"{length} tokens exceed the context length {self.cfg.context_length}")
        x = self.token_embedding(ids) + self.positional_embedding[:length]
        mask = torch.full((length, length), float("-inf")).triu_(1)
        x = self.ln_final(self.transformer(x, mask))
        pooled = x[torch.arange(x.shape[0]), ids.argmax(dim=-1)]
        return pooled @ self.text_projection


# --------------------------------------------------------------------------- both

class EVA02CLIP(nn.Module):
    """`CustomCLIP` layout: keys `visual.*`, `text.*`, `logit_scale` (unused)."""

    def __init__(self, vision: EVA02VisionConfig = EVA02VisionConfig(),
                 text: EVA02TextConfig = EVA02TextConfig()):
        super().__init__()
        self.visual = EVA02Visual(vision)
        self.text = EVA02Text(text)
        self.logit_scale = nn.Parameter(torch.tensor(4.6052))


def vision_config_from_state_dict(sd: Dict[str, torch.Tensor], prefix: str = "visual.",
                                  heads: Optional[int] = None, pt_seq_len: int = 16,
                                  eps: float = 1e-6) -> EVA02VisionConfig:
    """Derive the vision sizes from tensor shapes (heads default width/64)."""
    w = sd[prefix + "patch_embed.proj.weight"]
    width, patch = w.shape[0], w.shape[2]
    tokens = sd[prefix + "pos_embed"].shape[1]
    grid = int(round((tokens - 1) ** 0.5))
    depth = 1 + max(int(k[len(prefix) + 7:].split(".")[0]) for k in sd if k.startswith(prefix + "blocks."))
    return EVA02VisionConfig(image_size=grid * patch, patch_size=patch, width=width, depth=depth,
                             heads=heads or width // 64, mlp_hidden=sd[prefix + "blocks.0.mlp.w1.weight"].shape[0],
                             embed_dim=sd[prefix + "head.weight"].shape[0], pt_seq_len=pt_seq_len, eps=eps)


def text_config_from_state_dict(sd: Dict[str, torch.Tensor], prefix: str = "text.",
                                heads: Optional[int] = None, eps: float = 1e-5) -> EVA02TextConfig:
    """Derive the text sizes from tensor shapes (heads default width/64)."""
    vocab, width = sd[prefix + "token_embedding.weight"].shape
    head = prefix + "transformer.resblocks."
    layers = 1 + max(int(k[len(head):].split(".")[0]) for k in sd if k.startswith(head))
    return EVA02TextConfig(vocab_size=vocab, context_length=sd[prefix + "positional_embedding"].shape[0],
                           width=width, layers=layers, heads=heads or width // 64,
                           mlp=sd[head + "0.mlp.c_fc.weight"].shape[0],
                           embed_dim=sd[prefix + "text_projection"].shape[1], eps=eps)
