#!/bin/sh
# Swift EVA02 dense pass vs the PyTorch reference on this machine (see eva02_vs_torch.py).
# PYTHON defaults to the fixture venv of scripts/fixtures/README.md.
set -eu
cd "$(dirname "$0")/../.."
exec "${PYTHON:-/tmp/venv/bin/python}" scripts/bench/eva02_vs_torch.py "$@"
