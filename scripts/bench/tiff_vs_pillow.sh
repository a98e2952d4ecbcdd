#!/usr/bin/env bash
# Times `ovseg score` (release build) on one RGB colour-coded LZW TIFF label pair in the
# ISPRS Potsdam colours against Pillow + numpy doing the same (decode, colours → ids, bincount),
# in the same run, at 2000×2000 and 6000×6000 (Potsdam's tile size): time (best of 3) and peak
# RSS of each, and the ratio. ovseg streams TIFF band by band (docs/label-files.md §2), so its
# peak RSS should not grow with the tile; Pillow holds both images and their id maps.
# Needs: python3 with numpy, pillow, tifffile, imagecodecs (PYTHON=/path/to/python to choose).
# Usage: scripts/bench/tiff_vs_pillow.sh [SIZE...]   (default: 2000 6000)
set -euo pipefail
cd "$(dirname "$0")/../.."
python="${PYTHON:-python3}"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(2000 6000)
swift build -c release --product ovseg >/dev/null
ovseg="$(swift build -c release --show-bin-path)/ovseg"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

measure() {  # prints "seconds peak_kib" of the command, keeping its stdout in $work/out
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out"
    cat "$work/time"
}

echo "$(nproc) cores; $("$python" -c 'import PIL, numpy; print("Pillow", PIL.__version__, "numpy", numpy.__version__)')"
for size in "${sizes[@]}"; do
    data="$work/$size"
    "$python" scripts/bench/tiff_vs_pillow.py generate "$data" "$size"
    best_s=999999; best_p=999999; mem_s=0; mem_p=0
    for round in 1 2 3; do
        read -r s_time s_mem < <(measure "$ovseg" score --vocab potsdam --gt "$data/gt" --pred "$data/pred" \
            -o "$data/run.json" --quiet --no-progress)
        ovseg_miou="$("$python" -c "import json;print(json.load(open('$data/run.json'))['display']['miou'])")"
        read -r p_time p_mem < <(measure "$python" scripts/bench/tiff_vs_pillow.py score "$data/gt/tile.tif" "$data/pred/tile.tif")
        python_miou="$(cat "$work/out")"
        best_s="$("$python" -c "print(min($best_s, $s_time))")"
        best_p="$("$python" -c "print(min($best_p, $p_time))")"
        mem_s="$s_mem"; mem_p="$p_mem"
    done
    echo "${size}×${size} RGB LZW pair ($(du -k "$data/gt/tile.tif" | cut -f1) KiB + $(du -k "$data/pred/tile.tif" | cut -f1) KiB):"
    echo "  mIoU: ovseg $ovseg_miou, Pillow+numpy $python_miou $([ "$ovseg_miou" = "$python_miou" ] && echo '(agree)' || echo '(DISAGREE)')"
    echo "  ovseg score:   ${best_s} s (best of 3), peak RSS ${mem_s} KiB"
    echo "  Pillow+numpy:  ${best_p} s (best of 3), peak RSS ${mem_p} KiB"
    "$python" -c "print('  speed-up: %.2fx, memory ratio: %.1fx' % ($best_p / max($best_s, 0.001), $mem_p / $mem_s))"
    rm -rf "$data"
done
