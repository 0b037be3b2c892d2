#!/usr/bin/env bash
# PyTorch vs veille on the same model, inputs, shapes and threads, one after the other on an idle
# machine. PyTorch comes from PyPI into a venv (benches/requirements-pytorch.txt); weights and
# tokenizer from models/fetch.
#   benches/side_by_side.sh [CASES]      # default 1x128,8x128,32x128,8x512
set -euo pipefail
cd "$(dirname "$0")/.."
CASES="${1:-1x128,8x128,32x128,8x512}"
VENV="${VEILLE_TORCH_VENV:-$HOME/.cache/veille/torch-venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r benches/requirements-pytorch.txt
fi
models/fetch >/dev/null
cargo build --release -q
echo "== PyTorch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)'), f32, 2 threads"
"$VENV/bin/python" benches/pytorch_bench.py --threads 2 --cases "$CASES"
echo "== veille (candle), 2 threads"
RAYON_NUM_THREADS=2 target/release/veille bench --fixed "$CASES" --precision f32,int8,q8_0,q4_0
