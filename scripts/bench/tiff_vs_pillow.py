#!/usr/bin/env python3
"""Generates an ISPRS-Potsdam-like RGB colour-coded TIFF label pair (LZW), or scores one pair the
way Python code does it (Pillow decode, colours → ids through a 2^24 lookup table, np.bincount),
for scripts/bench/tiff_vs_pillow.sh.

Usage: tiff_vs_pillow.py generate OUT_DIR SIZE   (writes OUT_DIR/gt/tile.tif, OUT_DIR/pred/tile.tif)
       tiff_vs_pillow.py score GT.tif PRED.tif   (prints the union-present mIoU, 2 decimals)
"""
import os
import sys

import numpy as np

COLORS = [(255, 255, 255), (0, 0, 255), (0, 255, 255), (0, 255, 0), (255, 255, 0), (255, 0, 0)]
IGNORE_COLOR = (0, 0, 0)
K = len(COLORS)


def blobs(size, rng):
    """Class ids in blobs like an aerial label tile: coarse regions (a low-resolution random
    field upsampled), then buildings and cars as rectangles; a few thousand distinct runs per row
    band, so LZW compresses them as it does real labels (tens of times, not thousands)."""
    coarse = rng.integers(0, K, size=(size // 150 + 1, size // 150 + 1))
    ids = np.kron(coarse, np.ones((150, 150), dtype=np.int64))[:size, :size].astype(np.uint8)
    for _ in range(size * size // 20000):  # buildings, trees, cars
        h, w = rng.integers(4, 90, size=2)
        y, x = rng.integers(0, size - 90, size=2)
        ids[y:y + h, x:x + w] = rng.integers(0, K)
    return ids


def generate(out, size):
    import tifffile

    rng = np.random.default_rng(7)
    truth = blobs(size, rng)
    guess = truth.copy()
    # Predictions: shifted edges and wrong blobs.
    guess[:, 3:] = guess[:, :-3]
    for _ in range(size * size // 80000):
        h, w = rng.integers(10, 120, size=2)
        y, x = rng.integers(0, size - 120, size=2)
        guess[y:y + h, x:x + w] = rng.integers(0, K)
    palette = np.array(COLORS, dtype=np.uint8)
    truth_rgb = palette[truth]
    # Eroded-boundary style ignore pixels (black) where the class changes horizontally.
    edge = np.zeros_like(truth, dtype=bool)
    edge[:, 1:] = truth[:, 1:] != truth[:, :-1]
    truth_rgb[edge] = IGNORE_COLOR
    for folder, image in [("gt", truth_rgb), ("pred", palette[guess])]:
        os.makedirs(os.path.join(out, folder), exist_ok=True)
        tifffile.imwrite(os.path.join(out, folder, "tile.tif"), image, photometric="rgb", compression="lzw",
                         rowsperstrip=16)


def score(gt_path, pred_path):
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None
    lut = np.full(1 << 24, 254, dtype=np.uint8)  # 254 = unknown colour
    for index, (r, g, b) in enumerate(COLORS):
        lut[(r << 16) | (g << 8) | b] = index
    r, g, b = IGNORE_COLOR
    lut[(r << 16) | (g << 8) | b] = 255

    def ids(path):
        rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.uint32)
        values = lut[(rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]]
        if (values == 254).any():
            raise SystemExit(f"{path}: unknown colour")
        return values

    gt = ids(gt_path)
    pred = ids(pred_path)
    if (pred == 255).any():
        raise SystemExit(f"{pred_path}: ignore colour in a prediction")
    keep = gt != 255
    matrix = np.bincount(gt[keep].astype(np.int64) * K + pred[keep], minlength=K * K).reshape(K, K)
    tp = np.diag(matrix)
    union = matrix.sum(0) + matrix.sum(1) - tp
    iou = tp[union > 0] / union[union > 0]
    print("%.2f" % np.round(iou.mean() * 100, 2))


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]))
    else:
        score(sys.argv[2], sys.argv[3])
