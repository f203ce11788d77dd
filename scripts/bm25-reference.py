#!/usr/bin/env python3
"""Makes the committed BM25 fixtures that crates/ruvector-core/tests/bm25_reference.rs checks
the engine against: an independent BM25 (this file, float64) fed the engine's own token
streams (the `text_tokens` example), so that the fixture checks the scorer; the analyzer has
tests of its own.

    python3 scripts/bm25-reference.py            # both fixtures (the 20k one needs ../shared)

Records are indexed as "<package>: <short description>" (so package names are searchable), in
file order. 500 queries are made from them, seeded: a third are a package's name, a third two
or three words of a description (in order, some dropped), a third a name and a word. BM25 as
tantivy scores it with the exact token count: idf(t) = ln(1 + (N - n(t) + 0.5) / (n(t) + 0.5)),
k1 = 1.2, b = 0.75, each query token counted as often as it occurs. Ties go to the record
written first. Writes, per fixture, the queries and each one's top 10 as [record index, score].
"""
import json
import math
import os
import random
import subprocess
import sys
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "ruvector-core", "tests", "fixtures")
K1, B, TOP, QUERIES = 1.2, 0.75, 10, 500


def tokens(lines):
    """The engine's terms of each line."""
    run = subprocess.run(
        ["cargo", "run", "-q", "-p", "ruvector-core", "--example", "text_tokens"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, cwd=ROOT, check=True)
    out = [json.loads(l) for l in run.stdout.splitlines()]
    assert len(out) == len(lines), (len(out), len(lines))
    return out


def make_queries(records, seed):
    rng = random.Random(seed)
    queries = []
    for q in range(QUERIES):
        name, text = records[rng.randrange(len(records))]
        words = [w for w in text.replace(",", " ").split() if w.isalnum()]
        if q % 3 == 0 or not words:
            queries.append(name)
        elif q % 3 == 1:
            start = rng.randrange(len(words))
            picked = [w for w in words[start:start + 4] if rng.random() < 0.75] or words[start:start + 1]
            queries.append(" ".join(picked))
        else:
            queries.append(f"{name} {rng.choice(words)}")
    return queries


def bm25_top(docs, query):
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    df = Counter()
    for d in docs:
        df.update(set(d))
    counts = [Counter(d) for d in docs]
    scores = []
    for i, (d, c) in enumerate(zip(docs, counts)):
        s, hit = 0.0, False
        for t in query:
            tf = c.get(t, 0)
            if tf == 0:
                continue
            hit = True
            idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            s += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(d) / avgdl))
        if hit:
            scores.append((-s, i))
    scores.sort()
    return [[i, -s] for s, i in scores[:TOP]]


def fixture(records, name, seed):
    lines = [f"{pkg}: {text}" for pkg, text in records]
    docs = tokens(lines)
    queries = make_queries(records, seed)
    qtokens = tokens(queries)
    top = [bm25_top(docs, q) for q in qtokens]
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump({"records": len(records), "queries": queries, "top": top}, f, separators=(",", ":"))
    print(f"bm25-reference: {path}: {len(records)} records, {len(queries)} queries")


def main():
    with open(os.path.join(ROOT, "demo", "data", "packages.json")) as f:
        demo = [(r[0], r[1]) for r in json.load(f)["rows"]]
    fixture(demo, "bm25-demo-10k.json", 26)
    shared = os.path.join(ROOT, "..", "shared", "data", "debian-minilm-20k", "texts.jsonl")
    if os.path.exists(shared):
        with open(shared) as f:
            full = [(r["id"], r["text"]) for r in map(json.loads, f)]
        fixture(full, "bm25-debian-20k.json", 2026)
    else:
        print("bm25-reference: ../shared is absent; the 20k fixture is left as it is", file=sys.stderr)


if __name__ == "__main__":
    main()
