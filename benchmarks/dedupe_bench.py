"""Dedup and quotation benchmark: precision, recall and F1 per relation and for
own-vs-quoted/pasted segmentation, beside an exact-hash baseline, in the same run.

Two labelled sets:

* ``sample``: the synthetic sample corpus (``corpus/sample``) run through the real
  stages (ingest, clean, dedupe, segment) into a temporary database, scored against
  its answer keys (``corpus/annotations/sample_duplicates.jsonl``,
  ``sample_segments.jsonl``; documents are matched by Blogger id, else by source file
  and text);
* ``variants``: documents generated from the sample's own-text documents, with known
  answers: re-wrapped/re-cased copies (exact), copies with typos (near), truncations
  (contained_in), reposts after an introduction and anthologies (contains), partial
  quotes of known spans with and without quotation marks (segments with a source), and
  new texts on the same themes sharing vocabulary but no passage (hard negatives).
  Scored in memory with the pure stage functions.

Relations are scored on pairs (later document, canonical of the earlier one);
segmentation on words (own vs not own) and on segments (a gold non-own span is found
when a predicted non-own segment covers at least half its words, and vice versa).
The baseline links documents with equal normalised hashes and calls every word own.
Timing: the pure dedupe+segment stages as a ratio to the baseline's hashing.

Usage: ``python -m benchmarks.dedupe_bench [--bases N] [--seed S] [--skip-sample]``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.clean import clean_frame
from pipeline.clean.settings import CleanSettings
from pipeline.config import load_config
from pipeline.dedupe import DedupeOptions, chronological_rank, dedupe_frame, tokenize
from pipeline.dedupe.relations import COPY_RELATIONS
from pipeline.jobs import STAGES, JobContext
from pipeline.segment import segment_frame
from pipeline.segment.settings import segment_options
from pipeline.settings import typed
from pipeline.store import connect
from pipeline.textnorm import fingerprint, fold

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "corpus" / "sample"
KEYS = REPO / "corpus" / "annotations"
RELATIONS = ("exact", "near", "contains", "contained_in")


# --------------------------------------------------------------------------- scoring

@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0

    def row(self) -> str:
        return f"P={self.p:.3f} R={self.r:.3f} F1={self.f1:.3f} (tp={self.tp} fp={self.fp} fn={self.fn})"


def score_relations(gold: Iterable[tuple[str, str, str]], pred: pd.DataFrame, scope: set[str] | None = None,
                    negatives: Iterable[tuple[str, str]] = ()) -> tuple[dict[str, PRF], int]:
    """Per relation, gold ``(later, earlier, relation)`` vs predicted duplicates rows.
    A gold pair matches a row ``(later, canonical(earlier))``. Predictions count only
    when their document is in ``scope`` (documents the gold covers). Returns the scores
    and how many hard-negative pairs were linked."""
    canon = {r.doc_id: r.canonical_id for r in pred.itertuples() if r.relation in COPY_RELATIONS}

    def c(x: str) -> str:
        return canon.get(x, x)

    gold_map = {(a, c(b)): rel for a, b, rel in gold}
    pred_map = {(r.doc_id, r.canonical_id): r.relation for r in pred.itertuples()
                if scope is None or r.doc_id in scope}
    out = {rel: PRF() for rel in RELATIONS}
    for key, rel in gold_map.items():
        if pred_map.get(key) == rel:
            out[rel].tp += 1
        else:
            out[rel].fn += 1
    for key, rel in pred_map.items():
        if gold_map.get(key) != rel:
            out[rel].fp += 1
    linked = {frozenset(k) for k in pred_map} | {frozenset((a, c(a))) for a in canon}
    neg_hits = sum(1 for a, b in negatives if frozenset((a, c(b))) in linked or frozenset((a, b)) in linked)
    return out, neg_hits


def _word_spans(text: str, spans: Iterable[tuple[int, int]]) -> set[int]:
    """Indices of the words of ``text`` inside any of the spans."""
    t = tokenize(text)
    out = set()
    for s, e in spans:
        for i, (ws, we) in enumerate(zip(t.starts, t.ends)):
            if ws >= s and we <= e:
                out.add(i)
    return out


def score_segments(gold: dict[str, list[tuple[int, int]]], pred: dict[str, list[tuple[int, int]]],
                   texts: dict[str, str]) -> tuple[PRF, PRF]:
    """Word-level and segment-level scores of the non-own class over ``texts``."""
    words, segs = PRF(), PRF()
    for doc, text in texts.items():
        g_spans, p_spans = gold.get(doc, []), pred.get(doc, [])
        g, p = _word_spans(text, g_spans), _word_spans(text, p_spans)
        words.tp += len(g & p)
        words.fp += len(p - g)
        words.fn += len(g - p)
        for s in g_spans:
            w = _word_spans(text, [s])
            if w and len(w & p) >= 0.5 * len(w):
                segs.tp += 1
            else:
                segs.fn += 1
        for s in p_spans:
            w = _word_spans(text, [s])
            if w and len(w & g) < 0.5 * len(w):
                segs.fp += 1
    return words, segs


def baseline_duplicates(docs: pd.DataFrame, rank: dict[str, int]) -> pd.DataFrame:
    """Exact-hash baseline: documents with equal normalised text hashes are exact copies
    of the earliest of them; nothing else is found."""
    rows = []
    for _, g in docs[docs["clean_text"].str.strip() != ""].groupby(docs["clean_text"].map(fingerprint)):
        ids = sorted(g["doc_id"], key=lambda d: rank[d])
        rows += [(d, ids[0], "exact", 1.0, "baseline") for d in ids[1:]]
    return pd.DataFrame(rows, columns=["doc_id", "canonical_id", "relation", "similarity", "method"])


def print_table(title: str, ours: dict[str, PRF], base: dict[str, PRF]) -> None:
    print(f"\n{title}")
    for rel in RELATIONS:
        if ours[rel].tp + ours[rel].fn + ours[rel].fp == 0:
            continue
        print(f"  {rel:<13} ours     {ours[rel].row()}")
        print(f"  {'':<13} baseline {base[rel].row()}")


# --------------------------------------------------------------------------- sample corpus

def _load(name: str) -> list[dict]:
    path = KEYS / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _collapse(s: str) -> str:
    return " ".join(s.split())


def _find(text: str, span: str) -> tuple[int, int] | None:
    """Character offsets of ``span`` in ``text`` comparing with whitespace collapsed."""
    pattern = r"\s+".join(re.escape(w) for w in span.split())
    m = re.search(pattern, text)
    return (m.start(), m.end()) if m else None


def map_sample_keys(conn) -> dict[str, str]:
    """Sample key (``P17.c5``) -> doc_id, by Blogger id, else by source file and text."""
    docs = conn.execute(
        "SELECT d.doc_id, d.blogger_id, d.clean_text, s.path_or_url, ds.locator FROM documents d "
        "JOIN document_sources ds USING (doc_id) JOIN source_files s ON s.source_id = ds.source_id").df()
    docs["file"] = docs["path_or_url"].map(lambda p: Path(p).name)
    docs["head"] = docs["clean_text"].map(lambda t: fold(t)[:30])
    by_bid = dict(zip(docs["blogger_id"], docs["doc_id"]))
    out: dict[str, str] = {}
    used: set[str] = set()
    for g in _load("sample_gold.jsonl"):
        bid = g.get("blogger_id")
        if bid and bid in by_bid:
            out[g["key"]] = by_bid[bid]
            continue
        files = [g["source"]] + [a["source"] for a in g.get("also_in", [])]
        head = fold(g["text_starts_with"])[:30]
        cand = docs[docs["file"].isin(files) & docs["head"].map(lambda h: h.startswith(head) or head.startswith(h))]
        ids = [d for d in dict.fromkeys(cand["doc_id"]) if d not in used] or list(dict.fromkeys(cand["doc_id"]))
        if ids:
            out[g["key"]] = ids[0]
            used.add(ids[0])
    return out


def run_sample(cfg, db: str, score: bool = True) -> pd.DataFrame:
    """Run the stages on the sample corpus into ``db``; print the scores against its
    answer keys (when ``score``). Returns the sample documents that are wholly own text
    and no deliberate copy (``doc_id, text, clean_text``): the bases of the variants."""
    for name in ("ingest", "clean", "dedupe", "segment"):
        paths = (str(SAMPLE),) if name == "ingest" else ()
        STAGES[name](JobContext(db, cfg, f"bench-{name}", paths))
    conn = connect(db, read_only=True)
    try:
        keymap = map_sample_keys(conn)
        skip = {line["key"] for line in _load("sample_segments.jsonl")}
        for d in _load("sample_duplicates.jsonl"):
            skip.update((d["a_key"], d["b_key"]))
        keep = {doc for key, doc in keymap.items() if key not in skip}
        bases = conn.execute("SELECT doc_id, text, clean_text FROM documents ORDER BY doc_id").df()
        bases = bases[bases["doc_id"].isin(keep)].reset_index(drop=True)
        if score:
            _score_sample(conn, keymap)
        return bases
    finally:
        conn.close()


def _score_sample(conn, keymap: dict[str, str]) -> None:
    print("== sample corpus (corpus/sample, answer keys in corpus/annotations)")
    gold_keys = _load("sample_gold.jsonl")
    print(f"documents matched to answer keys: {len(keymap)}/{len(gold_keys)}")
    order = conn.execute("SELECT doc_id, clean_text, post_id, kind, position, published_at FROM documents").df()
    order = order.merge(conn.execute(
        "SELECT doc_id AS post_id, published_at AS post_published_at FROM documents WHERE kind = 'post'").df(),
        on="post_id", how="left")
    rank = chronological_rank(order).to_dict()
    pred = conn.execute("SELECT * FROM duplicates").df()
    texts = dict(zip(order["doc_id"], order["clean_text"]))
    segs = conn.execute("SELECT doc_id, start, \"end\", kind FROM segments").df()

    dup_keys = _load("sample_duplicates.jsonl")
    gold, negs = [], []
    for d in dup_keys:
        a, b = keymap.get(d["a_key"]), keymap.get(d["b_key"])
        if a is None or b is None:
            continue
        if d["relation"] == "negative":
            negs.append((a, b))
        else:
            later, earlier = (a, b) if rank[a] > rank[b] else (b, a)
            gold.append((later, earlier, d["relation"]))
    scope = set(keymap.values())
    ours, neg_hits = score_relations(gold, pred, scope, negs)
    base, base_neg = score_relations(gold, baseline_duplicates(order, rank), scope, negs)
    print_table("relations (documents)", ours, base)
    print(f"  hard negatives linked: ours {neg_hits}/{len(negs)}, baseline {base_neg}/{len(negs)}")

    gold_spans: dict[str, list[tuple[int, int]]] = {}
    missing = 0
    for line in _load("sample_segments.jsonl"):
        doc = keymap.get(line["key"])
        if doc is None:
            continue
        for s in line["segments"]:
            found = _find(texts[doc], s["text"])
            if found is None:
                missing += 1
            else:
                gold_spans.setdefault(doc, []).append(found)
    report_segmentation(gold_spans, segs, texts, scope, f", {missing} not located in the text")

    found = dict(((d, t), 1) for d, t in conn.execute(
        "SELECT doc_id, target_doc_id FROM mentions WHERE target_doc_id IS NOT NULL").fetchall())
    keys = _load("sample_mentions.jsonl")
    right = sum(1 for m in keys if (keymap.get(m["key"]), keymap.get(m["target_key"])) in found)
    print(f"\ntime mentions resolved to the right comment: {right}/{len(keys)}")


def report_segmentation(gold_spans: dict[str, list[tuple[int, int]]], segs, texts: dict[str, str],
                        scope: set[str], note: str = "") -> None:
    """Score own-vs-quoted/pasted segmentation against gold spans, beside the baseline
    that marks nothing (the exact-hash dedupe has no notion of segments), and print it."""
    pred_spans: dict[str, list[tuple[int, int]]] = {}
    for r in segs[segs["kind"] != "own"].itertuples():
        pred_spans.setdefault(r.doc_id, []).append((int(r.start), int(r.end)))
    scored = {d: texts[d] for d in scope}
    w, s = score_segments(gold_spans, pred_spans, scored)
    bw, bs = score_segments(gold_spans, {}, scored)
    print(f"\nown vs quoted/pasted ({sum(len(v) for v in gold_spans.values())} gold spans{note})")
    print(f"  segments      ours     {s.row()}\n  {'':<13} baseline {bs.row()}")
    print(f"  words         ours     {w.row()}\n  {'':<13} baseline {bw.row()}")


# --------------------------------------------------------------------------- generated variants

FILLER_OPEN = ["Honestly,", "I think", "As far as I can see,", "Frankly,", "In my experience", "To be fair,",
               "I am told", "Round here", "Believe me,", "I would say"]
FILLER_CLOSE = ["Why do we bother?", "Nothing will change.", "Same as it ever was!", "I give up.",
                "Who is surprised?", "Make of that what you will.", "Watch this space."]


def filler(rng: random.Random, vocab: list[str], sentences: int) -> str:
    """Invented own words: an opener and words drawn at random from the corpus
    vocabulary, so two fillers practically never share a dozen consecutive words (no
    accidental passages)."""
    out = [f"{rng.choice(FILLER_OPEN)} {' '.join(rng.sample(vocab, rng.randint(8, 14)))}."
           for _ in range(sentences)]
    out.append(rng.choice(FILLER_CLOSE))
    return " ".join(out)


def typo(rng: random.Random, text: str, n: int) -> str:
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    for i in rng.sample(idx, min(n, len(idx))):
        w = list(words[i])
        j = rng.randrange(1, len(w) - 1)
        op = rng.choice(["swap", "drop", "double"])
        if op == "swap":
            w[j], w[j + 1 if j + 1 < len(w) else j - 1] = w[j + 1 if j + 1 < len(w) else j - 1], w[j]
        elif op == "drop":
            del w[j]
        else:
            w.insert(j, w[j])
        words[i] = "".join(w)
    return " ".join(words)


def rewrap(rng: random.Random, text: str) -> str:
    words = text.split()
    lines, cur = [], []
    width = rng.randint(40, 70)
    for w in words:
        if sum(len(x) + 1 for x in cur) + len(w) > width:
            lines.append(" ".join(cur))
            cur = []
        cur.append(w)
    lines.append(" ".join(cur))
    out = "\n".join(lines)
    return out.upper() if rng.random() < 0.3 else out


@dataclass
class Generated:
    docs: pd.DataFrame
    relations: list[tuple[str, str, str]] = field(default_factory=list)
    negatives: list[tuple[str, str]] = field(default_factory=list)
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


def generate(bases: pd.DataFrame, n: int, seed: int) -> Generated:
    """Variants of ``n`` base documents (``doc_id, clean_text``) with known answers."""
    rng = random.Random(seed)
    pool = [r for r in bases.itertuples() if len(r.clean_text.split()) >= 30]
    rng.shuffle(pool)
    pool = pool[:n]
    rows: list[tuple[str, str, str]] = []   # doc_id, text, kind
    gen = Generated(pd.DataFrame())
    vocab = sorted({w.lower() for r in pool for w in re.findall(r"[A-Za-z]{4,}", r.clean_text)})
    kinds = ["exact", "near", "contained_in", "contains", "quote", "match", "negative"]
    jobs = [(i, b, k) for i, b in enumerate(pool) for k in kinds]
    for i, b, k in jobs:
        text = b.clean_text
        words = text.split()
        vid = f"g{i:04d}_{k}"
        if k == "exact":
            rows.append((vid, rewrap(rng, text), "comment"))
            gen.relations.append((vid, b.doc_id, "exact"))
        elif k == "near":
            rows.append((vid, typo(rng, text, rng.randint(1, 3)), "comment"))
            gen.relations.append((vid, b.doc_id, "near"))
        elif k == "contained_in":
            cut = max(12, int(len(words) * rng.uniform(0.45, 0.8)))
            rows.append((vid, " ".join(words[:cut]) + "...", "comment"))
            gen.relations.append((vid, b.doc_id, "contained_in"))
        elif k == "contains":
            if rng.random() < 0.5:
                intro = "The following came in yesterday and I think it deserves a post of its own:-"
                t = intro + "\n\n" + text
                gen.spans[vid] = [(len(intro) + 2, len(t))]
                rows.append((vid, t, "post"))
            else:
                other = pool[(i + 1) % len(pool)]
                t = "Some of the best comments of the week:\n\n*******\n" + text + "\n\n*******\n" + other.clean_text
                s1 = t.index(text)
                s2 = t.index(other.clean_text, s1 + len(text))
                gen.spans[vid] = [(s1, s1 + len(text)), (s2, s2 + len(other.clean_text))]
                gen.relations.append((vid, other.doc_id, "contains"))
                rows.append((vid, t, "post"))
            gen.relations.append((vid, b.doc_id, "contains"))
        elif k in ("quote", "match"):
            ln = rng.randint(12, max(12, min(25, int(len(words) * 0.4))))
            st = rng.randint(0, max(0, len(words) - ln))
            span = " ".join(words[st:st + ln])
            before, after = filler(rng, vocab, 1), filler(rng, vocab, 1)
            if k == "quote":
                t = f"{before} Someone said \"{span}\" and {after}"
                s = t.index('"' + span) + 1
            else:
                span = typo(rng, span, 1)
                t = f"{before}\n\n{span}\n\n{after}"
                s = t.index(span)
            gen.spans[vid] = [(s, s + len(span))]
            rows.append((vid, t, "comment"))
        else:  # a new text on the same theme: shares words, no passage
            theme = [w for w in words if len(w) > 3 and w.isalpha()]
            rng.shuffle(theme)
            t = filler(rng, vocab, 2) + " " + " ".join(theme[:20]) + ". " + filler(rng, vocab, 1)
            rows.append((vid, t, "comment"))
            gen.negatives.append((vid, b.doc_id))
    df = pd.DataFrame(rows, columns=["doc_id", "text", "kind"])
    gen.docs = df
    return gen


def run_variants(cfg, gold_own: pd.DataFrame, bases: int, seed: int) -> None:
    print(f"\n== generated variants (seed {seed})")
    if gold_own.empty:
        print("no sample documents to build variants from")
        return
    gen = generate(gold_own, bases, seed)
    base_docs = gold_own[["doc_id", "text"]].assign(kind="comment")
    allx = pd.concat([base_docs, gen.docs], ignore_index=True)
    n_base = len(base_docs)
    allx["post_id"] = allx["doc_id"].map(lambda d: "p_" + d)
    allx["position"] = 1
    allx["published_at"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(range(len(allx)), unit="h")
    allx["post_published_at"] = allx["published_at"]
    allx["title"] = None
    allx["author"] = None

    t0 = time.perf_counter()
    clean = typed(cfg, CleanSettings)
    cleaned = clean_frame(allx[["doc_id", "text"]], clean.clean_options(), clean.signoff_options())
    docs = allx.merge(cleaned.docs, on="doc_id")
    t_clean = time.perf_counter() - t0
    t0 = time.perf_counter()
    rank = {d: i for i, d in enumerate(allx["doc_id"])}
    base_pred = baseline_duplicates(docs, rank)
    t_base = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = dedupe_frame(docs, DedupeOptions.of(cfg))
    t_dedupe = time.perf_counter() - t0
    t0 = time.perf_counter()
    copy_of = {r.doc_id: r.canonical_id for r in res.duplicates.itertuples() if r.relation in COPY_RELATIONS}
    segs, _ = segment_frame(docs, res.spans, pd.Series(rank), copy_of=copy_of,
                            anonymous=clean.anonymous_authors, opts=segment_options(cfg))
    t_segment = time.perf_counter() - t0

    scope = set(gen.docs["doc_id"])
    ours, neg = score_relations(gen.relations, res.duplicates, scope, gen.negatives)
    base, bneg = score_relations(gen.relations, base_pred, scope, gen.negatives)
    print(f"{n_base} base documents, {len(gen.docs)} generated")
    print_table("relations (generated documents)", ours, base)
    print(f"  hard negatives linked: ours {neg}/{len(gen.negatives)}, baseline {bneg}/{len(gen.negatives)}")

    texts = dict(zip(docs["doc_id"], docs["clean_text"]))
    raw_texts = dict(zip(gen.docs["doc_id"], gen.docs["text"]))
    gold_spans = {}
    for d, spans in gen.spans.items():
        # offsets were taken on the raw text; the cleaned text of these documents is the same
        # except for whitespace, so locate the spans again in the cleaned text
        raw = raw_texts[d]
        gold_spans[d] = [x for x in (_find(texts[d], raw[s:e]) for s, e in spans) if x]
    report_segmentation(gold_spans, segs, texts, scope)
    sourced = segs[(segs["kind"] != "own") & segs["doc_id"].isin(scope)]
    print(f"  non-own segments with a source document: {sourced['source_doc_id'].notna().sum()}/{len(sourced)}")
    print(f"\ntiming on {len(docs)} documents: clean {t_clean:.2f}s; exact-hash baseline {t_base:.3f}s; "
          f"dedupe {t_dedupe:.2f}s ({t_dedupe / max(t_base, 1e-9):.0f}x baseline); "
          f"segment {t_segment:.2f}s ({t_segment / max(t_base, 1e-9):.0f}x baseline)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bases", type=int, default=300, help="base documents to generate variants from")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--skip-sample", action="store_true", help="do not score the sample corpus (it is still read)")
    args = ap.parse_args(argv)
    cfg = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        bases = run_sample(cfg, str(Path(tmp) / "bench.duckdb"), score=not args.skip_sample)
    run_variants(cfg, bases, args.bases, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
