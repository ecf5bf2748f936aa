"""Clean job: clean new or changed documents; extract links, mentions and sign-offs;
resolve every mention against the comments' times."""

from __future__ import annotations

from pipeline.clean import LOGIC_VERSION, clean_frame, resolve_mentions
from pipeline.clean.settings import CleanSettings
from pipeline.ingest.settings import IngestSettings
from pipeline.jobs.context import JobContext, single_threaded_mapper
from pipeline.sections import ScaleSettings
from pipeline.settings import settings_key
from pipeline.settings import typed
from pipeline.store import connect, transaction
from pipeline.store.clean import docs_to_clean, mentions_to_resolve, write_clean, write_mention_targets


def clean_job(ctx: JobContext) -> dict:
    """Clean only documents never cleaned, changed, or cleaned with other ``[clean]``
    settings; mentions are re-resolved every run (a later ingest may bring the times
    that resolve them). Documents are cleaned in shards of ``scale.shard_size`` by the
    run's single-threaded mapper (local worker processes, or a Dask cluster's). One
    transaction."""
    settings = typed(ctx.config, CleanSettings)
    key = settings_key(LOGIC_VERSION, ctx.config.section("clean"))
    tz = typed(ctx.config, IngestSettings).timezone
    conn = connect(ctx.db_path)
    try:
        todo = docs_to_clean(conn, key)
        ctx.progress("clean", 0, len(todo))
        mapper = single_threaded_mapper(ctx)
        res = clean_frame(todo, settings.clean_options(), settings.signoff_options(), mapper=mapper,
                          shard_size=typed(ctx.config, ScaleSettings).shard_size)
        docs = res.docs.merge(todo[["doc_id", "text_md5"]], on="doc_id")
        with transaction(conn):
            write_clean(conn, docs, res.links, res.mentions, key, ctx.run_id)
            mentions, comments = mentions_to_resolve(conn)
            targets = mentions[["doc_id", "seq"]].copy()
            targets["target_doc_id"] = resolve_mentions(mentions, comments, tz)
            changed = write_mention_targets(conn, targets)
        ctx.progress("clean", len(todo), len(todo))
        return {
            "cleaned": len(todo),
            "links": len(res.links),
            "mentions": len(res.mentions),
            "signoffs": int(docs["signoff"].notna().sum()) if len(docs) else 0,
            "mentions_resolved": int(targets["target_doc_id"].notna().sum()) if len(targets) else 0,
            "mention_targets_changed": changed,
            "worker_processes": getattr(mapper, "started", 0),
        }
    finally:
        conn.close()
