#!/usr/bin/env python3
"""The Python equivalent of `ovseg score` on the sample dataset, for speed comparison.

One process, the loop every segmentation codebase writes: PIL-decode the ground truth
(RGB colour-coded, mapped to ids through a 2^24 lookup table) and the prediction
(palette PNG -> indices), drop ignored pixels, np.bincount the combined index.
Prints the union-present mIoU so the comparison script can check both agree.

Usage: score_python_equivalent.py GT_DIR PRED_DIR
"""
import os
import sys

import numpy as np
from PIL import Image

COLORS = [(255, 255, 255), (0, 0, 255), (0, 255, 255), (0, 255, 0), (255, 255, 0), (255, 0, 0)]
IGNORE_COLOR = (0, 0, 0)
K = len(COLORS)


def main(gt_dir, pred_dir):
    lut = np.full(1 << 24, 254, dtype=np.uint8)  # 254 = unknown colour
    for index, (r, g, b) in enumerate(COLORS):
        lut[(r << 16) | (g << 8) | b] = index
    r, g, b = IGNORE_COLOR
    lut[(r << 16) | (g << 8) | b] = 255
    matrix = np.zeros(K * K, dtype=np.int64)
    for name in sorted(os.listdir(gt_dir)):
        if not name.endswith(".png"):
            continue
        rgb = np.asarray(Image.open(os.path.join(gt_dir, name)).convert("RGB"), dtype=np.uint32)
        gt = lut[(rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]]
        if (gt == 254).any():
            raise SystemExit(f"{name}: unknown colour")
        pred = np.asarray(Image.open(os.path.join(pred_dir, name)))
        keep = gt != 255
        matrix += np.bincount(gt[keep].astype(np.int64) * K + pred[keep], minlength=K * K)
    cm = matrix.reshape(K, K)
    tp = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - tp
    iou = tp[union > 0] / union[union > 0]
    print("%.2f" % np.round(iou.mean() * 100, 2))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
