"""Index job: rebuild the BM25 full-text index over own words when the texts changed.

What was indexed is recorded (a fingerprint of every (doc_id, own text) pair and the
tokenising settings): a re-run with the same texts changes nothing.
"""

from __future__ import annotations

import time

from pipeline.jobs.context import JobContext
from pipeline.search import SearchSettings, needs_rebuild, texts_fingerprint
from pipeline.settings import typed
from pipeline.store import connect, transaction
from pipeline.store.search import bm25_ready, index_state, own_texts, rebuild_bm25


def index_job(ctx: JobContext) -> dict:
    settings = typed(ctx.config, SearchSettings)
    conn = connect(ctx.db_path)
    try:
        docs = own_texts(conn)
        total = len(docs)
        ctx.progress("index", 0, total)
        fingerprint = texts_fingerprint(zip(docs.doc_id, docs.own_text))
        start = time.perf_counter()
        rebuilt = needs_rebuild(index_state(conn), fingerprint, settings, bm25_ready(conn))
        if rebuilt:
            with transaction(conn):
                rebuild_bm25(conn, docs, fingerprint, settings.fts_stemmer, settings.fts_stopwords, ctx.run_id)
        ctx.progress("index", total, total)
    finally:
        conn.close()
    return {"documents": total, "rebuilt": rebuilt, "fingerprint": fingerprint[:12],
            "seconds": round(time.perf_counter() - start, 2)}
