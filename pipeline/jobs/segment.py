"""Segment job: own words vs quoted and pasted text, for stale documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.clean.frame import options_from_config
from pipeline.config import ConfigError, resolve_path
from pipeline.dedupe import chronological_rank
from pipeline.jobs.context import JobContext
from pipeline.segment import LOGIC_VERSION, SegmentOptions, segment_frame
from pipeline.segment.features import ParagraphModel, load_model
from pipeline.settings import settings_key
from pipeline.store import connect, transaction
from pipeline.store import segments as store


def load_classifier(seg_cfg: Mapping[str, Any]) -> ParagraphModel | None:
    """The paragraph classifier ``segment.classifier_model`` names (None when "")."""
    path = str(seg_cfg["classifier_model"]).strip()
    if not path:
        return None
    try:
        return load_model(resolve_path(path))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def segment_options(config) -> SegmentOptions:
    """``SegmentOptions`` from a loaded config: ``[segment]``, the sign-off settings of
    ``[clean]`` and the paragraph classifier."""
    _, signoff_opts = options_from_config(config.section("clean"))
    seg_cfg = config.section("segment")
    return SegmentOptions.from_config(seg_cfg, signoff_opts, classifier=load_classifier(seg_cfg))


def segment_job(ctx: JobContext) -> dict:
    """Segment documents whose text, shared passages, copy relations or settings changed
    since they were last segmented, oldest first (a quotation's kind follows its
    source's). Writes ``segments`` and the own text, in one transaction."""
    clean_cfg = ctx.config.section("clean")
    seg_cfg = ctx.config.section("segment")
    opts = segment_options(ctx.config)
    key = settings_key(LOGIC_VERSION, seg_cfg, opts.classifier.to_json() if opts.classifier else None,
                       {k: clean_cfg[k] for k in ("anonymous_authors", "signoff_max_words", "signoff_max_chars",
                                                  "signoff_extra_stopwords")})
    conn = connect(ctx.db_path)
    try:
        docs = store.segment_inputs(conn, key)
        todo = docs[docs["stale"]]
        ctx.progress("segment", 0, len(todo))
        rank = chronological_rank(docs)
        posts = set(todo["post_id"])
        thread = docs[docs["post_id"].isin(posts)][["doc_id", "post_id", "clean_text"]]
        segs, own = segment_frame(
            todo, store.spans_for(conn, list(todo["doc_id"])), rank, thread_docs=thread,
            copy_of=store.copy_clusters(conn), stored_segments=store.stored_segments(conn),
            stored_authors=store.stored_authors(conn), anonymous=clean_cfg["anonymous_authors"], opts=opts)
        own = own.merge(todo[["doc_id", "input_key"]], on="doc_id")
        with transaction(conn):
            store.write_segments(conn, segs, own, ctx.run_id)
        ctx.progress("segment", len(todo), len(todo))
        kinds = segs["kind"].value_counts().to_dict() if len(segs) else {}
        return {"segmented": len(todo), "segments": {k: int(v) for k, v in sorted(kinds.items())},
                "posts_with_intro": int(own["post_own_intro"].notna().sum()) if len(own) else 0,
                "with_quotes": int(segs[segs["kind"] != "own"]["doc_id"].nunique()) if len(segs) else 0}
    finally:
        conn.close()
