#!/bin/sh
# Swift segmentation core vs the PyTorch reference on this machine (see core_vs_torch.py).
# PYTHON defaults to the fixture venv of scripts/fixtures/README.md.
set -eu
cd "$(dirname "$0")/../.."
exec "${PYTHON:-/tmp/venv/bin/python}" scripts/bench/core_vs_torch.py "$@"
