"""Cost-aggregation head shared by CAT-Seg and SGSeg (our own PyTorch code).

Restates the released `Aggregator` of SGSeg (H1NATA111/SGSeg@d07437b,
`sgseg/modeling/transformer/model.py`, `memory.py`, `fuse_modules.py`) and of
CAT-Seg (KU-CVLAB/CAT-Seg@6d3a188, same file name) from
`docs/sgseg-released.md` §3.1–§3.3, §4, §5.1, §7.2 and
`docs/segmentation-core.md` §4.5–§4.8. The module tree mirrors the authors' so that
`Aggregator.state_dict()` carries exactly the tails of `docs/checkpoint-format.md` §2.3 (prefix them with
`sem_seg_head.predictor.transformer.` for a checkpoint).

Differences from the authors' code, all deliberate:
  * the memory has `memory_rows` rows (17 hard-coded there) and no `text` copy
    (it is never read);
  * the guidance sizes of the scene-bias maps are 2H and 4H instead of the
    hard-coded 48 and 96 (identical at H = 24);
  * the scene vector is `normalize(R)` computed once, not the mean over T of T
    normalised copies (equal up to one rounding);
  * the Swin shift mask is a non-persistent buffer (recomputed, never stored);
  * `feature_fusion_layer` exists only in the optional `live_text_bias`
    variant, which is NOT in the released model (see `Aggregator.live_text`).

`upsample1`/`upsample2` (the two transposed convolutions that turn the raw
patch tokens of the two guidance blocks into res4/res5) are top-level modules
of the full model (`upsample1.*`, `upsample2.*` in a checkpoint), not of the
Aggregator; `CATSegUpsample` below holds them with those exact names.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class AggregatorConfig:
    """Hyper-parameters of the head. Defaults are the SGSeg EVA02-L/14-336 model."""
    embed_dim: int = 768                 # E: CLIP embedding width (dense map and text)
    prompt_channel: int = 1              # P: templates per class (conv1 input channels)
    hidden: int = 128                    # aggregation width
    heads: int = 4                       # heads of the Swin and class attention
    window: int = 12                     # Swin window
    layers: int = 2                      # number of AggregatorLayers
    pooling: int = 1                     # class-attention average pooling (1 = eval, 2 = training eval)
    feature_resolution: int = 24         # H = W of the dense map
    pad_len: int = 256                   # class axis padded / pruned to this length
    appearance_proj: int = 128           # projected appearance guidance width
    text_proj: int = 128                 # projected text guidance width
    decoder_dims: Sequence[int] = (64, 32)
    decoder_guidance_dims: Sequence[int] = (256, 128)
    decoder_guidance_proj_dims: Sequence[int] = (32, 16)
    bias: str = "memory"                 # "memory" (SGSeg) | "none" (CAT-Seg)
    memory_rows: int = 17                # K prototypes (training classes)
    live_text_bias: bool = False         # paper-described variant, not in the released model
    fusion_heads: int = 4                # BiAttentionBlock heads (live_text_bias only)
    fusion_dim: Optional[int] = None     # BiAttentionBlock inner width; default 2·E (1536 at E = 768)

    def __post_init__(self):
        if self.bias not in ("memory", "none"):
            raise ValueError(f"bias must be 'memory' or 'none', got {self.bias!r}")
        if self.live_text_bias and self.bias != "memory":
            raise ValueError("live_text_bias needs bias='memory' (the fused image side is the memory vector)")


# --------------------------------------------------------------------------- Swin (spatial aggregation)

def _windows(x: torch.Tensor, w: int) -> torch.Tensor:
    """[N, H, W, C] → [N·(H/w)·(W/w), w·w, C], windows and tokens row-major."""
    n, h, wd, c = x.shape
    x = x.view(n, h // w, w, wd // w, w, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, w * w, c)


def _unwindows(x: torch.Tensor, w: int, h: int, wd: int) -> torch.Tensor:
    """Inverse of `_windows`: [N·nw, w·w, C] → [N, H, W, C]."""
    c = x.shape[-1]
    x = x.view(-1, h // w, wd // w, w, w, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, h, wd, c)


def shift_mask(resolution: int, window: int, shift: int) -> torch.Tensor:
    """Swin attention mask [nW, w², w²]: 0 inside a region, −100 across regions.
    Regions split each axis at [0, R−w), [R−w, R−s), [R−s, R)."""
    label = torch.zeros(resolution, resolution)
    bounds = [(0, resolution - window), (resolution - window, resolution - shift), (resolution - shift, resolution)]
    region = 0
    for y0, y1 in bounds:
        for x0, x1 in bounds:
            label[y0:y1, x0:x1] = region
            region += 1
    lw = _windows(label.view(1, resolution, resolution, 1), window).squeeze(-1)  # [nW, w²]
    diff = lw.unsqueeze(1) - lw.unsqueeze(2)
    return torch.where(diff != 0, torch.tensor(-100.0), torch.tensor(0.0))


class WindowAttention(nn.Module):
    """q, k from [x, guidance]; v from x only; no relative position bias."""

    def __init__(self, dim: int, guidance_dim: int, heads: int):
        super().__init__()
        self.dim, self.heads = dim, heads
        self.scale = (dim // heads) ** -0.5
        self.q = nn.Linear(dim + guidance_dim, dim)
        self.k = nn.Linear(dim + guidance_dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
        n, s, _ = x.shape
        q = self.q(x).reshape(n, s, self.heads, -1).transpose(1, 2) * self.scale
        k = self.k(x).reshape(n, s, self.heads, -1).transpose(1, 2)
        v = self.v(x[:, :, :self.dim]).reshape(n, s, self.heads, -1).transpose(1, 2)
        logits = q @ k.transpose(-2, -1)                                   # [n, h, s, s]
        if mask is not None:
            nw = mask.shape[0]
            logits = (logits.view(n // nw, nw, self.heads, s, s) + mask[None, :, None]).view(n, self.heads, s, s)
        out = (logits.softmax(-1) @ v).transpose(1, 2).reshape(n, s, -1)
        return self.proj(out)


class Mlp(nn.Module):
    """timm-style MLP (`fc1`, exact GELU, `fc2`)."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class SwinBlock(nn.Module):
    def __init__(self, dim: int, guidance_dim: int, resolution: int, heads: int, window: int, shift: int):
        super().__init__()
        if resolution <= window:          # as the authors: one window, no shift
            window, shift = resolution, 0
        if resolution % window != 0:
            raise ValueError(f"feature resolution {resolution} is not a multiple of the window {window}")
        self.resolution, self.window, self.shift = resolution, window, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, guidance_dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, 4 * dim)
        self.register_buffer("attn_mask", shift_mask(resolution, window, shift) if shift > 0 else None,
                             persistent=False)

    def forward(self, x: torch.Tensor, guidance: Optional[torch.Tensor]) -> torch.Tensor:
        """x [N, R², C] (N = B·T), guidance [N, R², Cg] already layer-normed."""
        r, w, s = self.resolution, self.window, self.shift
        n, _, c = x.shape
        u = self.norm1(x).view(n, r, r, c)
        if guidance is not None:
            u = torch.cat([u, guidance.view(n, r, r, -1)], dim=-1)
        if s > 0:
            u = torch.roll(u, shifts=(-s, -s), dims=(1, 2))
        a = self.attn(_windows(u, w), self.attn_mask)
        a = _unwindows(a, w, r, r)
        if s > 0:
            a = torch.roll(a, shifts=(s, s), dims=(1, 2))
        x = x + a.reshape(n, r * r, c)
        return x + self.mlp(self.norm2(x))


class SwinPair(nn.Module):
    """`swin_block`: two Swin blocks (shift 0, then window/2) guided by the
    layer-normed projected appearance guidance, each class independently."""

    def __init__(self, dim: int, guidance_dim: int, resolution: int, heads: int, window: int):
        super().__init__()
        self.block_1 = SwinBlock(dim, guidance_dim, resolution, heads, window, 0)
        self.block_2 = SwinBlock(dim, guidance_dim, resolution, heads, window, window // 2)
        self.guidance_norm = nn.LayerNorm(guidance_dim)

    def forward(self, x: torch.Tensor, guidance: torch.Tensor) -> torch.Tensor:
        """x [B, C, T, H, W], guidance [B, Cg, H, W] → [B, C, T, H, W]."""
        b, c, t, h, w = x.shape
        seq = x.permute(0, 2, 3, 4, 1).reshape(b * t, h * w, c)
        g = guidance.permute(0, 2, 3, 1).reshape(b, 1, h * w, -1).expand(b, t, h * w, guidance.shape[1])
        g = self.guidance_norm(g.reshape(b * t, h * w, -1))
        seq = self.block_2(self.block_1(seq, g), g)
        return seq.view(b, t, h, w, c).permute(0, 4, 1, 2, 3)


# --------------------------------------------------------------------------- class aggregation

class ClassAttentionCore(nn.Module):
    """`attention.attention`: linear attention (elu+1 features, eps 1e-6) over
    the class axis; q, k from [x, text guidance], v from x; no output projection."""

    def __init__(self, dim: int, guidance_dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim + guidance_dim, dim)
        self.k = nn.Linear(dim + guidance_dim, dim)
        self.v = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, guidance: torch.Tensor) -> torch.Tensor:
        n, s, c = x.shape
        xg = torch.cat([x, guidance], dim=-1)
        q = F.elu(self.q(xg).view(n, s, self.heads, -1)) + 1
        k = F.elu(self.k(xg).view(n, s, self.heads, -1)) + 1
        v = self.v(x).view(n, s, self.heads, -1) / s                # the authors scale v by 1/S and back
        kv = torch.einsum("nshd,nshv->nhdv", k, v)
        z = 1 / (torch.einsum("nlhd,nhd->nlh", q, k.sum(dim=1)) + 1e-6)
        out = torch.einsum("nlhd,nhdv,nlh->nlhv", q, kv, z) * s
        return out.reshape(n, s, c)


class ClassTransformer(nn.Module):
    """`attention`: pool → pad classes to pad_len with learned tokens → linear
    attention + ReLU MLP → un-pool (bilinear, align_corners=True) → drop the
    padding → add to the input (layer output = x + unpool(pool(x) + Δ))."""

    def __init__(self, dim: int, guidance_dim: int, heads: int, pad_len: int):
        super().__init__()
        self.pad_len = pad_len
        self.attention = ClassAttentionCore(dim, guidance_dim, heads)
        self.MLP = nn.Sequential(nn.Linear(dim, 4 * dim), nn.ReLU(), nn.Linear(4 * dim, dim))
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        if pad_len > 0:
            self.padding_tokens = nn.Parameter(torch.zeros(1, 1, dim))
            self.padding_guidance = nn.Parameter(torch.zeros(1, 1, guidance_dim))

    def forward(self, x: torch.Tensor, guidance: torch.Tensor, pooling: int, stages: Optional[dict] = None,
                tag: str = "") -> torch.Tensor:
        """x [B, C, T, H, W], guidance [B, T, Cg]."""
        b, c, t, h, w = x.shape
        xp = F.avg_pool2d(x.reshape(b, c * t, h, w), pooling).view(b, c, t, h // pooling, w // pooling)
        hp, wp = xp.shape[-2:]
        pad = self.pad_len - t if self.pad_len > 0 and t < self.pad_len else 0
        if pad:
            xp = torch.cat([xp, self.padding_tokens.view(1, c, 1, 1, 1).expand(b, c, pad, hp, wp)], dim=2)
            guidance = torch.cat([guidance, self.padding_guidance.expand(b, pad, guidance.shape[-1])], dim=1)
        s = xp.permute(0, 3, 4, 2, 1).reshape(b * hp * wp, t + pad, c)
        g = guidance.unsqueeze(1).expand(b, hp * wp, t + pad, guidance.shape[-1]).reshape(b * hp * wp, t + pad, -1)
        s = s + self.attention(self.norm1(s), g)
        s = s + self.MLP(self.norm2(s))
        s = s.view(b, hp, wp, t + pad, c)[:, :, :, :t].permute(0, 4, 3, 1, 2)      # [B, C, T, hp, wp]
        if stages is not None:
            stages[f"class.out.{tag}"] = s.contiguous()
        up = F.interpolate(s.reshape(b, c * t, hp, wp), size=(h, w), mode="bilinear", align_corners=True)
        return x + up.view(b, c, t, h, w)


class AggregatorLayer(nn.Module):
    def __init__(self, cfg: AggregatorConfig):
        super().__init__()
        self.swin_block = SwinPair(cfg.hidden, cfg.appearance_proj, cfg.feature_resolution, cfg.heads, cfg.window)
        self.attention = ClassTransformer(cfg.hidden, cfg.text_proj, cfg.heads, cfg.pad_len)


# --------------------------------------------------------------------------- decoder

class DoubleConv(nn.Module):
    """`double_conv`: (Conv3×3 no bias → GroupNorm(mid//16) → ReLU) × 2."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        if cout // 16 < 1 or cout % (cout // 16) != 0:
            raise ValueError(f"GroupNorm({cout}//16, {cout}) is invalid; decoder dims must be multiples of 16")
        self.double_conv = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.GroupNorm(cout // 16, cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.GroupNorm(cout // 16, cout), nn.ReLU())

    def forward(self, x):
        return self.double_conv(x)


class Up(nn.Module):
    """Transposed conv (k2 s2) to `cin − guidance` channels, concat the guidance
    (same for every class of an image), DoubleConv."""

    def __init__(self, cin: int, cout: int, guidance: int):
        super().__init__()
        self.up = nn.ConvTranspose2d(cin, cin - guidance, kernel_size=2, stride=2)
        self.conv = DoubleConv(cin, cout)

    def forward(self, x: torch.Tensor, guidance: torch.Tensor) -> torch.Tensor:
        x = self.up(x)
        per_image = x.shape[0] // guidance.shape[0]
        return self.conv(torch.cat([x, guidance.repeat_interleave(per_image, dim=0)], dim=1))


# --------------------------------------------------------------------------- scene bias (SGSeg)

class FeaturesMemory(nn.Module):
    """`memory`: K class prototypes (EMA-updated, not gradient-trained) and a
    scorer `linear = Sequential(Linear(E→1), ReLU)`."""

    def __init__(self, rows: int, dim: int):
        super().__init__()
        self.memory = nn.Parameter(torch.zeros(rows, 1, dim), requires_grad=False)
        self.linear = nn.Sequential(nn.Linear(dim, 1), nn.ReLU())

    def vector(self) -> torch.Tensor:
        """R = Mᵀ softmax_rows(ReLU(M w + β)), shape [E] (independent of the image)."""
        m = self.memory[:, 0, :]
        e = F.softmax(self.linear(m), dim=0)        # [K, 1]
        return (m.t() @ e)[:, 0]


class BiAttentionBlock(nn.Module):
    """GroundingDINO bi-directional attention (`feature_fusion_layer`), as in
    SGSeg's `fuse_modules.py` (§3.3): pre-LNs, Q from the image side, K from the
    text side, global-max-stabilised logits clamped to ±5e4, two softmaxes,
    layer-scaled residuals on the *normalised* inputs."""

    def __init__(self, dim: int, inner: int, heads: int):
        super().__init__()
        self.layer_norm_v = nn.LayerNorm(dim)
        self.layer_norm_l = nn.LayerNorm(dim)
        self.attn = nn.Module()
        for name, (i, o) in dict(v_proj=(dim, inner), l_proj=(dim, inner), values_v_proj=(dim, inner),
                                 values_l_proj=(dim, inner), out_v_proj=(inner, dim), out_l_proj=(inner, dim)).items():
            setattr(self.attn, name, nn.Linear(i, o))
        self.gamma_v = nn.Parameter(1e-4 * torch.ones(dim))
        self.gamma_l = nn.Parameter(1e-4 * torch.ones(dim))
        self.heads, self.inner = heads, inner
        for name in ("v_proj", "l_proj", "values_v_proj", "values_l_proj", "out_v_proj", "out_l_proj"):
            lin = getattr(self.attn, name)
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def forward(self, v: torch.Tensor, l: torch.Tensor):
        """v [B, Nv, E], l [B, Nl, E] → (v', l')."""
        v, l = self.layer_norm_v(v), self.layer_norm_l(l)
        a, h, d = self.attn, self.heads, self.inner // self.heads
        b, nv, _ = v.shape
        nl = l.shape[1]
        split = lambda z, n: z.view(b, n, h, d).transpose(1, 2).reshape(b * h, n, d)
        q = split(a.v_proj(v) * d ** -0.5, nv)
        k = split(a.l_proj(l), nl)
        vv = split(a.values_v_proj(v), nv)
        vl = split(a.values_l_proj(l), nl)
        s = q @ k.transpose(1, 2)                                     # [B·h, Nv, Nl]
        s = (s - s.max()).clamp(-50000, 50000)
        st = s.transpose(1, 2)
        st = (st - st.max(dim=-1, keepdim=True)[0]).clamp(-50000, 50000)
        out_v = (s.softmax(-1) @ vl).view(b, h, nv, d).transpose(1, 2).reshape(b, nv, self.inner)
        out_l = (st.softmax(-1) @ vv).view(b, h, nl, d).transpose(1, 2).reshape(b, nl, self.inner)
        return v + self.gamma_v * a.out_v_proj(out_v), l + self.gamma_l * a.out_l_proj(out_l)


# --------------------------------------------------------------------------- the head

class Aggregator(nn.Module):
    """CAT-Seg cost aggregation + decoder, with SGSeg's scene bias when
    `cfg.bias == "memory"`. See the module docstring for the key layout."""

    def __init__(self, cfg: AggregatorConfig = AggregatorConfig()):
        super().__init__()
        self.cfg = cfg
        e, hid = cfg.embed_dim, cfg.hidden
        gd, gp = tuple(cfg.decoder_guidance_dims), tuple(cfg.decoder_guidance_proj_dims)
        dd = tuple(cfg.decoder_dims)
        self.layers = nn.ModuleList([AggregatorLayer(cfg) for _ in range(cfg.layers)])
        self.conv1 = nn.Conv2d(cfg.prompt_channel, hid, kernel_size=7, padding=3)
        if cfg.bias == "memory":
            self.projection1 = nn.Sequential(nn.Conv2d(e, gd[0], 3, padding=1), nn.ReLU())
            self.projection2 = nn.Sequential(nn.Conv2d(e, gd[1], 3, padding=1), nn.ReLU())
        self.guidance_projection = nn.Sequential(nn.Conv2d(e, cfg.appearance_proj, 3, padding=1), nn.ReLU())
        self.text_guidance_projection = nn.Sequential(nn.Linear(e, cfg.text_proj), nn.ReLU())
        self.decoder_guidance_projection = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(d, p, 3, padding=1), nn.ReLU()) for d, p in zip(gd, gp)])
        self.decoder1 = Up(hid, dd[0], gp[0])
        self.decoder2 = Up(dd[0], dd[1], gp[1])
        self.head = nn.Conv2d(dd[1], 1, 3, padding=1)
        if cfg.bias == "memory":
            self.memory = FeaturesMemory(cfg.memory_rows, e)
        if cfg.live_text_bias:
            self.feature_fusion_layer = BiAttentionBlock(e, cfg.fusion_dim or 2 * e, cfg.fusion_heads)

    # ----------------------------------------------------------------- scene bias
    def scene_bias(self, size: Optional[int] = None):
        """§12.2 step 0: (b̂ [E], G0 [1,E,H,H], G1 [1,Gd0,2H,2H], G2 [1,Gd1,4H,4H]).
        b̂ = normalize(R); G0 = b̂ broadcast; G1/G2 = bilinear (align_corners=False)
        of ReLU(3×3 conv, zero padding) of G0. For bias='none' all are zero."""
        h = size or self.cfg.feature_resolution
        e = self.cfg.embed_dim
        gd = self.cfg.decoder_guidance_dims
        if self.cfg.bias == "none":
            return (torch.zeros(e), torch.zeros(1, e, h, h), torch.zeros(1, gd[0], 2 * h, 2 * h),
                    torch.zeros(1, gd[1], 4 * h, 4 * h))
        b = F.normalize(self.memory.vector(), dim=0)
        g0 = b.view(1, e, 1, 1).expand(1, e, h, h).contiguous()
        g1 = F.interpolate(self.projection1(g0), size=(2 * h, 2 * h), mode="bilinear", align_corners=False)
        g2 = F.interpolate(self.projection2(g0), size=(4 * h, 4 * h), mode="bilinear", align_corners=False)
        return b, g0, g1, g2

    @torch.no_grad()
    def update_memory(self, dense: torch.Tensor, labels: torch.Tensor, ignore: int = 255):
        """EMA update of the prototypes (§3.1, training only). `dense` [B,E,H,W]
        (normalised) is resized bilinearly (align_corners=False) to the label size
        [B,h,w]; for each class id present (ascending, `ignore` skipped) with
        pixel features {f}: an all-zero prototype becomes mean(f); otherwise
        m ← 0.1·m + 0.9·Σ w_i f_i with w_i ∝ 1 − cos(f_i, m), Σ w_i = 1."""
        if self.cfg.bias != "memory":
            raise ValueError("update_memory needs bias='memory'")
        b, e, h, w = dense.shape
        if labels.dim() != 3 or labels.shape[0] != b:
            raise ValueError(f"labels must be [B,h,w] with B={b}, got {tuple(labels.shape)}")
        if labels.shape[1:] != (h, w):
            dense = F.interpolate(dense, size=tuple(labels.shape[1:]), mode="bilinear", align_corners=False)
        feats = dense.permute(0, 2, 3, 1).reshape(-1, e)
        flat = labels.reshape(-1).long()
        mem = self.memory.memory
        for cls in flat.unique().tolist():
            if cls == ignore:
                continue
            if not 0 <= cls < mem.shape[0]:
                raise ValueError(f"label {cls} outside the {mem.shape[0]} memory rows")
            f = feats[flat == cls]
            if bool((mem[cls, 0] == 0).all()):
                mem[cls, 0].copy_(f.mean(0))
                continue
            sim = F.cosine_similarity(f, mem[cls, 0].expand_as(f))
            wgt = (1 - sim) / (1 - sim).sum()
            mem[cls, 0].copy_(0.1 * mem[cls, 0] + 0.9 * (f * wgt.unsqueeze(-1)).sum(0))

    # ----------------------------------------------------------------- live text (variant)
    def live_text(self, text: torch.Tensor) -> torch.Tensor:
        """NOT IN THE RELEASED MODEL. Paper-described "bias-guided text": the
        BiAttentionBlock of §3.3 is run with the image side v = the memory
        vector R (unnormalised, one row per text row, as the release feeds it)
        and the text side l = t ([B, T·P, E]); its text output l' is
        L2-normalised and returned as [B,T,P,E].

        Consumers fed with it (in `forward`): the cost volume (so pruning and
        conv1 see the biased classes), and the text guidance (through the same
        normalize(mean_P(t + normalize(t))) formula as the release). The image
        output v' stays discarded: it is one vector per class, while the
        appearance/decoder guidances are class-agnostic maps; the scene-bias
        maps G0/G1/G2 therefore stay the per-checkpoint constants of the
        release, so the variant only changes what the text side sees."""
        b, t, p, e = text.shape
        l = text.reshape(b, t * p, e)
        v = self.memory.vector().view(1, 1, e).expand(b, t * p, e)
        _, l_new = self.feature_fusion_layer(v, l)
        return F.normalize(l_new, dim=-1).view(b, t, p, e)

    # ----------------------------------------------------------------- forward
    def forward(self, img_feats: torch.Tensor, text_feats: torch.Tensor, guidance: Sequence[torch.Tensor],
                pooling: Optional[int] = None, stages: Optional[dict] = None, gt: Optional[torch.Tensor] = None):
        """img_feats [B,E,H,W] (also the appearance guidance res3), text_feats
        [B,T,P,E] (unit-norm), guidance = [res4 [B,Gd0,2H,2W], res5 [B,Gd1,4H,4W]]
        → logits [B,T,4H,4W]. Pass a dict as `stages` to receive the
        intermediate tensors; `gt` ([B,h,w] labels) updates the memory first
        when training (the release's order)."""
        cfg = self.cfg
        pooling = pooling or cfg.pooling
        b, t, p, e = text_feats.shape
        _, _, h, w = img_feats.shape
        if h != cfg.feature_resolution or w != cfg.feature_resolution:
            raise ValueError(f"dense map must be {cfg.feature_resolution}², got {h}×{w}")
        if self.training and gt is not None and cfg.bias == "memory":
            self.update_memory(img_feats.detach(), gt)
        keep = {} if stages is None else stages

        if cfg.live_text_bias:
            text_feats = self.live_text(text_feats)
        # 1. cost volume from the (released: unbiased) text
        img_n = F.normalize(img_feats, dim=1)
        corr = torch.einsum("bchw,btpc->bpthw", img_n, F.normalize(text_feats, dim=-1))

        # 2. scene bias on the three guidances
        res4, res5 = guidance
        if cfg.bias == "memory":
            bvec, g0, g1, g2 = self.scene_bias(h)
            keep["bias.b"], keep["bias.G0"], keep["bias.G1"], keep["bias.G2"] = bvec, g0, g1, g2
            res3, res4, res5 = img_feats + g0, res4 + g1, res5 + g2
        else:
            res3 = img_feats

        # 3. text as the release leaves it: t + normalize(t) (re-normalised by every consumer)
        text_feats = text_feats + F.normalize(text_feats, dim=-1)

        # 4. class pruning to the pad_len best classes by max correlation
        classes = None
        if cfg.pad_len > 0 and t > cfg.pad_len:
            score = corr.permute(0, 2, 1, 3, 4).flatten(-3).max(dim=-1)[0]          # [B, T]
            classes = score.topk(cfg.pad_len, dim=-1, sorted=False)[1]
            th = F.normalize(text_feats, dim=-1)
            text_feats = torch.gather(th, 1, classes[..., None, None].expand(-1, -1, p, e))
            corr = torch.einsum("bchw,btpc->bpthw", img_n, text_feats)
        keep["corr"] = corr

        # 5. embedding and guidances
        bb, pp, tt = corr.shape[:3]
        x = self.conv1(corr.transpose(1, 2).reshape(bb * tt, pp, h, w)).view(bb, tt, -1, h, w).transpose(1, 2)
        keep["embed"] = x
        app = self.guidance_projection(res3)
        dec = [proj(g) for proj, g in zip(self.decoder_guidance_projection, (res4, res5))]
        tg = text_feats.mean(dim=-2)
        tg = tg / tg.norm(dim=-1, keepdim=True)
        tg = self.text_guidance_projection(tg)
        keep["guidance.appearance"], keep["guidance.text"] = app, tg
        keep["guidance.decoder1"], keep["guidance.decoder2"] = dec

        # 6. aggregation layers
        for i, layer in enumerate(self.layers):
            x = layer.swin_block(x, app)
            keep[f"swin.out.{i}"] = x
            x = layer.attention(x, tg, pooling, keep, str(i))
            keep[f"layer.out.{i}"] = x

        # 7. decoder
        c = x.shape[1]
        y = x.transpose(1, 2).reshape(bb * tt, c, h, w)
        y = self.decoder1(y, dec[0])
        keep["decoder.out.1"] = y.view(bb, tt, *y.shape[1:])
        y = self.decoder2(y, dec[1])
        keep["decoder.out.2"] = y.view(bb, tt, *y.shape[1:])
        logits = self.head(y).view(bb, tt, 4 * h, 4 * w)
        if classes is not None:
            full = torch.full((bb, t, 4 * h, 4 * w), -100.0, dtype=logits.dtype)
            full.scatter_(1, classes[..., None, None].expand(-1, -1, 4 * h, 4 * w), logits)
            logits = full
        keep["logits"] = logits
        return logits


class CATSegUpsample(nn.Module):
    """The two top-level transposed convolutions of CAT-Seg/SGSeg that turn the
    raw patch tokens of the guidance blocks into res4/res5. State-dict names
    `upsample1.*`, `upsample2.*` are the checkpoint's top-level keys."""

    def __init__(self, width: int = 1024, dims: Sequence[int] = (256, 128)):
        super().__init__()
        self.upsample1 = nn.ConvTranspose2d(width, dims[0], kernel_size=2, stride=2)
        self.upsample2 = nn.ConvTranspose2d(width, dims[1], kernel_size=4, stride=4)

    def forward(self, tap1: torch.Tensor, tap2: torch.Tensor, grid: int):
        """tap1, tap2: [B, N=grid², W] patch tokens (CLS dropped) → res4 [B,256,2g,2g], res5 [B,128,4g,4g]."""
        to_map = lambda z: z.transpose(1, 2).reshape(z.shape[0], z.shape[2], grid, grid)
        return self.upsample1(to_map(tap1)), self.upsample2(to_map(tap2))
