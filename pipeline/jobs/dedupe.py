"""Dedupe job: hash new documents, link them to what is stored, rebuild the duplicates."""

from __future__ import annotations

import pandas as pd

from pipeline.dedupe import (
    LOGIC_VERSION,
    DedupeOptions,
    align_matches,
    build_duplicates,
    build_lsh,
    candidate_pairs,
    chronological_rank,
    from_bytes,
    pair_coverage,
    signatures,
    spans_to_chars,
    to_bytes,
    tokenize,
    verify_near,
)
from pipeline.dedupe.blocks import block_spans, block_table
from pipeline.dedupe.core import merge_spans
from pipeline.dedupe.shingles import shingle_table
from pipeline.jobs.context import JobContext
from pipeline.store import connect, transaction
from pipeline.store import dedupe as store
from pipeline.store.clean import clean_texts


def dedupe_job(ctx: JobContext) -> dict:
    """Only new or changed documents are hashed; their MinHash signatures are queried
    against an LSH index rebuilt from the stored signatures, and their shingles joined
    against the stored index, so a second ingest links new copies to old canonicals
    without re-hashing the corpus. The duplicates table is then rebuilt from all the
    stored pair evidence (cheap: no text). One transaction."""
    opts = DedupeOptions.from_config(ctx.config.section("dedupe"))
    # what stored signatures, shingles, blocks and passages depend on: a change redoes them all
    a = opts.align
    key = (f"v{LOGIC_VERSION}|{opts.minhash.key()}|{opts.minhash.lsh_threshold}|{a.k}|{a.max_gap}|{a.max_shift}|{a.min_tokens}|"
           f"{opts.min_block_words}|{opts.max_sources}")
    conn = connect(ctx.db_path)
    try:
        with transaction(conn):
            full = store.stale_signature_keys(conn, key)
            if full:
                store.reset(conn)
            todo = store.docs_to_dedupe(conn)
            new_ids = list(todo["doc_id"])
            ctx.progress("dedupe", 0, len(todo))
            store.forget_docs(conn, new_ids)

            toks = {d: tokenize(t) for d, t in zip(todo["doc_id"], todo["clean_text"])}
            sigs = signatures(todo, opts.minhash)
            store.write_signatures(conn, pd.DataFrame({
                "doc_id": new_ids, "clean_md5": list(todo["clean_md5"]),
                "n_tokens": [len(toks[d]) for d in new_ids], "signature": [to_bytes(sigs[d]) for d in new_ids],
            }), key, ctx.run_id)
            store.write_shingles(conn, shingle_table(todo[["doc_id", "clean_text"]], opts.align.k))
            store.write_blocks(conn, block_table(todo[["doc_id", "clean_text"]], opts.min_block_words))

            rank = chronological_rank(store.doc_order_frame(conn))
            # near duplicates: new signatures against every stored one
            stored = {d: from_bytes(b) for d, b in store.all_signatures(conn).items()}
            queries = {d: s for d, s in sigs.items() if d in stored}
            cands = candidate_pairs(build_lsh(stored, opts.minhash), queries, opts.minhash) if queries else set()
            involved = sorted({d for p in cands for d in p})
            texts = dict(clean_texts(conn, involved)[["doc_id", "clean_text"]].itertuples(index=False, name=None))
            near = verify_near(cands, texts, opts.minhash.char_ngram)

            # shared passages: new shingles against the stored index
            matches = store.shingle_matches(conn, new_ids, rank, opts.max_sources)
            hits = store.block_hits(conn, new_ids)
            others = sorted(set(matches["doc_a"]) | set(matches["doc_b"]) | set(hits["doc_id"]) | set(hits["other"]))
            missing = [d for d in others if d not in toks]
            for d, t in clean_texts(conn, missing)[["doc_id", "clean_text"]].itertuples(index=False, name=None):
                toks[d] = tokenize(t)
            spans = align_matches(matches, opts.align, {d: t.words for d, t in toks.items()})
            spans = merge_spans(spans, block_spans(hits, toks))
            info = store.doc_info(conn)
            cov = pair_coverage(spans, dict(zip(info["doc_id"], info["n_tokens"])))
            store.write_pairs(conn, spans_to_chars(spans, toks), near, cov)

            all_near, all_cov = store.all_pairs(conn)
            dups = build_duplicates(info, all_near, all_cov, rank, opts.relations)
            changes = store.replace_duplicates(conn, dups, ctx.run_id)
        ctx.progress("dedupe", len(todo), len(todo))
        counts = dups["relation"].value_counts().to_dict() if len(dups) else {}
        return {"hashed": len(todo), "full_rehash": full, "near_candidates": len(cands),
                "new_passages": len(spans), "relations": {k: int(v) for k, v in sorted(counts.items())},
                "duplicates_added": changes["added"], "duplicates_removed": changes["removed"]}
    finally:
        conn.close()
