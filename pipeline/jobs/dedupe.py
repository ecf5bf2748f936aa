"""Dedupe job: read the index, hash new documents, link them, rebuild the duplicates.

The stage's logic is ``pipeline.dedupe`` (one implementation, also behind
``dedupe_frame``); this job only reads the store, calls it and writes back.
"""

from __future__ import annotations


from pipeline.dedupe import (
    LOGIC_VERSION,
    DedupeOptions,
    StoredIndex,
    build_duplicates,
    chronological_rank,
    from_bytes,
    hash_documents,
    link_new,
    to_bytes,
)
from pipeline.jobs.context import JobContext
from pipeline.settings import settings_key
from pipeline.store import connect, transaction
from pipeline.store import dedupe as store
from pipeline.store.clean import clean_texts


def dedupe_job(ctx: JobContext) -> dict:
    """Only new or changed documents are hashed; they are linked to everything stored
    (LSH over the stored signatures, the stored shingle postings of their hashes, stored
    blocks), so a second ingest links new copies to old canonicals without re-hashing
    the corpus. The duplicates table is then rebuilt from all the stored pair evidence
    (cheap: no text). One transaction."""
    opts = DedupeOptions.from_config(ctx.config.section("dedupe"))
    key = settings_key(LOGIC_VERSION, *opts.stored_key_parts())
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

            hashed = hash_documents(todo, opts)
            sig_rows = hashed.signature_rows()
            sig_rows["signature"] = [to_bytes(s) for s in sig_rows["signature"]]
            store.write_signatures(conn, sig_rows.merge(todo[["doc_id", "clean_md5"]], on="doc_id"), key, ctx.run_id)
            store.write_shingles(conn, hashed.shingles)
            store.write_blocks(conn, hashed.blocks)

            info = store.doc_info(conn)
            blocks = store.blocks_for(conn, new_ids)
            stored = StoredIndex(
                signatures={d: from_bytes(b) for d, b in store.all_signatures(conn).items()},
                postings=store.postings_for(conn, new_ids),
                blocks=blocks,
                doc_hashes=store.doc_hashes_for(conn, sorted(set(blocks["hash"])), new_ids),
                n_tokens=dict(zip(info["doc_id"], info["n_tokens"])),
                rank=chronological_rank(store.doc_order_frame(conn)),
                texts=lambda ids: dict(clean_texts(conn, list(ids))[["doc_id", "clean_text"]]
                                       .itertuples(index=False, name=None)),
            )
            ev = link_new(hashed, stored, opts)
            store.write_pairs(conn, ev.spans, ev.near, ev.coverage)

            all_near, all_cov = store.all_pairs(conn)
            dups = build_duplicates(info, all_near, all_cov, stored.rank, opts.relations)
            changes = store.replace_duplicates(conn, dups, ctx.run_id)
        ctx.progress("dedupe", len(todo), len(todo))
        counts = dups["relation"].value_counts().to_dict() if len(dups) else {}
        return {"hashed": len(todo), "full_rehash": full, "near_candidates": ev.near_candidates,
                "new_passages": len(ev.spans), "relations": {k: int(v) for k, v in sorted(counts.items())},
                "duplicates_added": changes["added"], "duplicates_removed": changes["removed"]}
    finally:
        conn.close()


__all__ = ["dedupe_job"]
