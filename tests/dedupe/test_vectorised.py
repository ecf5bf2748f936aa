"""The vectorised dedupe steps give exactly what their one-pair-at-a-time definitions
give, and the duplicates rebuilt from the relatable pairs alone equal those rebuilt from
every pair; an incremental run (+1% documents) equals a full run. Every text here is
SYNTHETIC (random words, or ``benchmarks.generate``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.dedupe import (
    DedupeOptions,
    TokenCache,
    chronological_rank,
    hash_documents,
    link_new,
    memory_index,
    verify_near,
)
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
from pipeline.dedupe.shingles import char_shingle_set, jaccard, pair_jaccards, tokenize
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


# word pairs at and around every threshold of ``_extend_edge``: typos (similarity 0.6 and
# 0.75 exactly: "cas"/"caseloa", "review"/"reviewings"), words of 3 and 4 letters, lengths
# whose bound 2 * shorter / (len_a + len_b) is just under, at and over 0.6 and 0.75, and
# words past the one-byte length cap (255) that differ by one letter or are unlike
LONG = "x" * 300
EDGE_VOCAB = ["the", "union", "unoin", "then", "thn", "caseload", "caselaod", "ab", "abc", "review", "revue",
              "cas", "caseloa", "unio", "napo", "nap", "probation", "probaton", "sfo", "sfos", "a", "abcd",
              "reviewings", LONG, LONG[:-1] + "y", "x" * 260, "y" * 400]


def test_vectorised_edge_healing_and_coverage_equal_their_definitions():
    rng = np.random.default_rng(5)
    vocab = EDGE_VOCAB
    for _ in range(60):
        words = {d: tuple(vocab[i] for i in rng.integers(0, len(vocab), 90)) for d in "abcxyz"}
        spans = align_matches(_random_matches(rng), ALIGN)
        spans = spans[(spans.a_end <= 90) & (spans.b_end <= 90)].reset_index(drop=True)
        healed = extend_spans(spans, words, 5)
        pd.testing.assert_frame_equal(healed, extend_spans_reference(spans, words, 5))
        n_tokens = {d: int(rng.integers(90, 120)) for d in "abcxyz"}
        pd.testing.assert_frame_equal(pair_coverage(healed, n_tokens).reset_index(drop=True),
                                      pair_coverage_reference(healed, n_tokens), check_dtype=False)


def test_edge_healing_from_tokens_equals_it_from_words():
    """The link steps give ``extend_spans`` each document's ``Tokens``: their word
    hashes and capped lengths, computed when it was tokenised, must heal the same edges
    as the words themselves (and as the one-edge definition)."""
    rng = np.random.default_rng(11)
    for _ in range(40):
        texts = {d: " ".join(EDGE_VOCAB[i] for i in rng.integers(0, len(EDGE_VOCAB), 90)) for d in "abcxyz"}
        tokens = {d: tokenize(t) for d, t in texts.items()}
        words = {d: t.words for d, t in tokens.items()}
        assert all(len(t) == 90 and t.lengths.dtype == np.uint8 for t in tokens.values())
        assert max(int(t.lengths.max()) for t in tokens.values()) == 255  # the long words are capped
        spans = align_matches(_random_matches(rng), ALIGN)
        spans = spans[(spans.a_end <= 90) & (spans.b_end <= 90)].reset_index(drop=True)
        want = extend_spans_reference(spans, words, 5)
        pd.testing.assert_frame_equal(extend_spans(spans, tokens, 5), want)
        pd.testing.assert_frame_equal(extend_spans(spans, words, 5), want)


def test_long_words_past_the_length_cap_heal_as_typos():
    """Two 300-letter words one letter apart are a typo (similarity above 0.99) though
    both lengths are kept as 255; the cap must not make them look unlike."""
    a = tokenize(" ".join(["w%d" % i for i in range(20)] + [LONG] + ["v%d" % i for i in range(20)]))
    b = tokenize(" ".join(["w%d" % i for i in range(20)] + [LONG[:-1] + "y"] + ["v%d" % i for i in range(20)]))
    spans = pd.DataFrame({"doc_a": ["a"], "a_start": [21], "a_end": [41], "doc_b": ["b"], "b_start": [21],
                          "b_end": [41], "n_shingles": [16]})
    healed = extend_spans(spans, {"a": a, "b": b}, 5)
    assert healed[["a_start", "b_start"]].iloc[0].tolist() == [16, 16]  # through the long word, 5 words back
    pd.testing.assert_frame_equal(healed, extend_spans_reference(spans, {"a": a.words, "b": b.words}, 5))


def _generated_docs(comments: int, seed: int) -> pd.DataFrame:
    from benchmarks.generate import generate

    rows = [(d.id, d.body, d.post or d.id, "comment" if d.post else "post", i, d.timestamp)
            for i, d in enumerate(generate(comments, seed, style="phrase-stock"))]  # shared phrasing: many pairs
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
    (ranked per chunk) reads; ``linkable_shingles`` reads a chunk's shared postings;
    ``relatable_pairs`` (SQL) keeps what ``pair_can_relate`` (pandas) keeps of
    ``all_pairs``."""
    from benchmarks.generate import generate, write_jsonl
    from pipeline.dedupe.relations import chronological_rank as rank_of
    from pipeline.store import dedupe as store

    db = str(tmp_path / "s.duckdb")
    run_stages(db, write_jsonl(generate(200, seed=4, style="phrase-stock"), tmp_path / "c"), stages=("ingest", "clean", "dedupe"))
    conn = connect(db)
    try:
        rank = rank_of(store.doc_order_frame(conn))
        ids = sorted(rank.index)
        chunk = ids[::7]
        for max_sources in (1, OPTS.max_sources, 10_000):
            # hashes held by more documents than max_sources are ranked, the others are not
            busy = conn.execute("SELECT count(*) FROM (SELECT hash FROM shingle_index GROUP BY hash "
                                "HAVING count(DISTINCT doc_id) > ?)", [max_sources]).fetchone()[0]
            assert (busy > 0) == (max_sources < 10_000)
            with store.sources_for_run(conn, ids, rank, max_sources):
                got = store.postings_for_chunk(conn, chunk)
                # a chunk's own postings that linking can match: those of hashes another
                # document holds, every one of them, in (doc_id, pos) order
                own = store.linkable_shingles(conn, chunk)
                every = conn.execute("SELECT hash, doc_id, CAST(pos AS BIGINT) AS pos FROM shingle_index "
                                     "WHERE hash IN (SELECT hash FROM shingle_index GROUP BY hash "
                                     "HAVING count(DISTINCT doc_id) > 1) ORDER BY doc_id, pos").df()
                mine = every[every["doc_id"].isin(chunk)].reset_index(drop=True)
                assert 0 < len(mine) < conn.execute("SELECT count(*) FROM shingle_index WHERE doc_id IN "
                                                    "(SELECT UNNEST(?))", [chunk]).fetchone()[0]
                pd.testing.assert_frame_equal(own, mine)
                # link_weights estimates the rows linking one document alone reads
                weights = store.link_weights(conn, ids, max_sources)
                read = np.array([len(store.postings_for_chunk(conn, [d])) for d in ids[::5]], dtype=float)
                est = np.array([weights[d] for d in ids[::5]], dtype=float)
                assert np.corrcoef(est, read)[0, 1] > 0.99 and abs(est.sum() / read.sum() - 1) < 0.05
            want = store.postings_needed(conn, chunk, rank, max_sources)
            assert len(want) > len(chunk)
            # a hash only one document holds can link nothing: its postings are not read
            holders = conn.execute("SELECT hash, count(DISTINCT doc_id) AS k FROM shingle_index GROUP BY hash").df()
            alone = set(holders.loc[holders["k"] == 1, "hash"])
            assert alone and not alone & set(got["hash"])
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


def test_pair_jaccards_equal_the_one_pair_definition():
    """``pair_jaccards`` (all pairs at once, in batches) gives exactly ``jaccard`` of each
    pair, empty sets and batch edges included."""
    rng = np.random.default_rng(3)
    sets = [np.unique(rng.integers(0, 400, size=int(rng.integers(0, 60))).astype(np.uint64)) for _ in range(40)]
    sets += [np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint64), np.array([2**63 + 5], dtype=np.uint64)]
    a = rng.integers(0, len(sets), size=500)
    b = rng.integers(0, len(sets), size=500)
    a[:3], b[:3] = [40, 40, 42], [41, 0, 42]
    want = np.array([jaccard(sets[i], sets[j]) for i, j in zip(a, b)])
    for batch in (1, 7, 8192):
        got = pair_jaccards(sets, a, b, batch=batch)
        assert got.dtype == float and np.array_equal(got, want)
    assert got[0] == 1.0 and got[1] == 0.0 and got[2] == 1.0
    assert pair_jaccards(sets, np.zeros(0, int), np.zeros(0, int)).size == 0


def test_verify_near_on_generated_texts_equals_python_sets():
    """The candidates' verified Jaccard equals the exact one of their character n-gram sets."""
    from benchmarks.generate import generate

    texts = {d.id: d.body for d in generate(300, seed=5)}
    ids = sorted(texts)
    pairs = {(ids[i], ids[j]) for i in range(0, 300, 3) for j in range(i + 1, min(i + 9, 300))}
    got = verify_near(pairs, texts, 5)
    sets = {d: set(char_shingle_set(t, 5).tolist()) for d, t in texts.items()}
    want = [len(sets[x] & sets[y]) / len(sets[x] | sets[y]) if sets[x] | sets[y] else 1.0
            for x, y in sorted(pairs)]
    assert list(zip(got["a"], got["b"])) == sorted(pairs)
    assert got["jaccard"].tolist() == want
    floor = float(np.median(want))
    kept = verify_near(pairs, texts, 5, floor)
    pd.testing.assert_frame_equal(kept, got[got["jaccard"] >= floor].reset_index(drop=True))
    assert 0 < len(kept) < len(got)


def test_only_near_pairs_at_or_above_lsh_threshold_are_kept():
    """Candidates the bands propose by chance (Jaccard under ``lsh_threshold``) are
    verified and counted but not kept: at scale they are most candidates, and no
    relation can use them (``near_threshold >= lsh_threshold``)."""
    ev, *_ = _generated_evidence()
    assert len(ev.near) and ev.near["jaccard"].min() >= OPTS.minhash.lsh_threshold
    assert ev.near_candidates > len(ev.near)


def test_screening_candidates_by_their_estimate_changes_no_evidence():
    """Candidates whose MinHash estimate is under ``verify_min_estimate`` are left
    unverified: fewer are verified, and every piece of evidence is what verifying all of
    them gives."""
    from dataclasses import replace

    docs = _generated_docs(400, 3)
    hashed = hash_documents(docs, OPTS)
    index = memory_index(docs, hashed, chronological_rank(docs))
    assert OPTS.verify_min_estimate > 0
    screened = link_new(hashed, index, OPTS)
    every = link_new(hashed, index, replace(OPTS, verify_min_estimate=0.0))
    assert every.near_verified == every.near_candidates == screened.near_candidates
    assert 0 < screened.near_verified < every.near_verified
    for got, want in ((screened.near, every.near), (screened.spans, every.spans), (screened.coverage, every.coverage)):
        pd.testing.assert_frame_equal(got, want)
    assert len(screened.near)


def test_pair_estimates_and_screening_equal_their_one_pair_definitions():
    from pipeline.dedupe import screen_candidates
    from pipeline.dedupe.minhash import estimate_jaccard, pair_estimates

    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 4, size=(30, 16)).astype(np.uint64)  # few values: every estimate occurs
    a, b = rng.integers(0, 30, size=300), rng.integers(0, 30, size=300)
    want = np.array([estimate_jaccard(sigs[i], sigs[j]) for i, j in zip(a, b)])
    for batch in (1, 7, 16384):
        assert np.array_equal(pair_estimates(sigs, a, b, batch=batch), want)
    by_id = {f"d{i:02d}": sigs[i] for i in range(30)}
    pairs = {(f"d{min(i, j):02d}", f"d{max(i, j):02d}") for i, j in zip(a, b) if i != j}
    kept = screen_candidates(pairs, by_id, 0.3)
    assert kept == {(x, y) for x, y in pairs if estimate_jaccard(by_id[x], by_id[y]) >= 0.3}
    assert 0 < len(kept) < len(pairs) and screen_candidates(pairs, by_id, 0.0) == pairs


def _same_tokens(x, y) -> bool:
    return x.words == y.words and np.array_equal(x.starts, y.starts) and np.array_equal(x.ends, y.ends)


def test_token_cache_reads_each_text_once_and_keeps_at_most_its_limit():
    reads: list[list[str]] = []
    texts = {f"d{i}": f"Word number {i}, then some more words." for i in range(6)}

    def read(ids):
        reads.append(list(ids))
        return {d: texts[d] for d in ids if d in texts}

    cache = TokenCache(read, 3)
    first = cache(["d0", "d1", "missing"])
    assert set(first) == {"d0", "d1"} and _same_tokens(first["d0"], tokenize(texts["d0"]))
    again = cache(["d1", "d0", "d2"])
    assert reads == [["d0", "d1", "missing"], ["d2"]] and again["d1"] is first["d1"]
    cache(["d3", "d4"])                    # over the limit: the least recently used go
    assert len(cache) == 3
    cache(["d0"])
    assert reads[-1] == ["d0"]
    none = TokenCache(read, 0)
    got = none(["d5"])
    assert list(got) == ["d5"] and _same_tokens(got["d5"], tokenize(texts["d5"])) and len(none) == 0
    given = TokenCache(read, 5)
    given(["d2"], lambda ids: {d: "other text" for d in ids})
    assert _same_tokens(given(["d2"])["d2"], tokenize("other text")) and reads[-1] == ["d5"]


def test_weighted_chunks_bound_each_part():
    """``weighted_chunks``: consecutive parts of at most ``size`` documents and at most
    ``budget`` weight; a heavier document alone; budget 0 splits by ``size`` alone."""
    from pipeline.dedupe.core import weighted_chunks

    ids = [f"d{i}" for i in range(10)]
    w = {"d0": 5, "d1": 5, "d2": 50, "d3": 1, "d4": 1, "d5": 1, "d6": 9, "d7": 2}
    parts = weighted_chunks(ids, w, 3, 10)
    assert [d for p in parts for d in p] == ids
    assert parts == [["d0", "d1"], ["d2"], ["d3", "d4", "d5"], ["d6"], ["d7", "d8", "d9"]]
    assert weighted_chunks(ids, w, 4, 0) == [ids[:4], ids[4:8], ids[8:]]
    assert weighted_chunks(tuple(ids), w, 4, 0) == [ids[:4], ids[4:8], ids[8:]]  # lists, as the job reads them
    assert weighted_chunks([], w, 3, 10) == []


def test_negative_link_max_postings_is_refused():
    from pipeline.config import ConfigError

    with pytest.raises(ConfigError, match="link_max_postings"):
        DedupeOptions.of(load_config(overrides={"dedupe": {"link_max_postings": -1}}))
