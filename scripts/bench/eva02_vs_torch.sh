#!/bin/sh
# Swift EVA02 dense pass vs the PyTorch reference on this machine (see eva02_vs_torch.py).
# Runs $PYTHON, else python3 on PATH; that Python needs the reference package
# (pip install -e 'reference[bench]', scripts/fixtures/README.md).
set -eu
cd "$(dirname "$0")/../.."
python="${PYTHON:-python3}"
if ! "$python" -c "import ovseg_reference" 2>/dev/null; then
    echo "$0: $python cannot import ovseg_reference; install it with" >&2
    echo "  $python -m pip install -c reference/constraints.txt -e 'reference[bench]'" >&2
    echo "or set PYTHON to a Python that has it (see scripts/fixtures/README.md)." >&2
    exit 2
fi
exec "$python" scripts/bench/eva02_vs_torch.py "$@"
