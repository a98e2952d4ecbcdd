#!/usr/bin/env python3
"""How far OpenBLAS arithmetic moves a model's output between CPU kernels, and
how far from the reproducible arithmetic: the evidence behind the cross-machine
figures in docs/reproducibility.md.

On one machine, OpenBLAS can be told to run the kernels it would pick on other
CPUs (OPENBLAS_CORETYPE, set here for each measured subprocess only, and only
for kernels whose instructions this CPU has; tests and CI never set it). For
each kernel the script runs

* the demo model (`ovseg eval` on the demo tiles with Demo/sgseg-demo.safetensors), and
* with --core, the random real-shape CAT-Seg model of arithmetic_cost.py on its 640² image
  (`SegmenterBench`),

with `--arithmetic openblas`, and compares the labels pixel by pixel with the
reproducible arithmetic's (numpy on the saved predictions), the metrics (mIoU,
hIoU, every class IoU, from the results files), and runs `ovseg check
--numeric-noise` against the reproducible run. The reproducible run itself is
repeated with every reproducible kernel (OVSEG_GEMM_KERNEL) and must be
byte-identical.

Needs: python with numpy and pillow (torch etc. only for --core); a release
build (`swift build -c release`). Usage:
    python scripts/bench/openblas_kernels.py [--core] [--workdir /tmp/ovseg-kernels]
"""
import argparse
import json
import os
import pathlib
import subprocess

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[2]
ap = argparse.ArgumentParser()
ap.add_argument("--core", action="store_true", help="also the random real-shape CAT-Seg model (needs torch)")
ap.add_argument("--workdir", default="/tmp/ovseg-kernels")
args = ap.parse_args()
work = pathlib.Path(args.workdir)
work.mkdir(parents=True, exist_ok=True)
bin_dir = pathlib.Path(subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                                      capture_output=True, text=True).stdout.strip())
ovseg = str(bin_dir / "ovseg")
flags = set(open("/proc/cpuinfo").read().split("flags")[1].split("\n")[0].split())
# OpenBLAS x86-64 kernels and the instructions they need.
KERNELS = {"Haswell": {"avx2", "fma"}, "Zen": {"avx2", "fma"}, "SkylakeX": {"avx512f", "avx512bw", "avx512vl"},
           "Cooperlake": {"avx512f", "avx512bw", "avx512vl", "avx512_bf16"}}
usable = [k for k, need in KERNELS.items() if need <= flags]


def environment(coretype=None, gemm_kernel=None):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    if gemm_kernel:
        env["OVSEG_GEMM_KERNEL"] = gemm_kernel
    return env


def labels(folder):
    return {p.name: np.asarray(Image.open(p)) for p in sorted(pathlib.Path(folder).glob("*.png"))}


def metrics(path):
    run = json.loads(pathlib.Path(path).read_text())
    values = {"mIoU": run["metrics"]["miou"], "hIoU": run["metrics"].get("hiou")}
    for entry in run["classes"]:
        values["IoU " + entry["name"]] = entry["iou"]
    return values, run["provenance"]["numerics"]["kernel"]


def demo_eval(name, arithmetic, env):
    out = work / name
    subprocess.run([ovseg, "eval", "--vocab", "potsdam", "--data", str(work / "demo"), "--checkpoint",
                    str(ROOT / "Demo" / "sgseg-demo.safetensors"), "--arithmetic", arithmetic, "--quiet",
                    "--save-predictions", str(out), "-o", str(out) + ".ovseg.json"], check=True, env=env)
    return out


subprocess.run([ovseg, "demo", "--out", str(work / "demo"), "--skip-model"], check=True, capture_output=True,
               env=environment())
print(f"CPU kernels OpenBLAS can run here: {', '.join(usable)}")
reference = demo_eval("reproducible", "reproducible", environment())
ref_labels = labels(reference)
ref_metrics, _ = metrics(str(reference) + ".ovseg.json")
pixels = sum(a.size for a in ref_labels.values())
print(f"\ndemo model, {len(ref_labels)} tiles, {pixels} pixels; against the reproducible arithmetic:")
for kernel in ["portable", "avx2", "avx512"]:
    try:
        other = demo_eval(f"reproducible-{kernel}", "reproducible", environment(gemm_kernel=kernel))
    except subprocess.CalledProcessError:
        continue
    _, used = metrics(str(other) + ".ovseg.json")
    same = all((labels(other)[k] == v).all() for k, v in ref_labels.items())
    print(f"  reproducible, {used:24} labels identical: {same}")
for kernel in usable:
    other = demo_eval(f"openblas-{kernel}", "openblas", environment(coretype=kernel))
    got = labels(other)
    differ = sum(int((got[k] != v).sum()) for k, v in ref_labels.items())
    values, used = metrics(str(other) + ".ovseg.json")
    worst = max(abs((values[m] or 0) - (ref_metrics[m] or 0)) * 100 for m in ref_metrics)
    check = subprocess.run([ovseg, "check", "--numeric-noise", "--baseline", str(reference) + ".ovseg.json",
                            str(other) + ".ovseg.json"], capture_output=True, text=True)
    print(f"  openblas, {used:24} labels differ on {differ} pixels ({100 - differ / pixels * 100:.5f}% agree); "
          f"largest metric change {worst:.5f} pp; check --numeric-noise exit {check.returncode}")

if args.core:
    from random_models import CLASSES as classes, core_checkpoint, core_image  # noqa: E402
    bench_dir = pathlib.Path("/tmp/ovseg-bench-core")
    bench_dir.mkdir(exist_ok=True)
    path, image = core_checkpoint(bench_dir, "catseg", classes), core_image(bench_dir)

    def core_output(arithmetic, env):
        out = work / "core.f32"
        subprocess.run([str(bin_dir / "SegmenterBench"), "--checkpoint", str(path), "--image", str(image),
                        "--classes", "|".join(classes), "--repeat", "1", "--output", str(out),
                        "--arithmetic", arithmetic], check=True, capture_output=True, env=env)
        raw = np.fromfile(out, dtype="<f4")
        return raw[:len(classes) * 640 * 640].view("<u4"), raw[len(classes) * 640 * 640:].view("<i4")

    probabilities, ref = core_output("reproducible", environment())
    print(f"\nrandom real-shape CAT-Seg ViT-B/16, one 640² image ({ref.size} pixels); against the reproducible arithmetic:")
    if {"avx2", "fma"} <= flags:
        other, _ = core_output("reproducible", environment(gemm_kernel="avx2"))
        print(f"  reproducible AVX2+FMA kernel: probabilities bit-identical {np.array_equal(other, probabilities)}")
    for kernel in usable:
        _, got = core_output("openblas", environment(coretype=kernel))
        print(f"  openblas {kernel:12} labels differ on {int((got != ref).sum())} pixels "
              f"({(got == ref).mean() * 100:.4f}% agree)")
