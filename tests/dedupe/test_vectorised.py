"""The vectorised dedupe steps give exactly what their one-pair-at-a-time definitions
give, and the duplicates rebuilt from the relatable pairs alone equal those rebuilt from
every pair; an incremental run (+1% documents) equals a full run. Every text here is
SYNTHETIC (random words, or ``benchmarks.generate``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.dedupe import DedupeOptions, chronological_rank, hash_documents, link_new, memory_index
from pipeline.dedupe.align import (
    SPAN_COLUMNS,
    AlignOptions,
    _chain,
    _pair_groups,
    align_matches,
    extend_spans,
    extend_spans_reference,
    pair_coverage,
    pair_coverage_reference,
)
from pipeline.dedupe.relations import build_duplicates, pair_can_relate
from pipeline.store import connect
from pipeline.textnorm import fingerprint
from tests.stagekit import run_stages

OPTS = DedupeOptions.of(load_config())
ALIGN = AlignOptions(word_shingle=5, max_gap=10, max_shift=3, min_match_words=0)


def _chain_per_pair(matches: pd.DataFrame, opts: AlignOptions) -> pd.DataFrame:
    rows = []
    pa, pb = matches["pos_a"].to_numpy(), matches["pos_b"].to_numpy()
    for (da, db), idx in _pair_groups(matches, "doc_a", "doc_b"):
        rows += [(da, c[0], c[1], db, c[2], c[3], c[4]) for c in _chain(pa[idx], pb[idx], opts)]
    return pd.DataFrame(rows, columns=SPAN_COLUMNS)


def _random_matches(rng: np.random.Generator) -> pd.DataFrame:
    n = int(rng.integers(1, 400))
    spread = int(rng.choice([12, 80, 3000]))
    a = rng.integers(0, spread, n)
    # some diagonal runs (copied passages with typos and shifts), some scattered matches
    run = rng.random(n) < 0.5
    b = np.where(run, a + rng.integers(-2, 3, n) + 7, rng.integers(0, spread, n))
    m = pd.DataFrame({"doc_a": rng.choice(list("abc"), n).astype(object), "pos_a": a,
                         "doc_b": rng.choice(list("xyz"), n).astype(object), "pos_b": np.maximum(b, 0)})
    # usually unique (as source_match_codes gives them), sometimes with repeated rows
    return m if rng.random() < 0.2 else m.drop_duplicates()


def _sorted(df: pd.DataFrame, cols) -> pd.DataFrame:
    return df.sort_values(list(cols)).reset_index(drop=True)


def test_vectorised_chaining_equals_the_per_pair_chaining():
    rng = np.random.default_rng(13)
    for _ in range(150):
        m = _random_matches(rng)
        got = _sorted(align_matches(m, ALIGN), SPAN_COLUMNS)
        want = _sorted(_chain_per_pair(m, ALIGN), SPAN_COLUMNS)
        pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_repeated_match_rows_chain_as_in_the_per_pair_chaining():
    m = pd.DataFrame({"doc_a": ["a", "a", "a", "b"], "pos_a": [3, 3, 4, 0],
                      "doc_b": ["x", "x", "x", "y"], "pos_b": [10, 10, 11, 0]})
    got = _sorted(align_matches(m, ALIGN), SPAN_COLUMNS)
    pd.testing.assert_frame_equal(got, _sorted(_chain_per_pair(m, ALIGN), SPAN_COLUMNS), check_dtype=False)
    assert len(got) == 3  # the repeated match opens a second chain


def test_vectorised_edge_healing_and_coverage_equal_their_definitions():
    rng = np.random.default_rng(5)
    vocab = ["the", "union", "unoin", "then", "thn", "caseload", "caselaod", "ab", "abc", "review", "revue"]
    for _ in range(60):
        words = {d: tuple(vocab[i] for i in rng.integers(0, len(vocab), 90)) for d in "abcxyz"}
        spans = align_matches(_random_matches(rng), ALIGN)
        spans = spans[(spans.a_end <= 90) & (spans.b_end <= 90)].reset_index(drop=True)
        healed = extend_spans(spans, words, 5)
        pd.testing.assert_frame_equal(healed, extend_spans_reference(spans, words, 5))
        n_tokens = {d: int(rng.integers(90, 120)) for d in "abcxyz"}
        pd.testing.assert_frame_equal(pair_coverage(healed, n_tokens).reset_index(drop=True),
                                      pair_coverage_reference(healed, n_tokens), check_dtype=False)


def _generated_docs(comments: int, seed: int) -> pd.DataFrame:
    from benchmarks.generate import generate

    rows = [(d.id, d.body, d.post or d.id, "comment" if d.post else "post", i, d.timestamp)
            for i, d in enumerate(generate(comments, seed))]
    df = pd.DataFrame(rows, columns=["doc_id", "clean_text", "post_id", "kind", "position", "published_at"])
    df["published_at"] = pd.to_datetime(df["published_at"])
    df["post_published_at"] = df["post_id"].map(df.set_index("doc_id")["published_at"])
    df["clean_hash"] = df["clean_text"].map(fingerprint)
    return df


def _generated_evidence(comments: int = 400, seed: int = 3):
    """A generated corpus linked in memory: (evidence, document info, rank, documents) for the duplicates build."""
    docs = _generated_docs(comments, seed)
    hashed = hash_documents(docs, OPTS)
    rank = chronological_rank(docs)
    ev = link_new(hashed, memory_index(docs, hashed, rank), OPTS)
    info = docs[["doc_id", "clean_hash"]].assign(n_tokens=docs["doc_id"].map(lambda d: len(hashed.tokens[d])))
    return ev, info, rank, docs


def test_duplicates_from_the_relatable_pairs_equal_those_from_every_pair():
    ev, info, rank, docs = _generated_evidence()
    near, cov = pair_can_relate(ev.near, ev.coverage, OPTS.relations)
    assert len(near) < len(ev.near) and len(cov) < len(ev.coverage)  # the filter leaves pairs out
    full = build_duplicates(info, ev.near, ev.coverage, rank, OPTS.relations)
    assert set(full["relation"]) >= {"exact", "contains"}
    pd.testing.assert_frame_equal(build_duplicates(info, near, cov, rank, OPTS.relations), full)


def _tables(db: str) -> dict:
    conn = connect(db, read_only=True)
    try:
        out = {t: conn.execute(f"SELECT * EXCLUDE (run_id) FROM {t} ORDER BY ALL" if t == "duplicate_rows"
                               else f"SELECT * FROM {t} ORDER BY ALL").fetchall()
               for t in ("duplicate_rows", "dedupe_spans", "dedupe_near_pairs", "dedupe_coverage")}
        out["duplicates"] = conn.execute("SELECT doc_id, canonical_id, relation FROM duplicates ORDER BY ALL").fetchall()
        return out
    finally:
        conn.close()


@pytest.mark.parametrize("chunk_size", [5000, 97])
def test_incremental_run_with_one_percent_more_equals_a_full_run(tmp_path, chunk_size):
    """99% of a generated corpus, then the last 1% (the newest documents): the stored
    evidence and duplicates equal one run over everything, in one chunk or many."""
    from benchmarks.generate import generate, write_jsonl

    docs = generate(300, seed=11)
    cut = len(docs) - max(1, len(docs) // 100)
    first = write_jsonl(docs[:cut], tmp_path / "first")
    everything = write_jsonl(docs, tmp_path / "all")
    full, incr = str(tmp_path / "full.duckdb"), str(tmp_path / "incr.duckdb")
    stages = ("ingest", "clean", "dedupe")
    run_stages(full, everything, stages=stages, dedupe={"chunk_size": chunk_size})
    run_stages(incr, first, stages=stages, dedupe={"chunk_size": chunk_size})
    s = run_stages(incr, everything, stages=stages, dedupe={"chunk_size": chunk_size})
    assert s["dedupe"]["hashed"] == len(docs) - cut and not s["dedupe"]["full_rehash"]
    want, got = _tables(full), _tables(incr)
    assert want["duplicate_rows"] and want["dedupe_spans"] and want["dedupe_near_pairs"]
    assert got == want


def test_store_reads_equal_their_references(tmp_path):
    """``postings_for_chunk`` (sources ranked once per run) reads what ``postings_needed``
    (ranked per chunk) reads; ``relatable_pairs`` (SQL) keeps what ``pair_can_relate``
    (pandas) keeps of ``all_pairs``."""
    from benchmarks.generate import generate, write_jsonl
    from pipeline.dedupe.relations import chronological_rank as rank_of
    from pipeline.store import dedupe as store

    db = str(tmp_path / "s.duckdb")
    run_stages(db, write_jsonl(generate(200, seed=4), tmp_path / "c"), stages=("ingest", "clean", "dedupe"))
    conn = connect(db)
    try:
        rank = rank_of(store.doc_order_frame(conn))
        ids = sorted(rank.index)
        chunk = ids[::7]
        with store.sources_for_run(conn, ids, rank, OPTS.max_sources):
            got = store.postings_for_chunk(conn, chunk)
        want = store.postings_needed(conn, chunk, rank, OPTS.max_sources)
        assert len(want) > len(chunk)
        pd.testing.assert_frame_equal(got, want)
        rel = OPTS.relations
        near, cov = store.relatable_pairs(conn, rel.near_threshold, min(rel.contain_threshold, rel.contains_min_share))
        all_near, all_cov = store.all_pairs(conn)
        want_near, want_cov = pair_can_relate(all_near, all_cov, rel)
        assert 0 < len(want_cov) < len(all_cov)
        pd.testing.assert_frame_equal(near, want_near)
        pd.testing.assert_frame_equal(cov, want_cov)
    finally:
        conn.close()
