#!/usr/bin/env bash
# The CUDA path, checked on a machine with an NVIDIA GPU and the CUDA toolkit (nvcc) installed.
# Needs CUDA 12 for an H100 (candle-kernels asks for compute_90a; CUDA 11.8 builds with
# CUDA_COMPUTE_CAP=80). Never run on this project's CPU machines: until it has been run, the GPU figures in README.md
# say "unmeasured".
#   benches/gpu_check.sh [ARTICLES_DIR]    # default: corpora/annotated copied 10 times (~2,900 articles)
# Prints: the build, a GPU-vs-CPU comparison of analyze exports, the encoder at batch 32/128/512 x 128 tokens, and
# `veille bench --e2e` over a few thousand articles. Bounded by `timeout` so that it fits a
# 15-minute slot.
set -euo pipefail
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
models/fetch >/dev/null

echo "== build (--features cuda, release)"
timeout 420 cargo build --release --features cuda -q

echo "== analyze corpora/articles on the GPU (f32, so that it can be compared) and on the CPU"
G="$(mktemp -d)"
timeout 180 target/release/veille analyze corpora/articles --db "$G/gpu.db" --device cuda --precision f32 | tail -1
timeout 180 target/release/veille analyze corpora/articles --db "$G/cpu.db" --device cpu --precision f32 | tail -1
target/release/veille export --db "$G/gpu.db" --out "$G/gpu.jsonl"
target/release/veille export --db "$G/cpu.db" --out "$G/cpu.jsonl"
if cmp -s "$G/gpu.jsonl" "$G/cpu.jsonl"; then echo "GPU export identical to CPU export"; else echo "GPU export differs from CPU export: $(diff "$G/gpu.jsonl" "$G/cpu.jsonl" | grep -c '^<') lines"; fi

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
