#!/usr/bin/env python3
"""ONNX Runtime side-by-side benchmark for veille's encoder (multilingual-e5-small).

The peer people pick for fast CPU inference: the same weights as benches/pytorch_bench.py (the
packaged E5S1 file dequantized to f32 into a transformers BertModel), exported to ONNX with
torch.onnx, and that graph quantized by ONNX Runtime's own dynamic int8 quantization
(`onnxruntime.quantization.quantize_dynamic`, int8 weights per channel, u8 activations per
tensor at run time: the same scheme family as veille's int8). Inputs, shapes, warm-up and timing
are those of pytorch_bench.py, so the figures compare row by row.

Setup (PyPI only): pip install -r benches/requirements-pytorch.txt onnx onnxruntime

Usage:
    python3 benches/ort_bench.py --threads 2 --cases 1x128,8x128,32x128,8x512
    python3 benches/ort_bench.py --json
The exported graphs are cached beside the model (onnx/e5-small-f32.onnx, onnx/e5-small-int8.onnx)
and rebuilt when the model file is newer. Before timing, each graph's output is compared with
PyTorch's on one batch (max |difference| and mean cosine are printed), so a broken export cannot
pass as a fast one.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_bench as pb  # noqa: E402  (same reader, inputs and protocol)


def export(model_path, out_dir):
    """Write the f32 and int8 ONNX graphs (cached); return their paths."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    os.makedirs(out_dir, exist_ok=True)
    f32 = os.path.join(out_dir, "e5-small-f32.onnx")
    i8 = os.path.join(out_dir, "e5-small-int8.onnx")
    stale = lambda p: not os.path.exists(p) or os.path.getmtime(p) < os.path.getmtime(model_path)
    if stale(f32):
        model, hdr = pb.load_model(model_path, "cpu")
        ids = torch.full((2, 16), hdr["bos"], dtype=torch.int64)
        mask = torch.ones((2, 16), dtype=torch.int64)

        class Encoder(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, input_ids, attention_mask):
                return self.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

        with torch.inference_mode():
            torch.onnx.export(Encoder(model), (ids, mask), f32, input_names=["input_ids", "attention_mask"],
                              output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                              dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                            "last_hidden_state": {0: "batch", 1: "seq"}})
    if stale(i8) or os.path.getmtime(i8) < os.path.getmtime(f32):
        quantize_dynamic(f32, i8, weight_type=QuantType.QInt8, per_channel=True)
    return f32, i8


def session(path, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def check(sess, model, stream, hdr):
    """Max |difference| and mean cosine of the token vectors against PyTorch f32 on one batch."""
    import torch
    ids, mask = pb.make_batch(stream, 4, 128, hdr["bos"], hdr["eos"], hdr["pad"])
    with torch.inference_mode():
        ref = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).last_hidden_state.numpy()
    out = sess.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    a, b = ref.reshape(-1, ref.shape[-1]), out.reshape(-1, out.shape[-1])
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float(np.abs(a - b).max()), float(cos.mean())


def bench(sess, stream, hdr, cases, warmup, runs):
    results = []
    for b, L in cases:
        ids, mask = pb.make_batch(stream, b, L, hdr["bos"], hdr["eos"], hdr["pad"])
        feed = {"input_ids": ids, "attention_mask": mask}
        times = []
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            sess.run(None, feed)
            dt = time.perf_counter() - t0
            if i >= warmup:
                times.append(dt)
        med = statistics.median(times)
        results.append({"batch": b, "seq_len": L, "tokens": b * L, "median_s": med, "min_s": min(times),
                        "max_s": max(times), "tokens_per_s": b * L / med, "runs": runs, "warmup": warmup})
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(pb.DEFAULT_DIR, "e5-small-q4.bin"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cases", default=pb.DEFAULT_CASES)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--precision", default="f32,int8", help="f32, int8 or both (default %(default)s)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    import onnxruntime as ort
    import torch
    from tokenizers import Tokenizer

    tok_path = os.path.join(os.path.dirname(a.model), "tokenizer.json")
    for pth in (a.model, tok_path):
        if not os.path.exists(pth):
            sys.exit(f"missing {pth}: run models/fetch")
    torch.set_num_threads(a.threads)
    f32, i8 = export(a.model, os.path.join(os.path.dirname(a.model), "onnx"))
    model, hdr = pb.load_model(a.model, "cpu")
    stream = pb.token_stream(Tokenizer.from_file(tok_path), pb.default_texts())
    cases = [tuple(int(x) for x in c.lower().split("x")) for c in a.cases.split(",") if c.strip()]
    out = {"meta": {"onnxruntime": ort.__version__, "threads": a.threads, "cpu": pb.cpu_name()}, "results": {}}
    for prec in [p.strip() for p in a.precision.split(",") if p.strip()]:
        path = {"f32": f32, "int8": i8}.get(prec)
        if path is None:
            sys.exit(f"unknown precision {prec} (f32 or int8)")
        sess = session(path, a.threads)
        diff, cos = check(sess, model, stream, hdr)
        if cos < 0.95:
            sys.exit(f"{path}: output far from PyTorch's (mean cosine {cos:.4f}): the export is broken")
        out["results"][prec] = {"check": {"max_abs_diff": diff, "mean_cosine": cos},
                                "cases": bench(sess, stream, hdr, cases, a.warmup, a.runs)}
    if a.json:
        print(json.dumps(out))
        return
    print(f"ONNX Runtime {ort.__version__} CPU, {a.threads} threads, {out['meta']['cpu']}")
    for prec, r in out["results"].items():
        c = r["check"]
        print(f"== {prec}: vs PyTorch f32 max |diff| {c['max_abs_diff']:.2e}, mean cosine {c['mean_cosine']:.5f}")
        print(f"{'batch':>5} {'seq':>5} {'median ms':>10} {'min ms':>9} {'max ms':>9} {'tokens/s':>10}")
        for x in r["cases"]:
            print(f"{x['batch']:>5} {x['seq_len']:>5} {x['median_s'] * 1e3:>10.1f} {x['min_s'] * 1e3:>9.1f} "
                  f"{x['max_s'] * 1e3:>9.1f} {x['tokens_per_s']:>10.0f}")


if __name__ == "__main__":
    main()
