#!/usr/bin/env bash
# Regression gate on the demo data: a change that alters any count fails.
# Usage: scripts/demo-gate.sh [--update]   (--update rewrites the committed baselines)
set -euo pipefail
cd "$(dirname "$0")/.."

# `ovseg check` arguments per demo run (results file name without .ovseg.json); runs not listed
# use "$default_check_args". The scoring runs are deterministic and stay --exact; a model run whose
# floating-point results may differ in the last bits between CPUs can use --numeric-noise
# (optionally with --min-label-agreement PERCENT and --max-metric-change POINTS), e.g.
#   [sgseg-demo]="--numeric-noise"
default_check_args="--exact"
# Limits for the demo model with OpenBLAS arithmetic against the reproducible baseline; the
# smallest class of the demo (clutter, about 25 000 pixels in the union) moves by 0.004 points
# per flipped pixel.
openblas_limits="--min-label-agreement 99.99 --max-metric-change 0.05"
declare -A check_args=(
)

swift build --product ovseg >/dev/null
binary="$(swift build --show-bin-path)/ovseg"
baselines=Reports/demo/results
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && OVSEG_FIXED_DATE=2026-01-01T00:00:00Z "$binary" demo --out demo >/dev/null)
status=0
for run in "$work"/demo/results/*.ovseg.json; do
    name="$(basename "$run")"
    if [ "${1:-}" = "--update" ]; then
        mkdir -p "$baselines"
        cp "$run" "$baselines/$name"
        echo "updated $baselines/$name"
        continue
    fi
    if [ ! -f "$baselines/$name" ]; then
        echo "demo gate: no baseline $baselines/$name (run scripts/demo-gate.sh --update)" >&2
        status=2
        continue
    fi
    read -r -a args <<<"${check_args[${name%.ovseg.json}]:-$default_check_args}"
    "$binary" check "${args[@]}" --baseline "$baselines/$name" "$run" || status=1
done
# The demo's synthetic suite (docs/suites.md §6): every cell against its baseline in
# Reports/demo/suite-results/<method>/<dataset>.ovseg.json.
suite_baselines=Reports/demo/suite-results
for run in "$work"/demo/suite/run/cells/*/*.ovseg.json; do
    name="$(basename "$(dirname "$run")")/$(basename "$run")"
    if [ "${1:-}" = "--update" ]; then
        mkdir -p "$(dirname "$suite_baselines/$name")"
        cp "$run" "$suite_baselines/$name"
        echo "updated $suite_baselines/$name"
        continue
    fi
    if [ ! -f "$suite_baselines/$name" ]; then
        echo "demo gate: no baseline $suite_baselines/$name (run scripts/demo-gate.sh --update)" >&2
        status=2
        continue
    fi
    "$binary" check --exact --baseline "$suite_baselines/$name" "$run" || status=1
done
# The demo's model run uses the reproducible arithmetic, whose bits are the same on every x86-64
# CPU, so --exact holds for it like for the scoring runs. The same model with OpenBLAS's kernels
# differs in the last bits from CPU to CPU (docs/reproducibility.md): it must stay within numerical
# noise of the same baseline.
if [ "${1:-}" != "--update" ]; then
    openblas_run="$work/sgseg-demo-openblas.ovseg.json"
    "$binary" eval --vocab potsdam --split dlrsd-overlap --data "$work/demo" --checkpoint Demo/sgseg-demo.safetensors \
        --arithmetic openblas --quiet -o "$openblas_run"
    "$binary" check --numeric-noise $openblas_limits --baseline "$baselines/sgseg-demo.ovseg.json" "$openblas_run" \
        || status=1
fi
# The demo's report is deterministic too: it must equal the committed one in Reports/demo/ (the
# report files, the charts and the full-resolution tiles in qualitative/; results/ is checked above).
report_dir=Reports/demo
if [ "${1:-}" = "--update" ]; then
    rm -rf "$report_dir/qualitative"
    cp -R "$work"/demo/report/. "$report_dir/"
    echo "updated the report in $report_dir"
elif ! diff -rq --exclude=results --exclude=suite-results "$work/demo/report" "$report_dir" >&2; then
    echo "demo gate: $report_dir differs from the demo's report (run scripts/demo-gate.sh --update)" >&2
    status=1
fi
if [ "$status" -eq 0 ] && [ "${1:-}" != "--update" ]; then
    echo "demo gate: all runs and the report match the committed baselines"
fi
exit "$status"
