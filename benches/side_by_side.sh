#!/usr/bin/env bash
# PyTorch, ONNX Runtime and veille on the same model, inputs, shapes and threads. The peers run one
# after the other, in ROUNDS rounds (default 3), and each figure is the median over the rounds, so a
# slow moment of a noisy machine hits every peer alike; ratios are taken within this one run.
# PyTorch, onnx and onnxruntime come from PyPI into a venv (benches/requirements-pytorch.txt); weights
# and tokenizer from models/fetch; the ONNX graphs are exported by benches/ort_bench.py.
#   benches/side_by_side.sh [CASES] [ROUNDS]      # default 1x128,8x128,32x128,8x512 and 3
set -euo pipefail
cd "$(dirname "$0")/.."
CASES="${1:-1x128,8x128,32x128,8x512}"
ROUNDS="${2:-3}"
VENV="${VEILLE_TORCH_VENV:-$HOME/.cache/veille/torch-venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c 'import torch, transformers, onnx, onnxruntime' 2>/dev/null \
    || "$VENV/bin/pip" install -q -r benches/requirements-pytorch.txt onnx onnxruntime
models/fetch >/dev/null
cargo build --release -q
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# Export once before timing (cached beside the model).
"$VENV/bin/python" benches/ort_bench.py --cases 1x16 --runs 1 --warmup 0 >/dev/null 2>&1
for r in $(seq 1 "$ROUNDS"); do
    echo "round $r/$ROUNDS: PyTorch" >&2
    "$VENV/bin/python" benches/pytorch_bench.py --threads 2 --cases "$CASES" --json > "$OUT/torch.$r.json"
    echo "round $r/$ROUNDS: ONNX Runtime" >&2
    "$VENV/bin/python" benches/ort_bench.py --threads 2 --cases "$CASES" --json 2>/dev/null > "$OUT/ort.$r.json"
    echo "round $r/$ROUNDS: veille" >&2
    RAYON_NUM_THREADS=2 target/release/veille bench --fixed "$CASES" --precision f32,int8 > "$OUT/veille.$r.txt"
done
"$VENV/bin/python" - "$OUT" "$ROUNDS" <<'EOF'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
tps = {}  # (peer, batch, seq) -> [tokens/s per round]
meta = {}
for r in range(1, rounds + 1):
    t = json.load(open(f"{out}/torch.{r}.json"))
    meta["torch"] = t["meta"]["torch"]; meta["cpu"] = t["meta"]["cpu"]
    for x in t["results"]:
        tps.setdefault(("PyTorch f32", x["batch"], x["seq_len"]), []).append(x["tokens_per_s"])
    o = json.load(open(f"{out}/ort.{r}.json"))
    meta["ort"] = o["meta"]["onnxruntime"]
    for prec, res in o["results"].items():
        for x in res["cases"]:
            tps.setdefault((f"ORT {prec}", x["batch"], x["seq_len"]), []).append(x["tokens_per_s"])
    for line in open(f"{out}/veille.{r}.txt"):
        f = line.split()
        if len(f) >= 6 and f[0].lower() in ("f32", "int8") and f[1].isdigit():
            tps.setdefault((f"veille {f[0].lower()}", int(f[1]), int(f[2])), []).append(float(f[5]))
peers = ["PyTorch f32", "ORT f32", "ORT int8", "veille f32", "veille int8"]
shapes = sorted({(b, s) for (_, b, s) in tps}, key=lambda x: (x[1], x[0]))
med = {k: statistics.median(v) for k, v in tps.items()}
print(f"PyTorch {meta['torch']}, ONNX Runtime {meta['ort']}, 2 threads, {meta['cpu']}; median tokens/s of {rounds} rounds")
print("| batch × length | " + " | ".join(peers) + " | veille int8 / PyTorch f32 | veille int8 / ORT int8 | veille f32 / PyTorch f32 |")
print("| --- " * (len(peers) + 4) + "|")
for b, s in shapes:
    row = [f"{med.get((p, b, s), float('nan')):,.0f}" for p in peers]
    ratio = lambda a, c: med.get((a, b, s), float("nan")) / med.get((c, b, s), float("nan"))
    print(f"| {b} × {s} | " + " | ".join(row) +
          f" | {ratio('veille int8', 'PyTorch f32'):.2f}× | {ratio('veille int8', 'ORT int8'):.2f}× | {ratio('veille f32', 'PyTorch f32'):.2f}× |")
EOF
