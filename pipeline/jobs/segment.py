"""Segment job: own words vs quoted and pasted text, for stale documents."""

from __future__ import annotations

from pipeline.clean.settings import CleanSettings
from pipeline.dedupe import chronological_rank
from pipeline.jobs.context import JobContext, single_threaded_mapper
from pipeline.segment import LOGIC_VERSION, segment_frame
from pipeline.segment.settings import segment_options
from pipeline.sections import ScaleSettings
from pipeline.settings import settings_key
from pipeline.settings import typed
from pipeline.store import connect, transaction
from pipeline.store import segments as store


def segment_job(ctx: JobContext) -> dict:
    """Segment documents whose text, shared passages, copy relations or settings changed
    since they were last segmented, oldest first (a quotation's kind follows its
    source's). What each text says alone is found in shards of ``scale.shard_size``
    documents by the run's single-threaded mapper (local worker processes, or a Dask
    cluster's), while this process segments the documents in order. Writes
    ``segments`` and the own text, in one transaction."""
    clean = typed(ctx.config, CleanSettings)
    opts = segment_options(ctx.config)
    key = settings_key(LOGIC_VERSION, ctx.config.section("segment"),
                       opts.classifier.to_json() if opts.classifier else None, clean.signoff_key_parts())
    conn = connect(ctx.db_path)
    try:
        docs = store.segment_inputs(conn, key)
        todo = docs[docs["stale"]]
        ctx.progress("segment", 0, len(todo))
        rank = chronological_rank(docs)
        mapper = single_threaded_mapper(ctx)
        posts = set(todo["post_id"])
        thread = docs[docs["post_id"].isin(posts)][["doc_id", "post_id", "clean_text"]]
        segs, own = segment_frame(
            todo, store.spans_for(conn, list(todo["doc_id"])), rank, thread_docs=thread,
            copy_of=store.copy_clusters(conn), stored_segments=store.stored_segments(conn),
            stored_authors=store.stored_authors(conn), anonymous=clean.anonymous_authors, opts=opts,
            mapper=mapper, shard_size=typed(ctx.config, ScaleSettings).shard_size)
        own = own.merge(todo[["doc_id", "input_key"]], on="doc_id")
        with transaction(conn):
            store.write_segments(conn, segs, own, ctx.run_id)
        ctx.progress("segment", len(todo), len(todo))
        kinds = segs["kind"].value_counts().to_dict() if len(segs) else {}
        return {"segmented": len(todo), "segments": {k: int(v) for k, v in sorted(kinds.items())},
                "posts_with_intro": int(own["post_own_intro"].notna().sum()) if len(own) else 0,
                "with_quotes": int(segs[segs["kind"] != "own"]["doc_id"].nunique()) if len(segs) else 0,
                "worker_processes": getattr(mapper, "started", 0)}
    finally:
        conn.close()
