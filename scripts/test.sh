#!/usr/bin/env bash
# The README's second command: the unit and integration tests, then the regression gate that
# re-runs the demo and requires its counts to equal the committed results exactly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
bash scripts/demo-gate.sh
