"""Index job: bring the BM25 full-text index over own words up to date.

Each indexed document's text hash is kept with its terms: a run indexes only the
documents that are new or whose own text changed and removes those that are gone, and
rebuilds everything only when there is no index or the tokenising settings changed
(``pipeline.search.index_plan``). A re-run with the same texts changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pipeline.jobs.context import JobContext
from pipeline.search import IndexPlan, SearchSettings, index_fingerprint, index_plan
from pipeline.settings import typed
from pipeline.store import connect, transaction
from pipeline.store.search import SEARCHED, bm25_ready, index_state, indexed_hashes, own_text_hashes, update_bm25


def update_index(conn, settings: SearchSettings, run_id: str | None, source: str = SEARCHED,
                 started: Callable[[int], None] = lambda total: None) -> tuple[IndexPlan, int, str]:
    """Read the own texts' hashes and the index's, plan, and update the index in one
    transaction when the plan changes anything; returns the plan, the number of documents
    and the fingerprint of their texts. ``started(total)`` is called once the documents
    are counted. ``source``: the searchable documents (a test may name a table of its own)."""
    current = own_text_hashes(conn, source)
    started(len(current))
    hashes = dict(zip(current.doc_id, current.text_hash))
    fingerprint = index_fingerprint(hashes.items())
    stored = indexed_hashes(conn)
    plan = index_plan(index_state(conn), hashes, dict(zip(stored.doc_id, stored.text_hash)), settings,
                      bm25_ready(conn))
    if plan.update != "none":
        with transaction(conn):
            update_bm25(conn, plan.add, plan.remove, plan.full, fingerprint, settings.fts_stemmer,
                        settings.fts_stopwords, run_id, source=source)
    return plan, len(hashes), fingerprint


def index_job(ctx: JobContext) -> dict:
    settings = typed(ctx.config, SearchSettings)
    conn = connect(ctx.db_path)
    try:
        start = time.perf_counter()
        plan, total, fingerprint = update_index(conn, settings, ctx.run_id,
                                                started=lambda total: ctx.progress("index", 0, total))
        ctx.progress("index", total, total)
    finally:
        conn.close()
    return {"documents": total, "update": plan.update, "indexed": len(plan.add), "removed": len(plan.remove),
            "fingerprint": fingerprint[:12], "seconds": round(time.perf_counter() - start, 2)}
