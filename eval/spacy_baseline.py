#!/usr/bin/env python3
"""spaCy NER baseline for veille's entity scores.

Usage:
    pip install -r eval/requirements-baseline.txt
    python3 eval/spacy_baseline.py DIR --out spacy.jsonl
    python3 ../shared/eval/score.py --gold ../shared/eval/dev/gold --pred spacy.jsonl

Runs spaCy's `fr_core_news_md` pipeline over every `.txt` file directly in DIR (sorted by name; the
same French model for every file, whatever its language: that is how the baseline is defined) and
writes one JSON object per file in the shape of DESIGN.md's output contract:
    {"path": NAME, "entities": [{"text", "label", "start", "end", "score"}],
     "figures": [], "records": [], "sentiment": null}
Offsets are character offsets (Unicode scalar values) into the text as read, end exclusive.
Labels map ORG->ORG, PER->PER, LOC->LOC, MISC->MISC; spaCy's NER gives no confidence, so score is null.
Only entities are predicted: figures, records and tone stay empty, so only the entity rows of the
score table mean anything.
"""
import argparse
import json
import os
import sys

MODEL = "fr_core_news_md"
LABELS = {"ORG": "ORG", "PER": "PER", "LOC": "LOC", "MISC": "MISC"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", help="folder of .txt articles")
    ap.add_argument("--out", default="-", help="JSONL output file (default: stdout)")
    ap.add_argument("--model", default=MODEL, help=f"spaCy pipeline name (default: {MODEL})")
    a = ap.parse_args()

    import spacy  # imported here so --help works without spaCy installed

    try:
        nlp = spacy.load(a.model)
    except OSError:
        sys.exit(f"spaCy model {a.model!r} is not installed: pip install -r eval/requirements-baseline.txt")

    names = sorted(n for n in os.listdir(a.dir) if n.endswith(".txt"))
    if not names:
        sys.exit(f"no .txt files in {a.dir}")
    out = sys.stdout if a.out == "-" else open(a.out, "w", encoding="utf-8")
    n_ents = 0
    for name in names:
        with open(os.path.join(a.dir, name), encoding="utf-8") as f:
            text = f.read()
        doc = nlp(text)
        ents = [{"text": e.text, "label": LABELS[e.label_], "start": e.start_char, "end": e.end_char,
                 "score": None}
                for e in doc.ents if e.label_ in LABELS]
        n_ents += len(ents)
        rec = {"path": name, "entities": ents, "figures": [], "records": [], "sentiment": None}
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if out is not sys.stdout:
        out.close()
    print(f"{len(names)} documents, {n_ents} entities ({a.model} {nlp.meta.get('version')}, "
          f"spaCy {spacy.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
