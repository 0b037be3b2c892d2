#!/usr/bin/env bash
# The CUDA path, checked on a machine with an NVIDIA GPU and the CUDA toolkit (nvcc) installed.
# Never run on this project's CPU machines: until it has been run, the GPU figures in README.md
# say "unmeasured".
#   benches/gpu_check.sh [ARTICLES_DIR]    # default: corpora/annotated copied 10 times (~2,900 articles)
# Prints: the build, the model tests on cuda, the encoder at batch 32/128/512 x 128 tokens, and
# `veille bench --e2e` over a few thousand articles. Bounded by `timeout` so that it fits a
# 15-minute slot.
set -euo pipefail
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
models/fetch >/dev/null

echo "== build (--features cuda, release)"
timeout 420 cargo build --release --features cuda -q

echo "== model tests on the GPU (VEILLE_TEST_DEVICE=cuda)"
VEILLE_TEST_DEVICE=cuda timeout 180 cargo test --release --features cuda -q --test model_e5 --test stream_analyze 2>&1 | tail -15 || echo "model tests FAILED or timed out"

echo "== encoder, f16 and f32, batch 32/128/512 x 128 tokens"
timeout 180 target/release/veille bench --device cuda --fixed 32x128,128x128,512x128 --precision f16,f32 --runs 5 || echo "encoder bench FAILED or timed out"

DIR="${1:-}"
if [ -z "$DIR" ]; then
    # Distinct texts: each copy gets its own first line, so that no two documents share an id.
    DIR="$(mktemp -d)"
    for i in $(seq 1 10); do
        mkdir -p "$DIR/copy$i"
        for f in corpora/annotated/*/*.json; do
            python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("copy "+sys.argv[2]); print(d["text"])' "$f" "$i" > "$DIR/copy$i/$(basename "$f" .json).txt"
        done
    done
fi
echo "== end to end over $(find "$DIR" -type f | wc -l) files, batch tokens 8192 and 32768"
for bt in 8192 32768; do
    timeout 180 target/release/veille bench --device cuda --e2e "$DIR" --batch-tokens "$bt" || echo "e2e FAILED or timed out"
done
