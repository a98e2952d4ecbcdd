#!/usr/bin/env bash
# Times `ovseg score` against the equivalent Python loop (PIL + numpy bincount) on the same
# generated dataset, in the same run, and prints the ratio and peak memory. Also scores a dataset
# four times larger to show that ovseg's resident memory does not grow with the image count.
# Needs: python3 with numpy and pillow (pip install numpy pillow).
# Usage: scripts/bench/score_vs_python.sh [IMAGES] [SIZE]
set -euo pipefail
cd "$(dirname "$0")/../.."
images="${1:-200}"
size="${2:-512}"
swift build -c release --product ovseg >/dev/null
ovseg="$(swift build -c release --show-bin-path)/ovseg"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$ovseg" demo --out "$work/small" --images "$images" --size "$size" >/dev/null 2>&1
"$ovseg" demo --out "$work/large" --images $((images * 4)) --size "$size" >/dev/null 2>&1
gt="$work/small/gt"
pred="$work/small/predictions/class-confusion"

measure() {  # prints "seconds peak_kib" of the command, keeping its stdout in $work/out
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out"
    cat "$work/time"
}

best_swift=999999; best_python=999999
for round in 1 2 3; do
    read -r s_time s_mem < <(measure "$ovseg" score --vocab potsdam --gt "$gt" --pred "$pred" -o "$work/run.json" --quiet --no-progress)
    swift_miou="$(python3 -c "import json;print(json.load(open('$work/run.json'))['display']['miou'])")"
    read -r p_time p_mem < <(measure python3 scripts/bench/score_python_equivalent.py "$gt" "$pred")
    python_miou="$(cat "$work/out")"
    best_swift="$(python3 -c "print(min($best_swift, $s_time))")"
    best_python="$(python3 -c "print(min($best_python, $p_time))")"
done
read -r l_time l_mem < <(measure "$ovseg" score --vocab potsdam --gt "$work/large/gt" --pred "$work/large/predictions/class-confusion" -o "$work/large.json" --quiet --no-progress)

echo "dataset: $images images of ${size}×${size} (RGB colour-coded ground truth, palette predictions), $(nproc) cores"
echo "mIoU: ovseg $swift_miou, python $python_miou $([ "$swift_miou" = "$python_miou" ] && echo '(agree)' || echo '(DISAGREE)')"
echo "ovseg score:   ${best_swift} s (best of 3), peak RSS ${s_mem} KiB"
echo "python loop:   ${best_python} s (best of 3), peak RSS ${p_mem} KiB"
python3 -c "print('speed-up: %.2fx' % ($best_python / $best_swift))"
echo "ovseg on $((images * 4)) images: ${l_time} s, peak RSS ${l_mem} KiB (vs ${s_mem} KiB on $images)"
