#!/usr/bin/env python3
"""Latency of ovseg's Swift CLIP encoders against PyTorch (transformers) on
this machine, in one run, with the same random weights at real ViT-B/16 shape
(openai/clip-vit-base-patch16 sizes: vision 768 wide, 12 layers, patch 16;
text 512 wide, 12 layers), the same inputs and the same thread count.

Cases: image embedding at 224² (native) and 384² (position embeddings
interpolated bicubically to 24×24), and text embeddings of 20 prompts.

* The weights (≈ 600 MB, F32) and inputs are generated here into --workdir
  and never committed.
* Swift: `ovseg embed … --repeat N --threads T` built in release, timed
  on the same footing: the PNG is decoded, normalised and (for text) the
  tokenizer built once before the timed runs; the Swift text timing still
  includes tokenisation. PyTorch: `torch.inference_mode()`, the encoder call.
* Both report the median of N runs after one warm-up run; the two sides
  alternate case by case for --rounds rounds (other work on a shared machine
  then hits both alike) and the table shows the median over rounds.
* The HF text model runs all 77 positions; ovseg (like the causal maths
  allows, docs/segmentation-core.md §2.5) stops at the longest end-of-text, so the
  text ratio is also given against PyTorch on ids cut at that position.
* "GFLOP/s" = the encoder's GEMM floating-point operations (projections, MLP,
  attention products, patch embedding) divided by the median latency: the
  throughput of the encoder as a whole, a lower bound for its GEMMs. Each side
  is credited with the products it runs: ovseg's pooled outputs run the last
  layer's output projection and MLP at the class token / end of text only
  (every token still feeds its keys and values), PyTorch runs it everywhere.
* The embeddings of both sides are compared (cosine), as a real-size sanity
  check of the parity that the tiny fixtures test exactly.

Needs: python with torch, transformers, safetensors, numpy, open_clip_torch
(see scripts/fixtures/README.md); swift. Usage:
    python scripts/bench/clip_vs_torch.py [--threads 2] [--repeat 10]
or  scripts/bench/clip_vs_torch.sh (uses $PYTHON, else python3).
"""
import argparse
import os
import pathlib
import re
import statistics
import struct
import subprocess
import time
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeat", type=int, default=5)
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--workdir", default="/tmp/ovseg-bench")
ap.add_argument("--skip-build", action="store_true")
args = ap.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402  (after the thread variables)
import torch  # noqa: E402
from open_clip.tokenizer import SimpleTokenizer  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import CLIPConfig, CLIPModel, CLIPTextConfig, CLIPVisionConfig  # noqa: E402

torch.set_num_threads(args.threads)
work = pathlib.Path(args.workdir)
work.mkdir(parents=True, exist_ok=True)

# ---- build ---------------------------------------------------------------
if not args.skip_build:
    subprocess.run(["swift", "build", "-c", "release", "--product", "ovseg"], cwd=ROOT, check=True)
bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
ovseg = str(pathlib.Path(bin_dir) / "ovseg")

# ---- weights -------------------------------------------------------------
torch.manual_seed(0)
config = CLIPConfig(text_config=CLIPTextConfig().to_dict(),
                    vision_config=CLIPVisionConfig(patch_size=16).to_dict(), projection_dim=512)
config._attn_implementation = "sdpa"
model = CLIPModel(config).eval()
checkpoint = work / "clip_vit_b16_random.safetensors"
if not checkpoint.exists():
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items() if not k.endswith("position_ids")}
    save_file(state, str(checkpoint), metadata={"format": "pt"})
else:
    from safetensors.torch import load_file
    model.load_state_dict(load_file(str(checkpoint)), strict=False)


# ---- inputs --------------------------------------------------------------
def write_png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))
    chunk = lambda tag, data: struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    path.write_bytes(png)


rng = np.random.default_rng(0)
images = {}
for size in (224, 384):
    rgb = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    write_png(work / f"image_{size}.png", rgb)
    mean = np.array([122.7709383, 116.7460125, 104.09373615], dtype=np.float32)
    std = np.array([68.5005327, 66.6321579, 70.3231630], dtype=np.float32)
    images[size] = torch.from_numpy(((rgb.astype(np.float32) - mean) / std).transpose(2, 0, 1).copy())[None]

names = ["building", "road", "tree", "low vegetation", "car", "clutter", "water", "bare soil", "rangeland",
         "agricultural land", "forest", "ship", "storage tank", "baseball diamond", "tennis court",
         "basketball court", "ground track field", "harbor", "bridge", "large vehicle"]
prompts = [f"A photo of a {n} in the scene" for n in names]
tok = SimpleTokenizer()
ids = torch.zeros(len(prompts), 77, dtype=torch.long)
for r, p in enumerate(prompts):
    row = [49406] + tok.encode(p) + [49407]
    ids[r, :len(row)] = torch.tensor(row)
longest = int(ids.argmax(dim=1).max()) + 1


def torch_median(fn):
    with torch.inference_mode():
        out = fn()
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3, out


def swift_median(extra, out_name):
    out = work / out_name
    cmd = [ovseg, "embed", "--checkpoint", str(checkpoint), "--threads", str(args.threads),
           "--repeat", str(args.repeat), "-o", str(out)] + extra
    run = subprocess.run(cmd, check=True, capture_output=True, text=True)
    median = float(re.search(r"median ([0-9.]+) ms", run.stderr).group(1))
    data = out.read_bytes()
    header = struct.unpack("<H", data[8:10])[0]
    return median, torch.from_numpy(np.frombuffer(data[10 + header:], dtype="<f4").copy())


def layer_flops(t, queries, d, mlp):
    """One pre-LN block on t tokens whose output is needed at `queries` rows:
    q/k/v for every token, attention, output projection and MLP for those rows."""
    return 2 * t * d * 3 * d + 2 * 2 * queries * t * d + 2 * queries * d * d + 2 * queries * d * mlp * 2


def vision_flops(size, pooled_only=False, d=768, layers=12, mlp=3072, patch=16, embed=512):
    n = (size // patch) ** 2
    t = n + 1
    last = layer_flops(t, 1 if pooled_only else t, d, mlp)
    return 2 * n * d * 3 * patch * patch + (layers - 1) * layer_flops(t, t, d, mlp) + last + 2 * d * embed


def text_flops(batch, steps, pooled_only=False, d=512, layers=12, mlp=2048, embed=512):
    # Causal attention is counted as full S×S products (what both sides multiply).
    last = layer_flops(steps, 1 if pooled_only else steps, d, mlp)
    return batch * ((layers - 1) * layer_flops(steps, steps, d, mlp) + last + 2 * d * embed)


def cosine(a, b):
    a, b = a.flatten().double(), b.flatten().double()
    return float(a @ b / (a.norm() * b.norm()))


def run_round():
    rows = []
    for size in (224, 384):
        x = images[size]
        t_ms, t_out = torch_median(lambda: model.get_image_features(pixel_values=x, interpolate_pos_encoding=True))
        t_emb = t_out if torch.is_tensor(t_out) else t_out.pooler_output
        s_ms, s_emb = swift_median(["--image", str(work / f"image_{size}.png"), "--size", str(size)], f"image_{size}.npy")
        cos = cosine(torch.nn.functional.normalize(t_emb.float(), dim=-1), s_emb)
        rows.append((f"vision {size}²", t_ms, s_ms, vision_flops(size), vision_flops(size, pooled_only=True), cos))
    t_ms, t_out = torch_median(lambda: model.get_text_features(input_ids=ids))
    t_emb = t_out if torch.is_tensor(t_out) else t_out.pooler_output
    t_cut_ms, _ = torch_median(lambda: model.get_text_features(input_ids=ids[:, :longest]))
    s_ms, s_emb = swift_median(["--text"] + prompts, "text.npy")
    cos = cosine(torch.nn.functional.normalize(t_emb.float(), dim=-1), s_emb)
    swift_flops = text_flops(20, longest, pooled_only=True)
    rows.append(("text 20 prompts (torch 77 pos.)", t_ms, s_ms, text_flops(20, 77), swift_flops, cos))
    rows.append((f"text 20 prompts (torch cut to {longest})", t_cut_ms, s_ms, text_flops(20, longest), swift_flops, cos))
    return rows


rounds = [run_round() for _ in range(args.rounds)]
rows = []
for i, first in enumerate(rounds[0]):
    t = statistics.median(r[i][1] for r in rounds)
    s_ = statistics.median(r[i][2] for r in rounds)
    rows.append((first[0], t, s_, first[3], first[4], min(r[i][5] for r in rounds)))

print(f"\ntorch {torch.__version__}, threads {args.threads}, median over {args.rounds} rounds of medians of {args.repeat} runs; "
      f"BLAS (torch): {'MKL' if torch.backends.mkl.is_available() else 'other'}")
print(f"{'case':38} {'torch ms':>9} {'swift ms':>9} {'ratio':>6} {'torch GF/s':>10} {'swift GF/s':>10} {'cosine':>10}")
for name, t, s, tf, sf, cos in rows:
    print(f"{name:38} {t:9.1f} {s:9.1f} {s / t:6.2f} {tf / t / 1e6:10.1f} {sf / s / 1e6:10.1f} {cos:10.7f}")
