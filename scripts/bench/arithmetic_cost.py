#!/usr/bin/env python3
"""What the reproducible arithmetic costs: ovseg's own GEMM kernels against
OpenBLAS's kernel for this CPU, in one run, on the same inputs.

* Whole core: `SegmenterBench` on one 640×640 image with the released
  geometry (sliding 384/256 + global view, 15 classes), random weights at real
  shape (SGSeg EVA02-L/14-336 and CAT-Seg ViT-B/16, as in core_vs_torch.py).
* Encoders: `ovseg embed --image` with a random ViT-B/16 CLIP at 224² and 384².

The two arithmetics alternate for --rounds rounds (load on a shared machine
then hits both alike); each figure is the median over rounds of each side's
median of --repeat runs. The script also compares the outputs of the two
arithmetics (labels, probabilities), and of the reproducible one at 1 and 2
threads (must be identical).

Needs: python with torch, transformers, safetensors, numpy, pillow (see
scripts/fixtures/README.md); swift. Usage:
    python scripts/bench/arithmetic_cost.py [--config sgseg|catseg|both|none] [--threads 2] [--repeat 3] [--rounds 3]
"""
import argparse
import os
import pathlib
import re
import statistics
import struct
import subprocess

import numpy as np

from random_models import CLASSES, clip_checkpoint, core_checkpoint, core_image  # scripts/bench/, the script's folder

ROOT = pathlib.Path(__file__).resolve().parents[2]

ap = argparse.ArgumentParser()
ap.add_argument("--config", choices=["sgseg", "catseg", "both", "none"], default="both")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--workdir", default="/tmp/ovseg-bench-core")
ap.add_argument("--skip-build", action="store_true")
ap.add_argument("--openblas-native", action="store_true",
                help="run the openblas side without OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE, so that OpenBLAS picks its own "
                     "kernel for this CPU (some machines set them because older OpenBLAS builds fail on them)")
args = ap.parse_args()

work = pathlib.Path(args.workdir)
work.mkdir(parents=True, exist_ok=True)
STAGES = ["preprocessing", "backbone", "head", "postprocessing"]
MODES = ["reproducible", "openblas"]

if not args.skip_build:
    subprocess.run(["swift", "build", "-c", "release", "--product", "SegmenterBench"], cwd=ROOT, check=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "ovseg"], cwd=ROOT, check=True)
bin_dir = pathlib.Path(subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                                      capture_output=True, text=True).stdout.strip())


def environment(mode):
    env = dict(os.environ)
    if mode == "openblas" and args.openblas_native:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    return env


KERNELS = {}


def core_run(path, mode, threads):
    out = work / f"arith_{mode}_{threads}.f32"
    run = subprocess.run([str(bin_dir / "SegmenterBench"), "--checkpoint", str(path), "--image", str(core_image(work)),
                          "--classes", "|".join(CLASSES), "--threads", str(threads), "--repeat", str(args.repeat),
                          "--output", str(out), "--arithmetic", mode], check=True, capture_output=True, text=True,
                         env=environment(mode))
    KERNELS[mode] = re.search(r"^kernel (.*)$", run.stdout, re.M).group(1)
    times = {s: float(re.search(rf"^{s} ([0-9.]+) ms", run.stdout, re.M).group(1)) for s in STAGES}
    raw = np.fromfile(out, dtype="<f4")
    t = len(CLASSES) * 640 * 640
    return times, raw[:t], raw[t:].view("<i4")


def embed_run(path, mode, size, threads=None):
    out = work / f"arith_embed_{mode}_{size}.npy"
    run = subprocess.run([str(bin_dir / "ovseg"), "embed", "--checkpoint", str(path), "--image", str(work / f"image_{size}.png"),
                          "--size", str(size), "--threads", str(threads or args.threads), "--repeat", str(args.repeat),
                          "--arithmetic", mode, "-o", str(out)], check=True, capture_output=True, text=True,
                         env=environment(mode))
    data = out.read_bytes()
    header = struct.unpack("<H", data[8:10])[0]
    return float(re.search(r"median ([0-9.]+) ms", run.stderr).group(1)), np.frombuffer(data[10 + header:], dtype="<f4")


def write_png(path, rgb):
    from PIL import Image
    Image.fromarray(rgb).save(path)


def core(name):
    path = core_checkpoint(work, name, CLASSES)
    rounds = {m: [] for m in MODES}
    outputs = {}
    for _ in range(args.rounds):
        for mode in MODES:
            times, probabilities, labels = core_run(path, mode, args.threads)
            rounds[mode].append(times)
            outputs[mode] = (probabilities, labels)
    print(f"\n{name}: one 640×640 image, 5 views, {len(CLASSES)} classes, {args.threads} threads; ms, "
          f"median of {args.rounds} rounds × {args.repeat} runs")
    print(f"{'stage':16} {'openblas':>10} {'reproducible':>13} {'ratio':>7}")
    totals = {}
    for stage in STAGES + ["total"]:
        value = {m: statistics.median(sum(r.values()) if stage == "total" else r[stage] for r in rounds[m]) for m in MODES}
        totals[stage] = value
        print(f"{stage:16} {value['openblas']:10.1f} {value['reproducible']:13.1f} {value['reproducible'] / value['openblas']:7.2f}")
    (p_r, l_r), (p_o, l_o) = outputs["reproducible"], outputs["openblas"]
    print(f"kernels: reproducible {KERNELS['reproducible']}, openblas {KERNELS['openblas']}")
    print(f"reproducible vs openblas: probabilities max |Δ| {np.abs(p_r - p_o).max():.3g}; "
          f"labels equal on {(l_r == l_o).mean() * 100:.4f}% of pixels")
    _, p_1, l_1 = core_run(path, "reproducible", 1)
    print(f"reproducible at 1 vs {args.threads} threads: probabilities bit-identical {np.array_equal(p_1.view('<u4'), p_r.view('<u4'))}, "
          f"labels identical {np.array_equal(l_1, l_r)}")


def encoders():
    path = clip_checkpoint(work)
    rng = np.random.default_rng(0)
    for size in (224, 384):
        write_png(work / f"image_{size}.png", rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
    print(f"\nViT-B/16 image embedding, {args.threads} threads; ms, median of {args.rounds} rounds × {args.repeat} runs")
    print(f"{'input':16} {'openblas':>10} {'reproducible':>13} {'ratio':>7}   max |Δ| of the embeddings")
    for size in (224, 384):
        times = {m: [] for m in MODES}
        outputs = {}
        for _ in range(args.rounds):
            for mode in MODES:
                ms, vector = embed_run(path, mode, size)
                times[mode].append(ms)
                outputs[mode] = vector
        value = {m: statistics.median(times[m]) for m in MODES}
        delta = np.abs(outputs["reproducible"] - outputs["openblas"]).max()
        print(f"{f'{size}²':16} {value['openblas']:10.1f} {value['reproducible']:13.1f} "
              f"{value['reproducible'] / value['openblas']:7.2f}   {delta:.3g}")


encoders()
for name in {"both": ["sgseg", "catseg"], "none": []}.get(args.config, [args.config]):
    core(name)
