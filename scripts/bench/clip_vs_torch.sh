#!/bin/sh
# Swift CLIP encoders vs PyTorch on this machine (see clip_vs_torch.py).
# Runs $PYTHON, else python3 on PATH; that Python needs torch, transformers,
# safetensors and numpy, which the reference package's install brings
# (pip install -e 'reference[bench]', scripts/fixtures/README.md).
set -eu
cd "$(dirname "$0")/../.."
python="${PYTHON:-python3}"
if ! "$python" -c "import numpy, safetensors, torch, transformers" 2>/dev/null; then
    echo "$0: $python cannot import torch, transformers, safetensors and numpy; install them with" >&2
    echo "  $python -m pip install -c reference/constraints.txt -e 'reference[bench]'" >&2
    echo "or set PYTHON to a Python that has them (see scripts/fixtures/README.md)." >&2
    exit 2
fi
exec "$python" scripts/bench/clip_vs_torch.py "$@"
