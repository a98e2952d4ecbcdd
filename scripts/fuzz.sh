#!/usr/bin/env bash
# Builds the libFuzzer harnesses in Fuzz/ (a separate package: the main build and CI never see them),
# seeds each from the committed fixtures and runs it for SECONDS (default 600) with
# -rss_limit_mb=2048 -timeout=10, then prints per harness: executions, coverage, crashes.
# Crash, timeout and OOM inputs are minimised into Fuzz/.build/findings/<harness>/; the corpus
# (Fuzz/.build/fuzz-work/corpus/<harness>) carries over from run to run.
#
#   scripts/fuzz.sh [SECONDS] [HARNESS...]     e.g. scripts/fuzz.sh 60 FuzzJSON
#   FUZZ_JOBS=2 scripts/fuzz.sh 600            runs two harnesses at a time
#   FUZZ_SKIP_BUILD=1 scripts/fuzz.sh ...      reuses the last build
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
all=(FuzzLabelMap FuzzRasterImage FuzzSafeTensors FuzzTorchCheckpoint FuzzJSON)
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")
jobs="${FUZZ_JOBS:-1}"
work="Fuzz/.build/fuzz-work"
bin="Fuzz/.build/release"

if [ -z "${FUZZ_SKIP_BUILD:-}" ]; then
  for h in "${harnesses[@]}"; do
    # -sanitize=fuzzer,address in one flag (two -sanitize= flags do not combine); C shims get
    # coverage too. lld: gold fails on the sanitizer link with an internal error.
    swift build -c release --package-path Fuzz --build-path Fuzz/.build --product "$h" \
      -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld
  done
fi

# Seeds: the fixtures each reader is tested with (files over 300 kB left out to keep runs fast).
seed() {
  local dir="$1"; shift
  mkdir -p "$dir"
  local f
  for f in "$@"; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 300000 ] && cp "$f" "$dir/$(echo "$f" | tr / _)"
  done
  return 0
}
seeds_for() {
  local dir="$work/seeds/$1"
  rm -rf "$dir"
  case "$1" in
    FuzzLabelMap)
      seed "$dir" Tests/LabelMapsTests/Fixtures/*.png Tests/LabelMapsTests/Fixtures/tiff/*.tif \
        Tests/LabelMapsTests/Fixtures/tiff/*.png Tests/LabelMapsTests/Fixtures/gray.jpg ;;
    FuzzRasterImage)
      seed "$dir" Tests/LabelMapsTests/Fixtures/*.png Tests/LabelMapsTests/Fixtures/*.jpg \
        Tests/LabelMapsTests/Fixtures/tiff/*.tif ;;
    FuzzSafeTensors)
      seed "$dir" $(find Tests -name '*.safetensors' | sort) ;;
    FuzzTorchCheckpoint)
      seed "$dir" Tests/TorchCheckpointTests/Fixtures/*.pth Tests/CheckpointConversionTests/Fixtures/*.pth ;;
    FuzzJSON)
      seed "$dir" Vocabularies/*.json Reports/demo/results/*.json Tests/ReportsTests/Fixtures/*.json \
        Tests/SafeTensorsTests/Fixtures/golden.json Tests/TorchCheckpointTests/Fixtures/basic.json ;;
  esac
  echo "$dir"
}

run_one() {
  # Artifacts go to a folder per run, so the counts below are this run's findings only.
  local h="$1" corpus="$work/corpus/$h" artifacts="$work/artifacts/$h/$(date -u +%Y%m%dT%H%M%S)" log="$work/logs/$h.log"
  local seeds
  seeds="$(seeds_for "$h")"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  # Fork mode with ignore_* keeps fuzzing after a finding, so one run reports all it found.
  "$bin/$h" "$corpus" "$seeds" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$artifacts/" \
    >"$log" 2>&1 || true
  local findings=("$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* "$artifacts"/leak-*)
  local f count=0
  mkdir -p "Fuzz/.build/findings/$h"
  for f in "${findings[@]}"; do
    [ -f "$f" ] || continue
    count=$((count + 1))
    "$bin/$h" -minimize_crash=1 -max_total_time=120 -timeout=10 -rss_limit_mb=2048 \
      -exact_artifact_path="Fuzz/.build/findings/$h/$(basename "$f").min" "$f" >>"$log.minimize" 2>&1 || true
  done
  local last
  last="$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)"
  echo "$h: seconds=$seconds executions=$(echo "$last" | sed -n 's/^#\([0-9]*\):.*/\1/p')" \
    "coverage=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')" \
    "corpus=$(ls "$corpus" | wc -l) findings=$count (log: $log)"
}

mkdir -p "$work"
running=0
for h in "${harnesses[@]}"; do
  run_one "$h" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait
