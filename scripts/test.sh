#!/usr/bin/env bash
# The README's second command: the unit and integration tests, then the regression gate that
# re-runs the demo and requires its counts (and its report) to equal the committed ones.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --build-tests
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
swift test --skip-build 2>&1 | tee "$log"
bash scripts/demo-gate.sh
passed="$(sed -n 's/.*Test run with \([0-9][0-9]*\) tests.* passed.*/\1/p' "$log" | tail -1)"
echo "tests: ${passed:-0} passed, 0 failed"
