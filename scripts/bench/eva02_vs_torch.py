#!/usr/bin/env python3
"""Latency of ovseg's Swift EVA02 dense pass against the PyTorch reference
(`reference/ovseg_reference/eva02.py`) on this machine, in one run, with the
same random weights at the real EVA02-CLIP-L/14-336 shape (width 1024, 24
blocks, 16 heads, SwiGLU 2730, embed 768, 336 px → 24×24), the same inputs
and the same thread count.

The case is what SGSeg runs per image: a batch of 5 windows at 336², blocks
0…22 with RoPE, taps of blocks 7 and 15, the CSA last block, `norm`, `head`
and the L2 normalisation.

* The weights (≈ 1.2 GB, F32, under the checkpoint prefix
  `sem_seg_head.predictor.clip_model.visual.`) and pixels are generated here
  into --workdir and never committed.
* Swift: the `EVA02Bench` executable built in release; PyTorch:
  `forward_dense` under `torch.inference_mode()`. Both report the median of
  --repeat runs after one warm-up run; the two sides alternate for --rounds
  rounds (other work on a shared machine then hits both alike) and the table
  shows the median over rounds. Swift's checkpoint loading is timed apart.
* "GFLOP/s" = the GEMM floating-point operations of the pass (patch
  embedding, projections, SwiGLU, attention products) / median latency.
* The dense outputs of both sides are compared (max |Δ| and the smallest
  per-token cosine), a real-size check of the parity the tiny fixtures test.

Needs: python with torch, safetensors, numpy; swift. Usage:
    python scripts/bench/eva02_vs_torch.py [--threads 2] [--repeat 3] [--rounds 1]
or  scripts/bench/eva02_vs_torch.sh (uses $PYTHON, else python3).
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
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--rounds", type=int, default=1)
ap.add_argument("--batch", type=int, default=5)
ap.add_argument("--workdir", default="/tmp/ovseg-bench-eva02")
ap.add_argument("--skip-build", action="store_true")
args = ap.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402  (after the thread variables)
import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

from ovseg_reference.eva02 import EVA02Visual, EVA02VisionConfig  # noqa: E402

torch.set_num_threads(args.threads)
work = pathlib.Path(args.workdir)
work.mkdir(parents=True, exist_ok=True)
PREFIX = "sem_seg_head.predictor.clip_model.visual."
TAPS = [7, 15]

# ---- build ---------------------------------------------------------------
if not args.skip_build:
    subprocess.run(["swift", "build", "-c", "release", "--product", "EVA02Bench"], cwd=ROOT, check=True)
bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
bench = str(pathlib.Path(bin_dir) / "EVA02Bench")

# ---- weights and pixels --------------------------------------------------
cfg = EVA02VisionConfig()
torch.manual_seed(0)
model = EVA02Visual(cfg).eval()
checkpoint = work / "eva02_l14_336_visual_random.safetensors"
if checkpoint.exists():
    model.load_state_dict({k[len(PREFIX):]: v for k, v in load_file(str(checkpoint)).items()})
else:
    with torch.no_grad():  # LayerNorms and q/v biases away from their 1/0 initial values
        for name, p in model.named_parameters():
            if name.endswith(("norm1.weight", "norm2.weight", "inner_attn_ln.weight", "ffn_ln.weight", "norm.weight")):
                p.add_(torch.randn_like(p) * 0.1)
            elif name.endswith(("q_bias", "v_bias")) or name.endswith("bias"):
                p.copy_(torch.randn_like(p) * 0.02)
            elif name in ("cls_token", "pos_embed"):
                p.copy_(torch.randn_like(p) * 0.02)
    save_file({PREFIX + k: v.contiguous() for k, v in model.state_dict().items()}, str(checkpoint),
              metadata={"format": "pt", "sgseg.backbone": "eva02", "sgseg.clip.vision_heads": "16"})
pixels_file = work / f"pixels_{args.batch}x336.safetensors"
pixels = torch.randn(args.batch, 3, cfg.image_size, cfg.image_size, generator=torch.Generator().manual_seed(1))
save_file({"pixels": pixels.contiguous()}, str(pixels_file))


def flops(batch):
    d, h, tokens, n = cfg.width, cfg.mlp_hidden, cfg.grid ** 2 + 1, cfg.grid ** 2
    standard = 2 * tokens * d * 3 * d + 2 * tokens * d * d + 2 * tokens * d * 2 * h + 2 * tokens * h * d \
        + 2 * 2 * tokens * tokens * d
    csa = 2 * tokens * d * 3 * d + 2 * n * d * d + 4 * 2 * tokens * tokens * d
    patch = 2 * n * d * 3 * cfg.patch_size ** 2
    return batch * (patch + (cfg.depth - 1) * standard + csa + 2 * n * d * cfg.embed_dim)


def torch_median():
    with torch.inference_mode():
        dense, _ = model.forward_dense(pixels, TAPS)
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            model.forward_dense(pixels, TAPS)
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3, dense


def swift_median():
    out = work / "dense_swift.f32"
    run = subprocess.run([bench, "--checkpoint", str(checkpoint), "--pixels", str(pixels_file),
                          "--taps", ",".join(map(str, TAPS)), "--threads", str(args.threads),
                          "--repeat", str(args.repeat), "--output", str(out)],
                         check=True, capture_output=True, text=True)
    median = float(re.search(r"median ([0-9.]+) ms", run.stdout).group(1))
    load = float(re.search(r"load ([0-9.]+) ms", run.stdout).group(1))
    dense = torch.from_numpy(np.fromfile(out, dtype="<f4").copy()).reshape(args.batch, cfg.grid ** 2, cfg.embed_dim)
    return median, load, dense


rounds = []
for _ in range(args.rounds):
    t_ms, t_dense = torch_median()
    s_ms, s_load, s_dense = swift_median()
    rounds.append((t_ms, s_ms, s_load))
t_ms = statistics.median(r[0] for r in rounds)
s_ms = statistics.median(r[1] for r in rounds)
load_ms = statistics.median(r[2] for r in rounds)
worst = float((s_dense - t_dense).abs().max())
cosine = float(torch.nn.functional.cosine_similarity(s_dense.double(), t_dense.double(), dim=-1).min())

print(f"\ntorch {torch.__version__}, threads {args.threads}, batch {args.batch}×3×336², taps {TAPS}, "
      f"median over {args.rounds} round(s) of medians of {args.repeat} runs")
print(f"{'side':8} {'ms':>9} {'GFLOP/s':>9}")
print(f"{'torch':8} {t_ms:9.1f} {flops(args.batch) / t_ms / 1e6:9.1f}")
print(f"{'swift':8} {s_ms:9.1f} {flops(args.batch) / s_ms / 1e6:9.1f}   (checkpoint load {load_ms:.0f} ms, not timed above)")
print(f"ratio swift/torch {s_ms / t_ms:.2f}")
print(f"dense max |Δ| {worst:.3g}, min per-token cosine {cosine:.7f}")
