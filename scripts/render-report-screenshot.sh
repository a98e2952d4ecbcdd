#!/usr/bin/env bash
# Renders an HTML report in headless Chromium (Debian: apt-get install -y chromium) to a PNG.
# Usage: scripts/render-report-screenshot.sh [REPORT.html] [OUT.png] [WIDTHxHEIGHT]
#   defaults: Reports/demo/report.html, ovseg-report.png in the system temp folder, 1200x7000
# The report has no scripts and its Content-Security-Policy forbids scripts and network fetches.
set -euo pipefail
cd "$(dirname "$0")/.."
report="${1:-Reports/demo/report.html}"
out="${2:-${TMPDIR:-/tmp}/ovseg-report.png}"
size="${3:-1200x7000}"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
    echo "render-report-screenshot: chromium not found (apt-get install -y chromium)" >&2
    exit 2
fi
if [ ! -f "$report" ]; then
    echo "render-report-screenshot: no report at $report (run ovseg demo or ovseg report first)" >&2
    exit 2
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
rm -f "$out"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" --no-first-run \
    --window-size="${size/x/,}" --screenshot="$out" "file://$(realpath "$report")" >"$profile/log" 2>&1 || true
if [ ! -s "$out" ]; then
    echo "render-report-screenshot: chromium wrote no screenshot; its output:" >&2
    grep -v dbus "$profile/log" >&2 || true
    exit 1
fi
echo "wrote $out"
