#!/usr/bin/env python3
"""Latency of ovseg's whole Swift segmentation core against the PyTorch
reference (`reference/ovseg_reference/model.py`) on this machine, in one run,
with the same random weights at real shape, the same 640×640 image, the same
15 classes and the same thread count.

Configurations (`--config`, default both):
* sgseg  — the released SGSeg: EVA02-CLIP-L/14-336 (vision 1024 wide, 24
  blocks; text 768 wide, 12 blocks), CSA + L2 dense features, taps 7/15,
  scene bias from the prototype memory, class pooling 1.
* catseg — CAT-Seg ViT-B/16 (OpenAI CLIP shapes: vision 768 wide, 12 blocks,
  patch 16; text 512 wide, 12 blocks), CAT-Seg dense value path, taps 3/7,
  no bias, CLIP input 384. The random CLIP is built at 384 natively (577
  positions), so neither side interpolates position embeddings; everything
  else is the released geometry.
Both run the released sliding-window inference: the 640² image, 4 windows
of 384² at stride 256 plus the global view (5 views), per-class sigmoid,
argmax. The classes are iSAID's 15 foreground classes with the checkpoint's
template.

Stages, timed on both sides with the same boundaries:
  preprocessing   window cutting, normalisation, bilinear resize to the CLIP input
  backbone        the vision tower's dense pass over the 5 views and its two taps
  head            tap upsampling, cost volume, aggregation, decoder → logits
  postprocessing  window upsampling, sigmoid, fold + global view, resize, argmax
Text embedding (tokeniser + text tower, 15 prompts) is cached per vocabulary in
ovseg, so it is timed apart and not in the per-image total.

* The weights are random (`tiny.randomise_`, fixed seed) at real shape,
  written once by the reference exporter as F16 safetensors into --workdir
  (≈ 0.9 GB for SGSeg, never committed); the PyTorch model runs the same
  F16-rounded values in float32, as the Swift side does after widening.
* Swift: the `SegmenterBench` executable, release build, which loads the
  checkpoint through the normal `SoftGuidedSegmenter(checkpoint:)` path and
  reports `Segmentation.timings`. PyTorch: `torch.inference_mode()`, the
  reference's own functions called in `infer_sliding`'s order with clocks
  between them (checked once to equal `model.predict` exactly).
* Each side: one warm-up run, then --repeat runs; the run with the median
  total is reported. The sides alternate for --rounds rounds (other work on a
  shared machine then hits both alike) and the table shows the median over
  rounds, per stage.
* Outputs are compared: the combined class probabilities (max |Δ|) and the
  share of equal labels.

Needs: python with torch, transformers, safetensors, numpy, pillow,
open_clip_torch (see scripts/fixtures/README.md); swift. Usage:
    python scripts/bench/core_vs_torch.py [--config sgseg|catseg|both] [--threads 2] [--repeat 1] [--rounds 1]
or  scripts/bench/core_vs_torch.sh (uses $PYTHON, else python3).
"""
import argparse
import os
import pathlib
import re
import statistics
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
ap = argparse.ArgumentParser()
ap.add_argument("--config", choices=["sgseg", "catseg", "both"], default="both")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeat", type=int, default=1)
ap.add_argument("--rounds", type=int, default=1)
ap.add_argument("--workdir", default="/tmp/ovseg-bench-core")
ap.add_argument("--skip-build", action="store_true")
args = ap.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402  (after the thread variables)
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from ovseg_reference.export import load_model  # noqa: E402
from ovseg_reference.windows import combine_views, normalise, resize, sliding_views  # noqa: E402

from random_models import CLASSES, core_checkpoint, core_image  # noqa: E402

torch.set_num_threads(args.threads)
work = pathlib.Path(args.workdir)
work.mkdir(parents=True, exist_ok=True)
STAGES = ["preprocessing", "backbone", "head", "postprocessing"]

# ---- build ---------------------------------------------------------------
if not args.skip_build:
    subprocess.run(["swift", "build", "-c", "release", "--product", "SegmenterBench"], cwd=ROOT, check=True)
bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
bench = str(pathlib.Path(bin_dir) / "SegmenterBench")


def checkpoint(name):
    return core_checkpoint(work, name, CLASSES)


def image_file():
    return core_image(work)


def seconds_since(t):
    return time.perf_counter() - t


def torch_once(model, image, text):
    """`SGSegModel.infer_sliding` + argmax, with clocks between the stages."""
    cfg, geo = model.cfg, model.cfg.geometry
    times = {}
    t = time.perf_counter()
    views = sliding_views(image, geo)
    pixels = resize(normalise(views), cfg.clip_input)
    times["preprocessing"] = seconds_since(t)
    t = time.perf_counter()
    dense, taps = model._dense(model.clip, pixels, cfg.guidance_layers)
    times["backbone"] = seconds_since(t)
    t = time.perf_counter()
    g = cfg.grid
    to_map = lambda z: z.transpose(1, 2).reshape(z.shape[0], z.shape[2], g, g)  # noqa: E731
    t0, t1 = cfg.guidance_layers
    res4, res5 = model.upsample1(to_map(taps[t0])), model.upsample2(to_map(taps[t1]))
    b = pixels.shape[0]
    logits = model.aggregator(to_map(dense), text.unsqueeze(0).expand(b, *text.shape), [res4, res5],
                              pooling=cfg.pooling)
    times["head"] = seconds_since(t)
    t = time.perf_counter()
    combined = combine_views(resize(logits, geo.window).sigmoid(), geo)
    probabilities = resize(combined.unsqueeze(0), tuple(image.shape[-2:]))[0]
    labels = probabilities.argmax(dim=0)
    times["postprocessing"] = seconds_since(t)
    return times, combined, labels


def torch_side(model, image):
    with torch.inference_mode():
        text_times = []
        for _ in range(max(args.repeat, 1) + 1):
            t = time.perf_counter()
            text = model.text_features(CLASSES)
            text_times.append(seconds_since(t))
        _, combined, labels = torch_once(model, image, text)               # warm-up
        runs = [torch_once(model, image, text) for _ in range(args.repeat)]
    runs.sort(key=lambda r: sum(r[0].values()))
    times, combined, labels = runs[len(runs) // 2]
    return times, statistics.median(text_times[1:]), combined, labels


def swift_side(path, image_path, classes):
    out = work / "swift_output.f32"
    run = subprocess.run([bench, "--checkpoint", str(path), "--image", str(image_path), "--classes", "|".join(classes),
                          "--threads", str(args.threads), "--repeat", str(args.repeat), "--output", str(out)],
                         check=True, capture_output=True, text=True)
    value = lambda key: float(re.search(rf"^{key} ([0-9.]+) ms", run.stdout, re.M).group(1)) / 1e3  # noqa: E731
    times = {stage: value(stage) for stage in STAGES}
    raw = np.fromfile(out, dtype="<f4")
    t, r = len(classes), 640
    combined = torch.from_numpy(raw[: t * r * r].copy()).reshape(t, r, r)
    labels = torch.from_numpy(raw[t * r * r:].view("<i4").astype(np.int64)).reshape(640, 640)
    return times, value("text"), value("load"), combined, labels


def measure(name):
    path = checkpoint(name)
    model = load_model(path).eval()
    img_path = image_file()
    image = torch.from_numpy(np.asarray(Image.open(img_path).convert("RGB"))).permute(2, 0, 1).float()
    with torch.inference_mode():                 # the timed replica equals the reference's own predict
        text = model.text_features(CLASSES)
        probabilities, labels = model.predict(image, text, inference="sliding")
        _, _, replica = torch_once(model, image, text)
        assert torch.equal(replica, labels), "the timed replica differs from SGSegModel.predict"
    rounds = []
    for _ in range(args.rounds):
        rounds.append((torch_side(model, image), swift_side(path, img_path, CLASSES)))
    torch_times = {s: statistics.median(r[0][0][s] for r in rounds) for s in STAGES}
    swift_times = {s: statistics.median(r[1][0][s] for r in rounds) for s in STAGES}
    torch_text = statistics.median(r[0][1] for r in rounds)
    swift_text = statistics.median(r[1][1] for r in rounds)
    load = statistics.median(r[1][2] for r in rounds)
    (_, _, t_combined, t_labels), (_, _, _, s_combined, s_labels) = rounds[-1]
    worst = float((s_combined - t_combined).abs().max())
    agree = float((s_labels == t_labels).double().mean())
    print(f"\n{name}: torch {torch.__version__}, threads {args.threads}, one 640×640 image, sliding 384/256 + global "
          f"(5 views), {len(CLASSES)} classes; per stage: the run with the median total of {args.repeat} "
          f"(after a warm-up), median over {args.rounds} round(s)")
    print(f"{'stage':16} {'torch ms':>10} {'swift ms':>10} {'ratio':>7}")
    for stage in STAGES:
        t, s = torch_times[stage] * 1e3, swift_times[stage] * 1e3
        print(f"{stage:16} {t:10.1f} {s:10.1f} {s / t:7.2f}")
    t, s = sum(torch_times.values()) * 1e3, sum(swift_times.values()) * 1e3
    print(f"{'total':16} {t:10.1f} {s:10.1f} {s / t:7.2f}")
    print(f"{'text (15 cls)':16} {torch_text * 1e3:10.1f} {swift_text * 1e3:10.1f} {swift_text / torch_text:7.2f}"
          f"   (cached per vocabulary; Swift checkpoint load {load * 1e3:.0f} ms, not timed)")
    print(f"combined probabilities max |Δ| {worst:.3g}; labels equal on {agree * 100:.3f}% of pixels")


for name in (["sgseg", "catseg"] if args.config == "both" else [args.config]):
    measure(name)
