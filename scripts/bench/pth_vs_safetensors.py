#!/usr/bin/env python3
"""Load time and peak memory of a real-size `.pth` against the same weights as safetensors.

Builds the released SGSeg shape (EVA02-CLIP-L/14-336 towers + head, `SGSegConfig()` of
reference/ovseg_reference) with random weights, saves it in /tmp as a detectron2
`model_final.pth` ({"model": state_dict, "iteration": …}, F32) and as safetensors (the same
tensors, F32), then runs `CheckpointLoadBench` once per format in its own process (each tensor
read into a Float32 Tensor, peak resident memory from getrusage) and `ovseg convert` on the
.pth. The large files stay in /tmp (--keep to keep them); nothing is written in the repository.

Run after `swift build -c release --product CheckpointLoadBench` and `… --product ovseg`:
    python scripts/bench/pth_vs_safetensors.py [--repeat 3] [--bin DIR]   (reference package installed: reference/README.md)

Measured on the 2-core development machine (shared, load average ≈ 7), 801 tensors, 436.5 M
values, 1746 MB each: .pth 2.16 s, safetensors 2.25 s (best of 3), peak RSS 3353 and 3354 MB (the
float32 tensors plus the mapped file's pages); `ovseg convert` 17.1 s wall (SHA-256 of the
source, conversion, writing 1746 MB with fsync).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(command):
    started = time.perf_counter()
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return out.stdout, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default="/tmp/ovseg-pth-bench")
    parser.add_argument("--bin", default=str(ROOT / ".build" / "release"))
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    from safetensors.torch import save_file
    from ovseg_reference.model import SGSegConfig, SGSegModel

    folder = pathlib.Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    pth, st = folder / "model_final.pth", folder / "model_final.safetensors"
    torch.manual_seed(0)
    model = SGSegModel(SGSegConfig())
    sd = {k: v.detach().float().contiguous() for k, v in model.state_dict().items() if v.is_floating_point()}
    torch.save({"model": sd, "iteration": 1}, pth)
    save_file(sd, str(st))
    values = sum(v.numel() for v in sd.values())
    print(f"{len(sd)} tensors, {values / 1e6:.1f} M values; .pth {pth.stat().st_size / 1e6:.0f} MB, "
          f"safetensors {st.stat().st_size / 1e6:.0f} MB")
    bench = os.path.join(args.bin, "CheckpointLoadBench")
    results = {"pth": [], "safetensors": []}
    for _ in range(args.repeat):
        for fmt, path in (("pth", pth), ("safetensors", st)):
            out, _ = run([bench, fmt, str(path)])
            results[fmt].append(json.loads(out))
    for fmt, rows in results.items():
        best = min(r["seconds"] for r in rows)
        peak = max(r["peak_rss_mb"] for r in rows)
        print(f"{fmt:12s} load {best:.2f} s (best of {len(rows)}), peak RSS {peak:.0f} MB, {rows[0]['tensors']} tensors")
    out_file = folder / "converted.safetensors"
    _, seconds = run([os.path.join(args.bin, "ovseg"), "convert", str(pth), "-o", str(out_file)])
    print(f"ovseg convert  {seconds:.2f} s (wall, including hashing and writing {out_file.stat().st_size / 1e6:.0f} MB)")
    if not args.keep:
        for p in (pth, st, out_file):
            p.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
