#!/usr/bin/env bash
# Memory at scale (docs/robustness.md, "Memory at scale"): peak resident memory of `ovseg score`
# on N synthetic 64×64 pairs (iSAID vocabulary) at two sizes and the slope per image; the size
# of the results file and the time and memory of reading it back (`check --exact`, `report`);
# `merge` of the same data scored as K shards, with the merged counts asserted equal to the
# unsharded run; and reading a large results file (the run's images repeated under new ids).
# Needs python3 with numpy and pillow (PYTHON=/path/to/python to choose one).
# Usage: scripts/bench/scale.sh [SMALL] [LARGE] [SHARDS] [BIG]
#   defaults 1000 10000 64 150000 (BIG: images in the large results file, a multiple of LARGE)
#   OVSEG=/path/to/ovseg measures another build (e.g. an older one) on the same data.
set -euo pipefail
cd "$(dirname "$0")/../.."
small="${1:-1000}"
large="${2:-10000}"
shards="${3:-64}"
big="${4:-150000}"
python="${PYTHON:-python3}"
if [ -z "${OVSEG:-}" ]; then
    swift build -c release --product ovseg >/dev/null
    OVSEG="$(swift build -c release --show-bin-path)/ovseg"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

measure() {  # runs the command; prints "seconds peak_MiB"
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
        echo "failed: $*" >&2; cat "$work/err" >&2; exit 1; }
    awk '{ printf "%s %.1f\n", $1, $2 / 1024 }' "$work/time"
}
score() {  # DATA OUT [extra options]: the command line of `ovseg score`
    local data="$1" out="$2"; shift 2
    echo "$OVSEG" score --vocab isaid --gt "$data/gt" --pred "$data/pred" -o "$out" --quiet --no-progress "$@"
}
mib() { "$python" -c "import os; print('%.1f' % (os.path.getsize('$1') / 2**20))"; }

"$python" scripts/bench/scale_data.py pairs "$work/small" "$small"
"$python" scripts/bench/scale_data.py pairs "$work/large" "$large"

read -r s_time s_mem < <(measure $(score "$work/small" "$work/small.json"))
read -r l_time l_mem < <(measure $(score "$work/large" "$work/large.json"))
slope="$("$python" -c "print('%.2f' % (($l_mem - $s_mem) * 1024 / ($large - $small)))")"
read -r c_time c_mem < <(measure "$OVSEG" check --baseline "$work/large.json" "$work/large.json" --exact)
read -r r_time r_mem < <(measure "$OVSEG" report "$work/large.json" -o "$work/report" --bootstrap 0)

for k in $(seq 1 "$shards"); do
    $(score "$work/large" "$work/shard-$k.json" --shard "$k/$shards")
done
read -r m_time m_mem < <(measure "$OVSEG" merge "$work"/shard-*.json -o "$work/merged.json" --quiet)
"$python" scripts/bench/scale_data.py same "$work/large.json" "$work/merged.json" >/dev/null

"$python" scripts/bench/scale_data.py inflate "$work/large.json" "$big" "$work/big.json"
read -r b_time b_mem < <(measure "$OVSEG" check --baseline "$work/big.json" "$work/big.json" --exact)
read -r br_time br_mem < <(measure "$OVSEG" report "$work/big.json" -o "$work/big-report" --bootstrap 0)

echo "ovseg: $OVSEG ($(nproc) cores); iSAID vocabulary (16 classes), 64×64 gray pairs"
printf '%-52s %9s %10s\n' "step" "seconds" "peak MiB"
printf '%-52s %9s %10s\n' "score, $small pairs" "$s_time" "$s_mem"
printf '%-52s %9s %10s\n' "score, $large pairs" "$l_time" "$l_mem"
echo "slope: $slope KiB per additional image (target: at most 2)"
echo "results file of $large images: $(mib "$work/large.json") MiB"
printf '%-52s %9s %10s\n' "check --exact, $large-image file read twice" "$c_time" "$c_mem"
printf '%-52s %9s %10s\n' "report --bootstrap 0, $large-image file" "$r_time" "$r_mem"
printf '%-52s %9s %10s\n' "merge of $shards shards ($large images; counts equal)" "$m_time" "$m_mem"
echo "large results file: $big images, $(mib "$work/big.json") MiB"
printf '%-52s %9s %10s\n' "check --exact, $big-image file read twice" "$b_time" "$b_mem"
printf '%-52s %9s %10s\n' "report --bootstrap 0, $big-image file" "$br_time" "$br_mem"
