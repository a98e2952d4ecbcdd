"""Helpers for scripts/bench/scale.sh (not part of the product).

  scale_data.py pairs DIR N         write N synthetic 64x64 pairs: DIR/gt/tile_NNNNNN.png and
                                    DIR/pred/tile_NNNNNN.png, 8-bit gray iSAID class ids 0-15
                                    (ground truth also has some 255 = ignored)
  scale_data.py same A B            exit 1 unless the two results files hold the same counts
                                    (confusion matrix, side vectors, per-image records)
  scale_data.py inflate RUN N OUT   write OUT: RUN's images repeated under new ids until there are N,
                                    the matrix scaled to match, so the file reads back as valid
"""
import json
import sys

import numpy as np
from PIL import Image


def pairs(directory, count):
    import os
    rng = np.random.default_rng(18)
    os.makedirs(f"{directory}/gt", exist_ok=True)
    os.makedirs(f"{directory}/pred", exist_ok=True)
    for index in range(count):
        # Blocky ground truth (8x8 cells), predictions that agree on about 70% of the cells.
        cells = rng.integers(0, 16, size=(8, 8), dtype=np.uint8)
        cells[rng.random((8, 8)) < 0.05] = 255
        gt = np.kron(cells, np.ones((8, 8), dtype=np.uint8))
        noise = rng.integers(0, 16, size=(64, 64), dtype=np.uint8)
        pred = np.where(rng.random((64, 64)) < 0.7, np.where(gt == 255, 0, gt), noise).astype(np.uint8)
        Image.fromarray(gt, mode="L").save(f"{directory}/gt/tile_{index:06d}.png")
        Image.fromarray(pred, mode="L").save(f"{directory}/pred/tile_{index:06d}.png")


def counts(path):
    with open(path) as f:
        run = json.load(f)
    m = run["confusion_matrix"]
    images = [(i["id"], i["ground_truth_sha256"], i["prediction_sha256"], i["tp"], i["gt"], i["pred"])
              for i in run["images"]]
    return (m["rows"], m["void_predictions"], m["predictions_on_unlabeled"],
            m.get("out_of_range_predictions_on_ignored")), sorted(images)


def same(a, b):
    if counts(a) != counts(b):
        print(f"DIFFERENT counts: {a} {b}")
        sys.exit(1)
    print(f"same counts: {a} = {b}")


def inflate(source, count, output):
    with open(source) as f:
        run = json.load(f)
    base = run["images"]
    images = []
    for copy in range(count // len(base)):
        for image in base:
            item = dict(image)
            item["id"] = f"copy{copy:04d}/{image['id']}"
            images.append(item)
    # Each full copy of the base adds the base matrix once.
    full, rest = divmod(count, len(base))
    if rest:
        raise SystemExit("inflate: N must be a multiple of the run's image count")
    m = run["confusion_matrix"]
    rows = full * np.array(m["rows"], dtype=np.int64)
    void = full * np.array(m["void_predictions"], dtype=np.int64)
    unlabeled = full * np.array(m["predictions_on_unlabeled"], dtype=np.int64)
    m["rows"] = rows.tolist()
    m["void_predictions"] = void.tolist()
    m["predictions_on_unlabeled"] = unlabeled.tolist()
    m["out_of_range_predictions_on_ignored"] = full * m.get("out_of_range_predictions_on_ignored", 0)
    images.sort(key=lambda i: i["id"])
    run["images"] = images
    run["dataset"]["images"] = len(images)
    with open(output, "w") as f:
        json.dump(run, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "pairs":
        pairs(sys.argv[2], int(sys.argv[3]))
    elif command == "same":
        same(sys.argv[2], sys.argv[3])
    elif command == "inflate":
        inflate(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        raise SystemExit(__doc__)
