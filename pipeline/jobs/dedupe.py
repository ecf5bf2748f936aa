"""Dedupe job: read the index, hash new documents, link them, rebuild the duplicates.

The stage's logic is ``pipeline.dedupe`` (one implementation, also behind
``dedupe_frame``); this job only reads the store, calls it and writes back.
"""

from __future__ import annotations


from functools import partial
from pathlib import Path

import pandas as pd

from pipeline.dedupe import (
    LOGIC_VERSION,
    DedupeOptions,
    Hashed,
    StoredIndex,
    TokenCache,
    chronological_rank,
    from_bytes,
    hash_documents,
    link_new,
    to_bytes,
)
from pipeline.dedupe.blocks import BLOCK_COLUMNS
from pipeline.dedupe.core import weighted_chunks
from pipeline.dedupe.minhash import band_table
from pipeline.dedupe.relations import GROUPS_VERSION, duplicates_and_groups
from pipeline.jobs.context import JobContext, single_threaded_mapper
from pipeline.settings import settings_key
from pipeline.shards import slices
from pipeline.store import connect, transaction
from pipeline.store import dedupe as store
from pipeline.store.clean import clean_texts


def staging_folder(setting: str) -> Path | None:
    """The folder ``dedupe.staging_dir`` names, created when missing (``None`` for "":
    the system's temporary folder); ``ConfigError`` when it cannot be a folder. Checked
    before the stage opens its transaction, so a bad setting costs no work."""
    from pipeline.config import ConfigError, resolve_path

    if not setting:
        return None
    folder = resolve_path(setting)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"dedupe.staging_dir {str(folder)!r} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"dedupe.staging_dir {str(folder)!r} cannot be created: {exc}") from exc
    return folder


def _backfill_bands(conn, opts: DedupeOptions) -> int:
    """LSH bands for stored signatures that have none (a database from before they were
    kept), from the stored signatures, a chunk at a time."""
    done = 0
    while True:
        old = store.signatures_without_bands(conn, opts.chunk_size)
        if not old:
            return done
        store.write_bands(conn, band_table({d: from_bytes(b) for d, b in old.items()}, opts.minhash))
        done += len(old)


def _rebuild_groups(conn, opts: DedupeOptions, new_ids: list[str], run_id: str | None) -> tuple[dict, dict]:
    """Rebuild the duplicates: every group when the relation settings differ from those
    the stored groups were built with (or none are stored: a first run, a re-hash, a
    database from before m0018) or ``dedupe.full_rebuild`` is set; otherwise only the
    groups with a new or changed document (``store.affected_docs``), from their own
    pairs and ranks, leaving every other row as stored. Both give the same table
    (``relations.duplicates_and_groups``: ``build_duplicates`` is local to groups)."""
    rel = opts.relations
    floor = min(rel.contain_threshold, rel.contains_min_share)
    key = settings_key(LOGIC_VERSION, GROUPS_VERSION, rel)
    full = opts.full_rebuild or store.build_key(conn) != key

    def rebuild(affected: bool) -> dict:
        info = store.doc_info(conn, affected)
        rank = chronological_rank(store.doc_order_frame(conn, affected))
        near, cov = store.relatable_pairs(conn, rel.near_threshold, floor, affected)
        nodes = store.affected_with_pairs(conn) if affected else ()
        dups, groups = duplicates_and_groups(info, near, cov, rank, rel, nodes)
        store.replace_groups(conn, groups, affected)
        return store.replace_duplicates(conn, dups, run_id, affected) | {"docs": len(info)}

    if full:
        changes = rebuild(False)
        store.write_build_key(conn, key, run_id)
    else:
        with store.affected_docs(conn, new_ids, rel.near_threshold, floor) as n:
            changes = rebuild(True) if n else {"added": 0, "removed": 0, "docs": 0}
    return {"groups_rebuilt": "all" if full else "changed", "rebuilt_docs": changes["docs"]}, changes


def dedupe_job(ctx: JobContext) -> dict:
    """Only new or changed documents are hashed; they are linked to everything stored
    (the stored LSH bands, the stored shingle postings their hashes need, stored blocks),
    so a second ingest links new copies to old canonicals without re-hashing the corpus
    or rebuilding an index. New documents are hashed, then linked, ``dedupe.chunk_size``
    at a time (every new document is indexed before any is linked, so the chunking does
    not change a result: a pair across two chunks is linked once, by the first; the hashing of each chunk is a
    shard that local worker processes (``scale.processes``) or Dask workers may run, which
    return it for this job to write). The duplicate groups a new
    or changed document touches are then rebuilt from their stored pair evidence (no
    text), every group on a first run or when the relation settings change
    (``_rebuild_groups``). One transaction."""
    opts = DedupeOptions.of(ctx.config)
    key = settings_key(LOGIC_VERSION, *opts.stored_key_parts())
    staging = staging_folder(opts.staging_dir)
    conn = connect(ctx.db_path)
    try:
        store.set_memory(conn, opts.duckdb_memory_mb, opts.duckdb_background_flush)
        with transaction(conn):
            full = store.stale_signature_keys(conn, key)
            if full:
                store.reset(conn)
            backfilled = _backfill_bands(conn, opts)
            todo = store.docs_to_dedupe(conn)
            new_ids = list(todo["doc_id"])
            ctx.progress("dedupe", 0, len(todo))
            store.forget_docs(conn, new_ids)
            parts = list(slices(new_ids, opts.chunk_size))
            texts = todo.set_index("doc_id")

            # 1. hash and index every new document, a chunk at a time (their tokens are
            # kept for step 2, as far as dedupe.token_cache_docs allows)
            read_texts = (lambda ids: dict(clean_texts(conn, list(ids))[["doc_id", "clean_text"]]
                                           .itertuples(index=False, name=None)))
            cache = TokenCache(read_texts, opts.token_cache_docs)
            kept: Hashed | None = None
            shards = [todo[todo["doc_id"].isin(ids)][["doc_id", "clean_text"]] for ids in parts]
            mapper = single_threaded_mapper(ctx)
            for hashed in mapper(partial(hash_documents, opts=opts), shards):
                sig_rows = hashed.signature_rows()
                sig_rows["signature"] = [to_bytes(s) for s in sig_rows["signature"]]
                store.write_signatures(conn, sig_rows.merge(todo[["doc_id", "clean_md5"]], on="doc_id"), key,
                                       ctx.run_id)
                store.write_shingles(conn, hashed.shingles)
                store.write_blocks(conn, hashed.blocks)
                store.write_bands(conn, hashed.bands)
                cache.add(hashed.tokens)
                kept = hashed if len(parts) == 1 else None
            del shards

            # 2. link each chunk to everything indexed, staging its evidence as it goes
            candidates = verified = passages = link_steps = 0
            if parts:
                info = store.doc_info(conn)
                n_tokens = dict(zip(info["doc_id"], info["n_tokens"]))
                rank = chronological_rank(store.doc_order_frame(conn))
                linked: set[str] = set()  # new documents of earlier chunks: pairs with them are done
                # each step's evidence is staged on disk and inserted after the last step
                # (``store.staged_pairs``): rows inserted in the transaction would stay in
                # memory under every later step
                with store.staged_pairs(conn, staging) as staged, \
                        store.sources_for_run(conn, new_ids, rank, opts.max_sources):
                    # link in parts of bounded reads: a chunk with a few documents that share
                    # passages with thousands of others is split (results do not change)
                    links = weighted_chunks(new_ids, store.link_weights(conn, new_ids, opts.max_sources)
                                            if opts.link_max_postings else {}, opts.chunk_size, opts.link_max_postings)
                    done, link_steps = 0, len(links)
                    for ids in links:
                        new = (kept if len(links) == 1 else None) or Hashed(
                            tokens=cache(ids, lambda m: {d: texts.at[d, "clean_text"] for d in m}), signatures={},
                            shingles=store.linkable_shingles(conn, ids), blocks=pd.DataFrame(columns=BLOCK_COLUMNS),
                            bands=store.bands_of(conn, ids))
                        blocks = store.blocks_for(conn, ids)
                        stored = StoredIndex(
                            bands=lambda q: store.bands_matching(conn, q),
                            postings=lambda q, ids=ids: store.postings_for_chunk(conn, ids),
                            blocks=blocks,
                            doc_hashes=store.doc_hashes_for(conn, sorted(set(blocks["hash"])), ids),
                            n_tokens=n_tokens,
                            rank=rank,
                            texts=read_texts,
                            tokens=cache,
                            signatures=lambda q: {d: from_bytes(b) for d, b in store.signatures_of(conn, list(q)).items()},
                        )
                        ev = link_new(new, stored, opts, frozenset(linked))
                        linked.update(ids)
                        staged.add(ev.spans, ev.near, ev.coverage)
                        candidates += ev.near_candidates
                        verified += ev.near_verified
                        passages += len(ev.spans)
                        done += len(ids)
                        ctx.progress("dedupe", done, len(todo))
                del info, n_tokens, rank
            del cache

            # 3. the duplicate groups: all of them, or only those a new document touches
            rebuilt, changes = _rebuild_groups(conn, opts, new_ids, ctx.run_id)
            counts = store.relation_counts(conn)
        ctx.progress("dedupe", len(todo), len(todo))
        return {"hashed": len(todo), "full_rehash": full, "chunks": len(parts), "link_steps": link_steps,
                "bands_backfilled": backfilled,
                "near_candidates": candidates, "near_verified": verified, "new_passages": passages, **rebuilt,
                "relations": counts,
                "duplicates_added": changes["added"], "duplicates_removed": changes["removed"],
                "worker_processes": getattr(mapper, "started", 0)}
    finally:
        conn.close()


__all__ = ["dedupe_job"]
