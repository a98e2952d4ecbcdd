#!/usr/bin/env bash
# Times `ovseg inspect` against `ovseg score` on the same generated folders, in the same run, and
# prints the ratio: inspect reads every file once, like score, so it should take about as long.
# The folders: IMAGES LoveDA-style label files of SIZE×SIZE (gray reduce_zero_label ground truth,
# palette predictions), written by Python's standard library (no packages needed).
# Usage: scripts/bench/inspect_vs_score.sh [IMAGES] [SIZE]
set -euo pipefail
cd "$(dirname "$0")/../.."
images="${1:-10000}"
size="${2:-64}"
swift build -c release --product ovseg >/dev/null
ovseg="$(swift build -c release --show-bin-path)/ovseg"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$work" "$images" "$size" <<'PY'
import os, struct, sys, zlib

root, images, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
PALETTE = bytes([255, 255, 255, 255, 0, 0, 255, 255, 0, 0, 0, 255, 159, 129, 183, 0, 255, 0, 255, 195, 128])

def png(path, rows, color_type, palette=None):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", size, size, 8, color_type, 0, 0, 0)
    raw = b"".join(b"\0" + bytes(row) for row in rows)
    body = chunk(b"IHDR", header) + (chunk(b"PLTE", palette) if palette else b"") + chunk(b"IDAT", zlib.compress(raw, 6))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b""))

for folder in ("gt", "pred"):
    os.makedirs(os.path.join(root, folder), exist_ok=True)
for image in range(images):
    truth = [[(x // 9 + y // 13 + image) % 7 for x in range(size)] for y in range(size)]
    gt = [[0 if x < 3 and y < 3 else c + 1 for x, c in enumerate(row)] for y, row in enumerate(truth)]
    pred = [[(c + 2) % 7 if (y * size + x) * 2654435761 % 5 == 0 else c for x, c in enumerate(row)] for y, row in enumerate(truth)]
    png(os.path.join(root, "gt", f"tile_{image:05d}.png"), gt, 0)
    png(os.path.join(root, "pred", f"tile_{image:05d}.png"), pred, 3, PALETTE)
PY

seconds() {  # wall-clock seconds of the command
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    python3 -c "print(round($end - $start, 3))"
}

best_inspect=999999; best_score=999999
for round in 1 2 3; do
    s=$(seconds "$ovseg" score --vocab loveda --gt "$work/gt" --pred "$work/pred" -o "$work/run.ovseg.json" --quiet --no-progress)
    i=$(seconds "$ovseg" inspect --vocab loveda --gt "$work/gt" --pred "$work/pred")
    best_score=$(python3 -c "print(min($best_score, $s))")
    best_inspect=$(python3 -c "print(min($best_inspect, $i))")
done
echo "dataset: $images pairs of ${size}×${size} (gray ground truth, palette predictions), $(nproc) cores"
echo "ovseg score:   ${best_score} s (best of 3)"
echo "ovseg inspect: ${best_inspect} s (best of 3)"
python3 -c "print('inspect / score: %.2f' % ($best_inspect / $best_score))"
