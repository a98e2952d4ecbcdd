"""Image preprocessing and the CAT-Seg/SGSeg sliding-window protocol (our own code).

Restates `inference_sliding_window` and the whole-image branch of
`SGSeg.forward` (H1NATA111/SGSeg@d07437b `sgseg/sgseg_model.py`, identical to
CAT-Seg's) from `docs/sgseg-released.md` §5.2 and `docs/segmentation-core.md` §4.1,
§4.9, with the geometry (output resolution, window, stride) configurable so
tiny test models can use small sizes. Defaults are the released values.

Pixels are float in 0–255, RGB, channel-first. Every resize is
`F.interpolate(mode="bilinear", align_corners=False)` without antialiasing.

What the caller does (not here): detectron2's `ResizeShortestEdge(640, max
2560)` on the uint8 image (PIL bilinear, antialiased); `resize_shortest_edge`
below reproduces it for convenience. The model takes the image as given and
returns maps at that image's size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

import numpy as np
import torch
import torch.nn.functional as F

# CLIP normalisation constants for 0–255 pixels (sgseg/config.py: CLIP_PIXEL_MEAN/STD).
PIXEL_MEAN = (122.7709383, 116.7460125, 104.09373615)
PIXEL_STD = (68.5005327, 66.6321579, 70.3231630)

# Whole-image inference pads to a multiple of this (MODEL.MASK_FORMER.SIZE_DIVISIBILITY).
SIZE_DIVISIBILITY = 32


@dataclass(frozen=True)
class SlidingGeometry:
    """`out_res`: the image is resized to out_res²; `window`: local window side
    (also the global view's side); `stride`: step between windows. The release:
    640 / 384 / int(384·(1−0.333)) = 256 → 2×2 windows."""
    out_res: int = 640
    window: int = 384
    stride: int = 256

    def __post_init__(self):
        if not (0 < self.window <= self.out_res) or self.stride <= 0:
            raise ValueError(f"bad sliding geometry {self}")

    @property
    def per_axis(self) -> int:
        """Windows per axis, as nn.Unfold: ⌊(out_res − window)/stride⌋ + 1."""
        return (self.out_res - self.window) // self.stride + 1

    def offsets(self) -> List[Tuple[int, int]]:
        """Top-left corners (y, x) of the local windows in nn.Unfold order (row-major)."""
        n = self.per_axis
        return [(i * self.stride, j * self.stride) for i in range(n) for j in range(n)]

    def overlap_count(self) -> torch.Tensor:
        """[out_res, out_res] number of local windows covering each pixel
        (fold of an all-ones unfold). Pixels covered by none stay 0, as in the
        release, whose division then yields NaN there; the default geometry
        covers every pixel."""
        count = torch.zeros(self.out_res, self.out_res)
        for y, x in self.offsets():
            count[y:y + self.window, x:x + self.window] += 1
        return count


def normalise(pixels: torch.Tensor) -> torch.Tensor:
    """(x − mean)/std per channel; pixels [..., 3, H, W] in 0–255."""
    mean = torch.tensor(PIXEL_MEAN, dtype=pixels.dtype).view(3, 1, 1)
    std = torch.tensor(PIXEL_STD, dtype=pixels.dtype).view(3, 1, 1)
    return (pixels - mean) / std


def resize(x: torch.Tensor, size) -> torch.Tensor:
    """Bilinear, align_corners=False, no antialias; x [B, C, H, W]."""
    if isinstance(size, int):
        size = (size, size)
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)


def sliding_views(image: torch.Tensor, geometry: SlidingGeometry) -> torch.Tensor:
    """image [3, H, W] (0–255 float) → [L+1, 3, window, window] raw (unnormalised)
    views: the L local windows cut from the image resized to out_res², then the
    global view = the *original* image resized to window² (as the release)."""
    g = geometry
    big = resize(image.unsqueeze(0), g.out_res)[0]
    local = [big[:, y:y + g.window, x:x + g.window] for y, x in g.offsets()]
    global_view = resize(image.unsqueeze(0), g.window)[0]
    return torch.stack(local + [global_view])


def combine_views(probabilities: torch.Tensor, geometry: SlidingGeometry) -> torch.Tensor:
    """probabilities [L+1, T, window, window] (sigmoid, already at window size)
    → [T, out_res, out_res] = (fold(local)/overlap + resize(global, out_res)) / 2."""
    g = geometry
    t = probabilities.shape[1]
    local_sum = torch.zeros(t, g.out_res, g.out_res, dtype=probabilities.dtype)
    for k, (y, x) in enumerate(g.offsets()):
        local_sum[:, y:y + g.window, x:x + g.window] += probabilities[k]
    local = local_sum / g.overlap_count().to(probabilities.dtype)
    global_map = resize(probabilities[-1:], g.out_res)[0]
    return (local + global_map) / 2


def pad_to_divisible(x: torch.Tensor, divisor: int = SIZE_DIVISIBILITY) -> torch.Tensor:
    """Zero-pad [..., H, W] right/bottom to multiples of `divisor` (ImageList.from_tensors)."""
    h, w = x.shape[-2:]
    ph = (divisor - h % divisor) % divisor
    pw = (divisor - w % divisor) % divisor
    return F.pad(x, (0, pw, 0, ph), value=0.0)


def whole_postprocess(probabilities: torch.Tensor, image_size: Tuple[int, int]) -> torch.Tensor:
    """detectron2 `sem_seg_postprocess` as the whole-image branch calls it:
    crop the [T, h, w] map to [:H, :W] of the *unpadded image size* (a no-op
    when the map is smaller than the image, as at 96² for 640-px inputs), then
    bilinear to H×W."""
    h, w = image_size
    cropped = probabilities[:, :h, :w]
    return resize(cropped.unsqueeze(0), (h, w))[0]


def resize_shortest_edge(image: np.ndarray, short: int = 640, max_size: int = 2560) -> np.ndarray:
    """detectron2 ResizeShortestEdge for a uint8 HWC image: scale = short/min(h,w),
    capped so the long side ≤ max_size, sizes rounded with int(v + 0.5),
    PIL bilinear (antialiased). The caller's step, before the model."""
    from PIL import Image
    h, w = image.shape[:2]
    scale = short / min(h, w)
    nh, nw = (float(short), scale * w) if h < w else (scale * h, float(short))
    if max(nh, nw) > max_size:
        scale = max_size / max(nh, nw)
        nh, nw = nh * scale, nw * scale
    nh, nw = int(nh + 0.5), int(nw + 0.5)
    if (nh, nw) == (h, w):
        return image
    return np.asarray(Image.fromarray(image).resize((nw, nh), Image.BILINEAR))
