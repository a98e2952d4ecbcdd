#!/bin/sh
# Swift CLIP encoders vs PyTorch on this machine (see clip_vs_torch.py).
# PYTHON defaults to the fixture venv of scripts/fixtures/README.md.
set -eu
cd "$(dirname "$0")/../.."
exec "${PYTHON:-/tmp/venv/bin/python}" scripts/bench/clip_vs_torch.py "$@"
