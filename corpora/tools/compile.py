#!/usr/bin/env python3
"""Compile the annotated corpus: corpora/annotated/src/*.txt -> corpora/annotated/{train,dev,test}/<id>.json

Markup and compiled shape: corpora/README.md.

Usage:
    python3 corpora/tools/compile.py              # compile every source, delete stale JSON
    python3 corpora/tools/compile.py --check      # validate only, write nothing
    python3 corpora/tools/compile.py [--check] FILE...   # only these sources (no stale deletion)

Errors are printed as `path:line: message`; the exit status is 1 if any error was found.
Warnings (`path:line: warning: ...`) do not change the exit status; -q hides them.
"""
import argparse
import datetime
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ANNOTATED = os.path.normpath(os.path.join(HERE, "..", "annotated"))
SRC = os.path.join(ANNOTATED, "src")
SPLITS = ("train", "dev", "test")

LANGS = {"fr", "en", "es", "de"}
LABELS = {"ORG", "PER", "LOC", "PRODUCT", "MISC"}
ROLES = {"invest", "raise", "revenue", "profit", "loss", "acquire", "valuation", "other"}
DOC_TONES = {"positive", "negative", "neutral", "mixed"}
MARKERS = {"+": "positive", "-": "negative", "=": "neutral"}
REQUIRED = ("id", "lang", "published", "split", "tone")
ID_RE = re.compile(r"^([a-z]{2})-(\d{4})$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
PERIOD_RE = re.compile(r"^(\d{4})(?:-(Q[1-4]|H[12]|\d{2}))?$")
MIN_SENTENCES = 16


class Diag:
    def __init__(self, quiet=False):
        self.errors = 0
        self.warnings = 0
        self.quiet = quiet

    def error(self, path, line, msg):
        self.errors += 1
        print(f"{path}:{line}: error: {msg}", file=sys.stderr)

    def warn(self, path, line, msg):
        self.warnings += 1
        if not self.quiet:
            print(f"{path}:{line}: warning: {msg}", file=sys.stderr)


def split_for(num):
    last = num[-1]
    return "test" if last == "0" else "dev" if last == "5" else "train"


def parse_amount(s):
    v = float(s)  # raises ValueError
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError("not finite")
    return v


def parse_header(path, lines, diag):
    """lines: list of (lineno, text). Returns (header dict, records list, ok)."""
    header = {}
    records = []
    ok = True
    for ln, raw in lines:
        line = raw.strip()
        if not line:
            continue
        m = re.match(r"^@([a-z_]+)\s*:\s?(.*)$", line)
        if not m:
            diag.error(path, ln, f"bad header line (expected `@key: value`): {line!r}")
            ok = False
            continue
        key, value = m.group(1), m.group(2).strip()
        if key == "record":
            rec = parse_record(path, ln, value, diag)
            if rec is None:
                ok = False
            else:
                records.append((ln, rec))
            continue
        if key not in REQUIRED:
            diag.error(path, ln, f"unknown header key @{key}")
            ok = False
            continue
        if key in header:
            diag.error(path, ln, f"duplicate header key @{key}")
            ok = False
            continue
        header[key] = (ln, value)
    for key in REQUIRED:
        if key not in header:
            diag.error(path, lines[0][0] if lines else 1, f"missing header key @{key}")
            ok = False
    return header, records, ok


def parse_record(path, ln, value, diag):
    fields = [f.strip() for f in value.split("|")]
    if len(fields) != 7:
        diag.error(path, ln, f"@record needs 7 fields (actor | action | amount_min | amount_max | "
                             f"currency | target | period), got {len(fields)}")
        return None
    actor, action, amin, amax, currency, target, period = fields
    ok = True
    if not actor:
        diag.error(path, ln, "@record: empty actor")
        ok = False
    if action not in ROLES:
        diag.error(path, ln, f"@record: unknown action {action!r} (expected one of {', '.join(sorted(ROLES))})")
        ok = False
    vals = []
    for name, s in (("amount_min", amin), ("amount_max", amax)):
        try:
            v = parse_amount(s)
            if v < 0:
                raise ValueError("negative")
            vals.append(v)
        except ValueError:
            diag.error(path, ln, f"@record: bad {name} {s!r} (expected a plain number such as 60e9 or 36.46e9)")
            ok = False
    if len(vals) == 2 and vals[0] > vals[1]:
        diag.error(path, ln, f"@record: amount_min {amin} > amount_max {amax}")
        ok = False
    if not CURRENCY_RE.match(currency):
        diag.error(path, ln, f"@record: bad currency {currency!r} (expected an ISO 4217 code such as EUR, USD)")
        ok = False
    if period:
        m = PERIOD_RE.match(period)
        if not m or (m.group(2) and m.group(2).isdigit() and not 1 <= int(m.group(2)) <= 12):
            diag.error(path, ln, f"@record: bad period {period!r} (expected 2025, 2024-Q1, 2025-H1, 2024-03 or empty)")
            ok = False
    if not target:
        diag.warn(path, ln, "@record: empty target")
    if not ok:
        return None
    return {"actor": actor, "action": action, "amount_min": vals[0], "amount_max": vals[1],
            "currency": currency, "target": target, "period": period}


def is_space(ch):
    return ch in " \t"


def parse_block(path, chars, diag):
    """Parse one paragraph (or the title). chars: list of (char, lineno), lines already joined by a space.

    Returns a list of sentences: {"text": str, "anns": [(start, end, kind, label)], "tone": str, "line": int}
    with offsets relative to the sentence text; None on error.
    """
    sentences = []
    ok = True
    out = []
    anns = []
    first_line = None
    n = len(chars)
    i = 0

    def push(ch, ln):
        nonlocal first_line
        if is_space(ch):
            if not out or out[-1] == " ":
                return
            ch = " "
        elif first_line is None:
            first_line = ln
        out.append(ch)

    def is_marker(j):
        return (j + 2 < n and chars[j][0] == "<" and chars[j + 1][0] in MARKERS and chars[j + 2][0] == ">")

    while i < n:
        ch, ln = chars[i]
        if is_marker(i):
            tone = MARKERS[chars[i + 1][0]]
            s = "".join(out)
            lead = len(s) - len(s.lstrip())
            s2 = s.strip()
            if not s2:
                diag.error(path, ln, f"tone marker <{chars[i + 1][0]}> without sentence text before it")
                ok = False
            else:
                shifted = [(a - lead, b - lead, k, lab) for (a, b, k, lab) in anns]
                sentences.append({"text": s2, "anns": shifted, "tone": tone, "line": first_line or ln})
            out.clear()
            anns.clear()
            first_line = None
            i += 3
            continue
        if ch == "<" and i + 1 < n and chars[i + 1][0] in MARKERS:
            diag.error(path, ln, "malformed tone marker (expected <+>, <-> or <=>)")
            ok = False
        if ch == "]":
            diag.error(path, ln, "unbalanced ']' (no matching '[')")
            ok = False
            i += 1
            continue
        if ch == "[":
            j = i + 1
            close = None
            while j < n:
                cj = chars[j][0]
                if cj == "]":
                    close = j
                    break
                if cj == "[":
                    break
                j += 1
            if close is None:
                diag.error(path, ln, "unbalanced '[' (no matching ']' before the next '[' or the end of the paragraph)")
                ok = False
                i += 1
                continue
            inside_marker = next((k for k in range(i + 1, close) if is_marker(k)), None)
            if inside_marker is not None:
                diag.error(path, chars[inside_marker][1], "tone marker inside brackets (the marker goes after the ']' "
                                                           "and the sentence's final punctuation)")
                ok = False
                i = close + 1
                continue
            inner = "".join(c for c, _ in chars[i + 1:close])
            if "|" not in inner:
                diag.error(path, ln, f"annotation [{inner}] lacks '|LABEL' or '|$role'")
                ok = False
                i = close + 1
                continue
            if inner.count("|") > 1:
                diag.error(path, ln, f"annotation [{inner}] has more than one '|'")
                ok = False
                i = close + 1
                continue
            surface, label = inner.split("|")
            label = label.strip()
            if label.startswith("$"):
                kind = "figure"
                role = label[1:]
                if role not in ROLES:
                    diag.error(path, ln, f"unknown figure role {label!r} (expected ${', $'.join(sorted(ROLES))})")
                    ok = False
                label = role
            else:
                kind = "entity"
                if label not in LABELS:
                    diag.error(path, ln, f"unknown entity label {label!r} (expected {', '.join(sorted(LABELS))}, or $role for money)")
                    ok = False
            if not surface.strip():
                diag.error(path, ln, f"annotation [{inner}] has an empty surface")
                ok = False
                i = close + 1
                continue
            if surface != surface.strip():
                diag.error(path, ln, f"annotation surface {surface!r} has leading or trailing whitespace")
                ok = False
                surface = surface.strip()
            # surface characters keep their own line numbers; whitespace runs collapse like elsewhere
            sc = [c for c in chars[i + 1:close]]
            sc = sc[:inner.index("|")]
            while sc and sc[0][0].isspace():
                sc.pop(0)
            if first_line is None:
                first_line = ln
            start = len(out)
            for c, l in sc:
                push(c, l)
            while len(out) > start and out[-1] == " ":
                out.pop()
            anns.append((start, len(out), kind, label))
            i = close + 1
            continue
        push(ch, ln)
        i += 1

    rest = "".join(out).strip()
    if rest:
        diag.error(path, first_line or chars[-1][1], f"sentence without tone marker: {rest[:60]!r}")
        ok = False
    return sentences if ok else None


def compile_file(path, diag):
    """Returns (doc dict or None, id or None)."""
    rel = os.path.relpath(path)
    try:
        with open(path, encoding="utf-8") as f:
            content = f.read()
    except UnicodeDecodeError as e:
        diag.error(rel, 1, f"not valid UTF-8: {e}")
        return None, None
    if content.startswith("\ufeff"):
        content = content[1:]
    lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    numbered = list(enumerate(lines, start=1))
    sep = next((k for k, (_, l) in enumerate(numbered) if l.strip() == "---"), None)
    if sep is None:
        diag.error(rel, 1, "no '---' line ending the header")
        return None, None
    header, records, ok = parse_header(rel, numbered[:sep], diag)

    stem = os.path.splitext(os.path.basename(path))[0]
    doc_id = None
    if "id" in header:
        ln, doc_id = header["id"]
        m = ID_RE.match(doc_id)
        if not m:
            diag.error(rel, ln, f"bad @id {doc_id!r} (expected like fr-0001)")
            ok = False
        else:
            if doc_id != stem:
                diag.error(rel, ln, f"@id {doc_id!r} does not match the file name {stem!r}")
                ok = False
            if "lang" in header and header["lang"][1] != m.group(1):
                diag.error(rel, header["lang"][0], f"@lang {header['lang'][1]!r} does not match the id prefix {m.group(1)!r}")
                ok = False
            if "split" in header and header["split"][1] != split_for(m.group(2)):
                diag.error(rel, header["split"][0], f"@split {header['split'][1]!r} but id {doc_id} ends in "
                                                    f"{m.group(2)[-1]} -> {split_for(m.group(2))} (0 -> test, 5 -> dev, else train)")
                ok = False
    if "lang" in header and header["lang"][1] not in LANGS:
        diag.error(rel, header["lang"][0], f"unknown @lang {header['lang'][1]!r} (expected {', '.join(sorted(LANGS))})")
        ok = False
    if "split" in header and header["split"][1] not in SPLITS:
        diag.error(rel, header["split"][0], f"bad @split {header['split'][1]!r} (expected train, dev or test)")
        ok = False
    if "tone" in header and header["tone"][1] not in DOC_TONES:
        diag.error(rel, header["tone"][0], f"bad @tone {header['tone'][1]!r} (expected {', '.join(sorted(DOC_TONES))})")
        ok = False
    if "published" in header:
        ln, pub = header["published"]
        try:
            if not re.match(r"^\d{4}-\d{2}-\d{2}$", pub):
                raise ValueError
            datetime.date.fromisoformat(pub)
        except ValueError:
            diag.error(rel, ln, f"bad @published {pub!r} (expected YYYY-MM-DD)")
            ok = False

    # ---- body
    body = numbered[sep + 1:]
    while body and not body[0][1].strip():
        body.pop(0)
    while body and not body[-1][1].strip():
        body.pop()
    if not body:
        diag.error(rel, numbered[sep][0], "empty body")
        return None, doc_id
    blocks = []  # list of lists of (lineno, text)
    title_line = body[0]
    blocks.append([title_line])
    cur = []
    for ln, l in body[1:]:
        if not l.strip():
            if cur:
                blocks.append(cur)
                cur = []
        else:
            cur.append((ln, l))
    if cur:
        blocks.append(cur)
    if len(blocks) < 2:
        diag.warn(rel, title_line[0], "article has a title but no paragraph")

    parsed = []
    for bi, block in enumerate(blocks):
        chars = []
        for k, (ln, l) in enumerate(block):
            l = l.strip(" \t")
            if k > 0:
                chars.append((" ", ln))
            chars.extend((c, ln) for c in l)
        sents = parse_block(rel, chars, diag)
        if sents is None:
            ok = False
            continue
        if bi == 0 and len(sents) != 1:
            diag.error(rel, block[0][0], f"the title line must be exactly one sentence with one marker (found {len(sents)})")
            ok = False
        parsed.append(sents)
    if not ok:
        return None, doc_id

    text_parts = []
    pos = 0
    sentences, entities, figures = [], [], []
    for bi, sents in enumerate(parsed):
        if bi > 0:
            text_parts.append("\n\n")
            pos += 2
        for si, s in enumerate(sents):
            if si > 0:
                text_parts.append(" ")
                pos += 1
            start = pos
            text_parts.append(s["text"])
            pos += len(s["text"])
            sentences.append({"start": start, "end": pos, "tone": s["tone"]})
            for a, b, kind, label in s["anns"]:
                surf = s["text"][a:b]
                if kind == "entity":
                    entities.append({"start": start + a, "end": start + b, "label": label, "text": surf})
                else:
                    figures.append({"start": start + a, "end": start + b, "role": label, "text": surf})
    text = "".join(text_parts)
    for e in entities + figures:
        assert text[e["start"]:e["end"]] == e["text"], (e, text[e["start"]:e["end"]])
    title = parsed[0][0]["text"]

    # ---- consistency warnings
    if len(sentences) < MIN_SENTENCES:
        diag.warn(rel, title_line[0], f"only {len(sentences)} sentences (at least {MIN_SENTENCES} expected)")
    rec_actions = {r["action"] for _, r in records}
    fig_roles = {f["role"] for f in figures}
    for role in sorted(fig_roles - rec_actions - {"other"}):
        diag.warn(rel, title_line[0], f"money figure(s) with role ${role} but no @record with action {role}")
    for ln, r in records:
        if r["action"] != "other" and r["action"] not in fig_roles:
            diag.warn(rel, ln, f"@record action {r['action']} has no money figure with role ${r['action']} in the text")
    ent_texts = {e["text"] for e in entities}
    for ln, r in records:
        if r["actor"] not in ent_texts and r["actor"] not in text:
            diag.warn(rel, ln, f"@record actor {r['actor']!r} does not appear in the text")

    doc = {
        "id": doc_id,
        "lang": header["lang"][1],
        "published": header["published"][1],
        "split": header["split"][1],
        "tone": header["tone"][1],
        "title": title,
        "text": text,
        "sentences": sentences,
        "entities": entities,
        "figures": figures,
        "records": [r for _, r in records],
    }
    return doc, doc_id


def dump(doc):
    """JSON with one top-level key per line and one list item (sentence, entity...) per line."""
    def d(v):
        return json.dumps(v, ensure_ascii=False)
    lines = []
    for k, v in doc.items():
        if isinstance(v, list) and v:
            inner = ",\n  ".join(d(x) for x in v)
            lines.append(f"{d(k)}: [\n  {inner}\n ]")
        else:
            lines.append(f"{d(k)}: {d(v)}")
    return "{\n " + ",\n ".join(lines) + "\n}\n"


def write_if_changed(path, data):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == data:
                return False
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(data)
    os.replace(tmp, path)
    return True


def main():
    ap = argparse.ArgumentParser(description="Compile corpora/annotated/src/*.txt into JSON (see corpora/README.md).")
    ap.add_argument("--check", action="store_true", help="validate only, write nothing")
    ap.add_argument("-q", "--quiet", action="store_true", help="hide warnings")
    ap.add_argument("files", nargs="*", help="source files (default: every corpora/annotated/src/*.txt)")
    args = ap.parse_args()
    diag = Diag(quiet=args.quiet)

    full = not args.files
    if full:
        paths = sorted(os.path.join(SRC, f) for f in os.listdir(SRC) if f.endswith(".txt")) if os.path.isdir(SRC) else []
    else:
        paths = args.files
    seen = {}
    docs = []
    failed_ids = set()
    for p in paths:
        if not os.path.isfile(p):
            diag.error(p, 0, "no such file")
            continue
        doc, doc_id = compile_file(p, diag)
        if doc_id is not None:
            if doc_id in seen:
                diag.error(os.path.relpath(p), 1, f"duplicate @id {doc_id} (also in {seen[doc_id]})")
                doc = None
            else:
                seen[doc_id] = os.path.relpath(p)
        if doc is None:
            if doc_id:
                failed_ids.add(doc_id)
            continue
        docs.append(doc)

    written = removed = 0
    if not args.check:
        wanted = set()
        for doc in docs:
            out = os.path.join(ANNOTATED, doc["split"], doc["id"] + ".json")
            wanted.add(out)
            data = dump(doc)
            if write_if_changed(out, data):
                written += 1
        for split in SPLITS:
            d = os.path.join(ANNOTATED, split)
            if not os.path.isdir(d):
                continue
            for f in sorted(os.listdir(d)):
                if not f.endswith(".json"):
                    continue
                p = os.path.join(d, f)
                if p in wanted:
                    continue
                stem = f[:-5]
                # full run: everything not compiled now is stale (source gone, moved split or failing);
                # partial run: only the files of the sources given here.
                if full or stem in failed_ids or stem in seen:
                    os.remove(p)
                    removed += 1

    nsent = sum(len(d["sentences"]) for d in docs)
    mode = "checked" if args.check else f"compiled ({written} written, {removed} removed)"
    print(f"{len(docs)}/{len(paths)} files {mode}, {nsent} sentences, "
          f"{diag.errors} error(s), {diag.warnings} warning(s)", file=sys.stderr)
    sys.exit(1 if diag.errors else 0)


if __name__ == "__main__":
    main()
