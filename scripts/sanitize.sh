#!/usr/bin/env bash
# The test suite under AddressSanitizer (kept in
# .build-sanitize so it never disturbs the normal .build). Any sanitizer report stops the run
# (halt_on_error) and fails the script.
#
#   scripts/sanitize.sh                 every suite
#   scripts/sanitize.sh '<filter>'      only tests matching a `swift test --filter` regex
#   SANITIZE_SKIP=<regex> scripts/sanitize.sh   skip tests matching a regex (e.g. slow model suites)
#
# Leak detection is off: the Swift runtime keeps metadata caches for the life of the process,
# which LeakSanitizer would report on every run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=.build-sanitize
swift build --build-tests --build-path "$build" --sanitize=address
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:${ASAN_OPTIONS:-}"

args=(--skip-build --build-path "$build" --sanitize=address)
[ -z "${1:-}" ] || args+=(--filter "$1")
# allocatorSettingsApplyOnGlibc checks that mallopt takes effect; under ASan malloc is ASan's own
# allocator and mallopt reports failure, which says nothing about the code.
skip="allocatorSettingsApplyOnGlibc${SANITIZE_SKIP:+|$SANITIZE_SKIP}"
args+=(--skip "$skip")
swift test "${args[@]}"
