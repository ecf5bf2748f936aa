"""Quotes job: each segmented document's quote (verbatim pieces of whole own sentences),
for documents whose text, own segments, author or settings changed. The spaCy tags of the
own texts its parse read whole come back with the quotes and are stored (``token_tags``)
for the topics fit and classify, which would otherwise tag those texts again."""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd

from pipeline.jobs.context import JobContext, Mapper, largest_first, serial_map, single_threaded_mapper
from pipeline.quotes import LOGIC_VERSION, QuoteOptions
from pipeline.quotes.batch import QuoteInput, quote_documents
from pipeline.sections import ScaleSettings
from pipeline.settings import settings_key, typed
from pipeline.shards import slices
from pipeline.store import connect, transaction
from pipeline.store import quotes as store
from pipeline.store.tags import write_tags

COLUMNS = ["doc_id", "input_key", "quote", "pieces", "n_words", "reason", "names_flagged", "first_sentence"]
TAG_COLUMNS = ["own_hash", "tags", "tagger"]
"""What :func:`quote_rows` adds for :func:`keep_own_tags`: the own text's content hash, its
tags and their tagger (None where the parse did not read the own text whole)."""


def inputs_of(docs: pd.DataFrame) -> list[QuoteInput]:
    """The documents of :func:`pipeline.store.quotes.quote_inputs` as quote inputs."""
    hashes = docs["own_hash"] if "own_hash" in docs else [None] * len(docs)
    return [QuoteInput(text, tuple((int(s), int(e)) for s, e in (own if own is not None else ())),
                       tuple(h for h in (handles if handles is not None else ()) if h),
                       own_hash if isinstance(own_hash, str) else None)
            for text, own, handles, own_hash in zip(docs["clean_text"], docs["own_spans"], docs["handles"], hashes)]


def own_chars(doc: QuoteInput) -> int:
    """Characters of a document's own spans (about what its quote's parse reads)."""
    return sum(max(0, e - s) for s, e in doc.own)


def quote_rows(docs: pd.DataFrame, opts: QuoteOptions, scale: ScaleSettings, progress=None,
               mapper: Mapper = serial_map) -> pd.DataFrame:
    """Quote rows for ``docs`` (``doc_id, clean_text, own_spans, handles, input_key``),
    ``scale.quotes_shard_size`` documents per shard, the shards run by ``mapper`` (in this process, in
    local worker processes, or on a Dask cluster's workers: the quotes of a document depend
    on it alone). The shards take the documents by the length of their own words, longest
    first: each shard's parse batches then hold texts of like lengths (see
    :func:`pipeline.nlp.pipe_by_length`), and the last shards, the quickest, even out the
    workers' ends. The rows come back in ``docs``' order, with :data:`TAG_COLUMNS` (tags
    only for documents whose ``own_hash`` is given)."""
    inputs = inputs_of(docs)
    order = largest_first([own_chars(d) for d in inputs])
    size = scale.quotes_shard_size
    shards = [[inputs[i] for i in part] for part in slices(order, size)]
    done: list = []
    for shard in mapper(partial(quote_documents, opts=opts, batch_tokens=scale.parse_batch_tokens), shards):
        done += shard
        if progress:
            progress("quotes", len(done), len(inputs))
    out: list = [None] * len(inputs)
    for i, r in zip(order, done):
        out[i] = r
    return pd.DataFrame({
        "doc_id": docs["doc_id"].tolist(), "input_key": docs["input_key"].tolist(),
        "quote": [r.quote.text for r in out],
        "pieces": [[{"start": s, "end": e} for s, e in r.quote.pieces] for r in out],
        "n_words": [r.quote.n_words for r in out], "reason": [r.quote.reason for r in out],
        "names_flagged": [list(r.names) for r in out], "first_sentence": [r.first_sentence for r in out],
        "own_hash": [d.own_hash if r.tags is not None else None for d, r in zip(inputs, out)],
        "tags": [r.tags for r in out], "tagger": [r.tagger for r in out],
    }, columns=COLUMNS + TAG_COLUMNS)


def keep_own_tags(conn: Any, rows: pd.DataFrame) -> int:
    """Store the tags :func:`quote_rows` brought back (an existing text's are kept);
    returns the rows added."""
    made: dict[str, dict[str, bytes]] = {}
    for own_hash, tags, tagger in zip(rows["own_hash"], rows["tags"], rows["tagger"]):
        if tags is not None and isinstance(tagger, str):
            made.setdefault(tagger, {})[own_hash] = tags
    return sum(write_tags(conn, tags, tagger) for tagger, tags in made.items())


def quotes_job(ctx: JobContext) -> dict:
    """Build the quotes of stale documents and write them in one transaction."""
    opts = QuoteOptions.from_config(ctx.config.section("quotes"))
    key = settings_key(LOGIC_VERSION, opts.stored_key())
    conn = connect(ctx.db_path)
    try:
        docs = store.quote_inputs(conn, key)
        todo = docs[docs["stale"]]
        ctx.progress("quotes", 0, len(todo))
        mapper = single_threaded_mapper(ctx)
        rows = quote_rows(todo, opts, typed(ctx.config, ScaleSettings), ctx.progress, mapper)
        with transaction(conn):
            store.write_quotes(conn, rows, ctx.run_id)
            tags_kept = keep_own_tags(conn, rows) if len(rows) else 0
        ok = rows[rows["reason"] == "ok"] if len(rows) else rows
        return {"built": len(rows), "with_quote": len(ok),
                "elided": int((ok["pieces"].map(len) > 1).sum()) if len(ok) else 0,
                "too_short": int((rows["reason"] == "too_short").sum()) if len(rows) else 0,
                "no_own_words": int((rows["reason"] == "no_own_words").sum()) if len(rows) else 0,
                "tags_kept": tags_kept,
                "worker_processes": getattr(mapper, "started", 0)}
    finally:
        conn.close()
