#!/usr/bin/env bash
# Peak resident memory per pixel of `ovseg report --gt` and `ovseg eval` (release build), from
# the ru_maxrss of each run (wait4): each command runs on a SMALL² and a LARGE² one-tile demo
# dataset, and the figure is (RSS(LARGE) − RSS(SMALL)) / (LARGE² − SMALL²) bytes per pixel, which
# removes the fixed cost (binary, model, vocabulary). `ovseg score` is shown for comparison: it
# streams label files band by band (docs/label-files.md §2), so its slope is near zero.
# Usage: scripts/bench/pixel_memory.sh [LARGE] [SMALL] [EVAL_LARGE]
#   defaults: 4096 1024 2048 (eval runs the demo segmenter over the whole tile, so it is smaller)
set -euo pipefail
cd "$(dirname "$0")/../.."
large="${1:-4096}"
small="${2:-1024}"
eval_large="${3:-2048}"
swift build -c release --product ovseg >/dev/null
ovseg="$(swift build -c release --show-bin-path)/ovseg"
checkpoint="Demo/sgseg-demo.safetensors"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Peak RSS in bytes of one command (stdout/stderr discarded; a failure stops the script).
peak() {
    python3 - "$@" <<'PY'
import os, subprocess, sys
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(process.pid, 0)
if os.waitstatus_to_exitcode(status) != 0:
    sys.stderr.write(process.stderr.read().decode())
    sys.exit(f"failed: {' '.join(sys.argv[1:])}")
print(usage.ru_maxrss * 1024)
PY
}

dataset() {  # SIZE → a demo dataset with one SIZE² tile in $work/d$SIZE
    [ -d "$work/d$1" ] || "$ovseg" demo --out "$work/d$1" --images 1 --size "$1" --skip-model >/dev/null
}

measure() {  # NAME SIZE → peak RSS of NAME on the SIZE² dataset
    local d="$work/d$2"
    case "$1" in
        score) peak "$ovseg" score --vocab potsdam --gt "$d/gt" --pred "$d/predictions/boundary-drift" -o "$work/s.json" --quiet --jobs 1 ;;
        report) peak "$ovseg" report "$d/results/boundary-drift.ovseg.json" --out "$work/r$2" --gt "$d/gt" \
                    --pred "boundary-drift=$d/predictions/boundary-drift" ;;
        eval) peak "$ovseg" eval --vocab potsdam --data "$d" --checkpoint "$checkpoint" --jobs 1 \
                  --save-predictions "$work/p$2" -o "$work/e$2.json" --quiet ;;
    esac
}

printf '%-8s %12s %12s %14s %14s %10s\n' command small large "rss small MB" "rss large MB" "B/pixel"
for command in score report eval; do
    big=$large
    [ "$command" = eval ] && big=$eval_large
    dataset "$small"
    dataset "$big"
    a=$(measure "$command" "$small")
    b=$(measure "$command" "$big")
    python3 -c "
s, l, a, b = $small, $big, $a, $b
print(f'{\"$command\":<8} {s:>10}² {l:>10}² {a / 1e6:>14.1f} {b / 1e6:>14.1f} {(b - a) / (l * l - s * s):>10.1f}')"
done
