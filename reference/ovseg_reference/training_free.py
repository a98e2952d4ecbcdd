"""Training-free open-vocabulary segmentation with a frozen CLIP (our own code).

Restates the SegEarth-OV inference path (likyoo/SegEarth-OV@3e22a96:
`segearth_segmentor.py`, `open_clip/transformer.py`; docs/segmentation-core.md
§2.6, §2.7, §5.1) over the modules of a Hugging Face `transformers.CLIPModel`,
so a plain `model.safetensors` is the checkpoint:

1. the uint8 RGB image is resized so its long side is `long_side` (mmseg
   `Resize(scale=(448, 448), keep_ratio=True)`: new side = ⌊side·s + 0.5⌋ with
   s = long_side / max(H, W)), bilinearly without antialiasing, in float
   (cv2 rounds its uint8 output; we keep the float values);
2. normalised with SegEarth-OV's mean/std in 0–255;
3. cut into `crop`×`crop` windows every `stride` pixels on the mmseg "slide"
   grid (last window aligned to the border; windows are smaller when the
   image is); windows whose sides are not multiples of the patch are
   zero-padded symmetrically (extra pixel right/bottom);
4. every window goes through the vision tower, the last block replaced by
   its self-self attention (`segearth`: softmax(qqᵀs)+softmax(kkᵀs)+softmax(vvᵀs),
   `sclip`: q and k terms, `clearclip`: q term, `maskclip`: identity), with
   `ignore_residual` (SegEarth-OV default) the block output is only
   `out_proj(A·v)`; otherwise the residual and the MLP are added;
   position embeddings are resized with the DINO scale-factor recipe;
5. `visual_projection(post_layernorm(z))` on every token; row 0 is the
   "[CLS]" used for the global-bias removal;
6. logits = cos(patch, queries) + λ·cos(CLS, queries), reshaped to the patch
   grid, resized bilinearly to the padded window size, cut back to the window;
7. overlapping windows are averaged, resized bilinearly to the original image
   size, multiplied by `logit_scale`, softmaxed over the queries; each class
   takes the maximum over its queries; argmax; pixels whose maximum class
   probability is below `prob_thd` become `bg_idx`.

Query embeddings: every synonym is one query; its prompts are the templates
filled with it, each embedding L2-normalised, averaged and normalised again.

Not reproduced: SimFeatUp (optional, docs/segmentation-core.md §5.3) and
SegEarth-OV's float16 arithmetic (this is float32 throughout).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

# The 80 prompt templates of OpenAI's ImageNet zero-shot evaluation
# (SegEarth-OV `prompts/imagenet_template.py: openai_imagenet_template`),
# written with '{}' for the class name.
OPENAI_IMAGENET_TEMPLATES = [
    'a bad photo of a {}.',
    'a photo of many {}.',
    'a sculpture of a {}.',
    'a photo of the hard to see {}.',
    'a low resolution photo of the {}.',
    'a rendering of a {}.',
    'graffiti of a {}.',
    'a bad photo of the {}.',
    'a cropped photo of the {}.',
    'a tattoo of a {}.',
    'the embroidered {}.',
    'a photo of a hard to see {}.',
    'a bright photo of a {}.',
    'a photo of a clean {}.',
    'a photo of a dirty {}.',
    'a dark photo of the {}.',
    'a drawing of a {}.',
    'a photo of my {}.',
    'the plastic {}.',
    'a photo of the cool {}.',
    'a close-up photo of a {}.',
    'a black and white photo of the {}.',
    'a painting of the {}.',
    'a painting of a {}.',
    'a pixelated photo of the {}.',
    'a sculpture of the {}.',
    'a bright photo of the {}.',
    'a cropped photo of a {}.',
    'a plastic {}.',
    'a photo of the dirty {}.',
    'a jpeg corrupted photo of a {}.',
    'a blurry photo of the {}.',
    'a photo of the {}.',
    'a good photo of the {}.',
    'a rendering of the {}.',
    'a {} in a video game.',
    'a photo of one {}.',
    'a doodle of a {}.',
    'a close-up photo of the {}.',
    'a photo of a {}.',
    'the origami {}.',
    'the {} in a video game.',
    'a sketch of a {}.',
    'a doodle of the {}.',
    'a origami {}.',
    'a low resolution photo of a {}.',
    'the toy {}.',
    'a rendition of the {}.',
    'a photo of the clean {}.',
    'a photo of a large {}.',
    'a rendition of a {}.',
    'a photo of a nice {}.',
    'a photo of a weird {}.',
    'a blurry photo of a {}.',
    'a cartoon {}.',
    'art of a {}.',
    'a sketch of the {}.',
    'a embroidered {}.',
    'a pixelated photo of a {}.',
    'itap of the {}.',
    'a jpeg corrupted photo of the {}.',
    'a good photo of a {}.',
    'a plushie {}.',
    'a photo of the nice {}.',
    'a photo of the small {}.',
    'a photo of the weird {}.',
    'the cartoon {}.',
    'art of the {}.',
    'a drawing of the {}.',
    'a photo of the large {}.',
    'a black and white photo of a {}.',
    'the plushie {}.',
    'a dark photo of a {}.',
    'itap of a {}.',
    'graffiti of the {}.',
    'a toy {}.',
    'itap of my {}.',
    'a photo of a cool {}.',
    'a photo of a small {}.',
    'a tattoo of the {}.',
]

# SegEarth-OV's SegDataPreProcessor constants (0–255 pixels, RGB order).
PIXEL_MEAN = (122.771, 116.746, 104.094)
PIXEL_STD = (68.501, 66.632, 70.323)

ATTENTION_MODES = ("maskclip", "sclip", "clearclip", "segearth")
# `vanilla` (softmax(qkᵀs)) is accepted by `self_similarity_block` only to
# check it against the standard block.


@dataclass(frozen=True)
class Settings:
    """Defaults are SegEarth-OV's base config without SimFeatUp."""
    long_side: Optional[int] = 448
    crop: int = 224
    stride: int = 112
    cls_lambda: float = -0.3
    logit_scale: float = 50.0
    prob_thd: float = 0.0
    bg_idx: int = 0
    attention: str = "segearth"
    ignore_residual: bool = True
    pos_interp: str = "dino"  # or "by_size"


def keep_ratio_size(height: int, width: int, long_side: int) -> Tuple[int, int]:
    """mmcv `rescale_size` with scale (long_side, long_side): the factor is
    long_side / max(H, W) and each side rounds half up."""
    factor = long_side / max(height, width)
    return max(1, int(height * factor + 0.5)), max(1, int(width * factor + 0.5))


def slide_windows(height: int, width: int, crop: int, stride: int) -> List[Tuple[int, int, int, int]]:
    """(y1, y2, x1, x2) of mmseg's slide inference, rows outer."""
    rows = max(height - crop + stride - 1, 0) // stride + 1
    cols = max(width - crop + stride - 1, 0) // stride + 1
    out = []
    for r in range(rows):
        for c in range(cols):
            y1, x1 = r * stride, c * stride
            y2, x2 = min(y1 + crop, height), min(x1 + crop, width)
            out.append((max(y2 - crop, 0), y2, max(x2 - crop, 0), x2))
    return out


def pad_amounts(height: int, width: int, patch: int) -> Tuple[int, int, int, int]:
    """(left, right, top, bottom) zero padding up to multiples of the patch,
    the odd pixel on the right/bottom (SegEarth-OV `compute_padsize`)."""
    def split(n):
        extra = (patch - n % patch) % patch
        return extra // 2, extra - extra // 2
    left, right = split(width)
    top, bottom = split(height)
    return left, right, top, bottom


def interpolated_positions(table: torch.Tensor, rows: int, cols: int, mode: str) -> torch.Tensor:
    """[1 + rows·cols, D]: the stored table at its native square grid, else the
    patch rows resized bicubically (CLS row kept), by size or DINO factor."""
    n, dim = table.shape[0] - 1, table.shape[1]
    g = int(round(math.sqrt(n)))
    assert g * g == n
    if rows == g and cols == g:
        return table
    grid = table[1:].reshape(1, g, g, dim).permute(0, 3, 1, 2)
    if mode == "dino":
        resized = F.interpolate(grid, scale_factor=((rows + 0.1) / g, (cols + 0.1) / g), mode="bicubic",
                                align_corners=False)
    elif mode == "by_size":
        resized = F.interpolate(grid, size=(rows, cols), mode="bicubic", align_corners=False)
    else:
        raise ValueError(f"unknown position interpolation {mode!r}")
    assert resized.shape[-2:] == (rows, cols), resized.shape
    return torch.cat([table[:1], resized.permute(0, 2, 3, 1).reshape(rows * cols, dim)])


def encoder_input(vision_model, pixels: torch.Tensor, pos_interp: str) -> Tuple[torch.Tensor, Tuple[int, int]]:
    """Patch embedding, class token, positions and `pre_layrnorm`: [B, 1+n, D]."""
    emb = vision_model.embeddings
    patches = emb.patch_embedding(pixels)
    batch, dim, rows, cols = patches.shape
    tokens = patches.flatten(2).transpose(1, 2)
    cls = emb.class_embedding.reshape(1, 1, dim).expand(batch, 1, dim)
    x = torch.cat([cls, tokens], dim=1)
    x = x + interpolated_positions(emb.position_embedding.weight, rows, cols, pos_interp)
    return vision_model.pre_layrnorm(x), (rows, cols)


def self_similarity_block(layer, h: torch.Tensor, mode: str, ignore_residual: bool) -> torch.Tensor:
    """The last block in a training-free mode (SegEarth-OV `custom_attn`)."""
    attn = layer.self_attn
    x = layer.layer_norm1(h)
    batch, tokens, dim = x.shape
    heads = attn.num_heads
    d = dim // heads
    scale = d ** -0.5

    def split(t):
        return t.reshape(batch, tokens, heads, d).transpose(1, 2)

    q, k, v = split(attn.q_proj(x)), split(attn.k_proj(x)), split(attn.v_proj(x))
    if mode == "maskclip":
        mixed = v
    elif mode == "vanilla":
        mixed = F.softmax(q @ k.transpose(-1, -2) * scale, dim=-1) @ v
    else:
        sources = {"sclip": (q, k), "clearclip": (q,), "segearth": (q, k, v)}[mode]
        weights = sum(F.softmax(t @ t.transpose(-1, -2) * scale, dim=-1) for t in sources)
        mixed = weights @ v
    out = attn.out_proj(mixed.transpose(1, 2).reshape(batch, tokens, dim))
    if ignore_residual:
        return out
    z = h + out
    return z + layer.mlp(layer.layer_norm2(z))


def _run_layer(layer, h):
    out = layer(h, None)
    return out[0] if isinstance(out, tuple) else out


@torch.no_grad()
def dense_features(model, pixels: torch.Tensor, attention: str = "segearth", ignore_residual: bool = True,
                   pos_interp: str = "dino") -> Tuple[torch.Tensor, Tuple[int, int]]:
    """`visual_projection(post_layernorm(z))` for every token, CLS first:
    [B, 1+rows·cols, E], and the patch grid."""
    if attention not in ATTENTION_MODES:
        raise ValueError(f"unknown attention mode {attention!r}")
    vm = model.vision_model
    h, grid = encoder_input(vm, pixels, pos_interp)
    layers = vm.encoder.layers
    for layer in layers[:-1]:
        h = _run_layer(layer, h)
    z = self_similarity_block(layers[-1], h, attention, ignore_residual)
    return model.visual_projection(vm.post_layernorm(z)), grid


def build_prompts(synonyms_per_class: Sequence[Sequence[str]], templates: Sequence[str]):
    """Queries in class order (one per synonym), their class ids, and the
    prompts of each query (the templates filled with it)."""
    queries, query_to_class = [], []
    for cls, names in enumerate(synonyms_per_class):
        for name in names:
            queries.append(name)
            query_to_class.append(cls)
    prompts = [[t.replace("{}", q) for t in templates] for q in queries]
    return queries, query_to_class, prompts


@torch.no_grad()
def text_embeddings(model, ids: torch.Tensor) -> torch.Tensor:
    """L2-normalised `text_projection(pooled)` of token-id rows [N, S]."""
    out = model.text_model(input_ids=ids)
    return F.normalize(model.text_projection(out.pooler_output), dim=-1)


@torch.no_grad()
def query_embeddings(model, prompt_ids: Sequence[torch.Tensor]) -> torch.Tensor:
    """[Q, E]: per query, its prompts' normalised embeddings averaged and
    normalised again (`prompt_ids[q]` is [P, S])."""
    rows = [F.normalize(text_embeddings(model, ids).mean(dim=0), dim=-1) for ids in prompt_ids]
    return torch.stack(rows)


def normalised_pixels(image: np.ndarray, size: Optional[Tuple[int, int]]) -> torch.Tensor:
    """[1, 3, h, w] from H×W×3 uint8 RGB: float 0–255, bilinear resize to
    `size` (no antialiasing), then SegEarth-OV's mean/std."""
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float()
    if size is not None and tuple(size) != tuple(x.shape[-2:]):
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    mean = torch.tensor(PIXEL_MEAN).reshape(1, 3, 1, 1)
    std = torch.tensor(PIXEL_STD).reshape(1, 3, 1, 1)
    return (x - mean) / std


@torch.no_grad()
def segment(model, image: np.ndarray, queries: torch.Tensor, query_to_class: Sequence[int],
            settings: Settings = Settings()) -> Dict[str, object]:
    """Every stage of the pipeline for one H×W×3 uint8 RGB image.

    `queries` [Q, E] are normalised query embeddings, `query_to_class[q]` the
    class of query q (classes 0…K−1). Returns a dict with `pixels`
    [1,3,h,w], `windows`, `padding` (l, r, t, b), `grid`, `dense` [N,T,E],
    `crop_grid_logits` [N,Q,rows,cols], `crop_logits` [N,Q,ch,cw],
    `averaged_logits` [Q,h,w], `logits` [Q,H,W] (before the scale),
    `probabilities` [Q,H,W], `class_probabilities` [K,H,W], `labels` [H,W].
    """
    height, width = image.shape[:2]
    patch = model.vision_model.embeddings.patch_size
    size = keep_ratio_size(height, width, settings.long_side) if settings.long_side else (height, width)
    pixels = normalised_pixels(image, size)
    h, w = pixels.shape[-2:]
    windows = slide_windows(h, w, settings.crop, settings.stride)
    crops = torch.cat([pixels[:, :, y1:y2, x1:x2] for (y1, y2, x1, x2) in windows])
    ch, cw = crops.shape[-2:]
    left, right, top, bottom = pad_amounts(ch, cw, patch)
    padded = F.pad(crops, (left, right, top, bottom))
    dense, (rows, cols) = dense_features(model, padded, settings.attention, settings.ignore_residual,
                                         settings.pos_interp)
    token_logits = F.normalize(dense, dim=-1) @ queries.T  # [N, T, Q]
    patch_logits = token_logits[:, 1:] + settings.cls_lambda * token_logits[:, :1]
    n, q = patch_logits.shape[0], patch_logits.shape[2]
    grid_logits = patch_logits.permute(0, 2, 1).reshape(n, q, rows, cols)
    resized = F.interpolate(grid_logits, size=(ch + top + bottom, cw + left + right), mode="bilinear",
                            align_corners=False)
    crop_logits = resized[:, :, top:top + ch, left:left + cw]
    sums = torch.zeros(q, h, w)
    count = torch.zeros(1, h, w)
    for i, (y1, y2, x1, x2) in enumerate(windows):
        sums[:, y1:y2, x1:x2] += crop_logits[i]
        count[:, y1:y2, x1:x2] += 1
    assert (count > 0).all()
    averaged = sums / count
    logits = F.interpolate(averaged[None], size=(height, width), mode="bilinear", align_corners=False)[0]
    probabilities = (logits * settings.logit_scale).softmax(dim=0)
    classes = max(query_to_class) + 1
    index = torch.tensor(query_to_class)
    class_probabilities = torch.stack([probabilities[index == k].max(dim=0).values for k in range(classes)])
    best = class_probabilities.max(dim=0).values
    labels = class_probabilities.argmax(dim=0)
    labels[best < settings.prob_thd] = settings.bg_idx
    return dict(pixels=pixels, windows=windows, padding=(left, right, top, bottom), grid=(rows, cols),
                dense=dense, crop_grid_logits=grid_logits, crop_logits=crop_logits, averaged_logits=averaged,
                logits=logits, probabilities=probabilities, class_probabilities=class_probabilities,
                labels=labels)
