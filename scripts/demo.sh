#!/usr/bin/env bash
# The README's first command: build ovseg and run the demo on generated sample data.
# Arguments are passed to `ovseg demo` (e.g. --out DIR, --images N).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product ovseg
exec .build/release/ovseg demo "$@"
