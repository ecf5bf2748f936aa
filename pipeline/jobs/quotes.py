"""Quotes job: each segmented document's quote (verbatim pieces of whole own sentences),
for documents whose text, own segments, author or settings changed."""

from __future__ import annotations

import pandas as pd

from pipeline.jobs.context import JobContext
from pipeline.quotes import LOGIC_VERSION, QuoteOptions, build_quote, first_sentence
from pipeline.quotes.sentences import analyse, load_nlp, names_in
from pipeline.settings import settings_key
from pipeline.store import connect, transaction
from pipeline.store import quotes as store

BATCH = 64


def quote_rows(docs: pd.DataFrame, opts: QuoteOptions, progress=None) -> pd.DataFrame:
    """Quote rows for ``docs`` (``doc_id, clean_text, own_spans, handles, input_key``)."""
    rows = []
    nlp = load_nlp() if len(docs) else None
    if nlp is not None and len(docs):
        nlp.max_length = max(nlp.max_length, int(docs["clean_text"].str.len().max()) + 1)
    records = docs.to_dict("records")
    for i in range(0, len(records), BATCH):
        batch = records[i:i + BATCH]
        for d, a in zip(batch, analyse([d["clean_text"] for d in batch], nlp)):
            text = d["clean_text"]
            own = [(int(s), int(e)) for s, e in (d["own_spans"] if d["own_spans"] is not None else [])]
            handles = [h for h in (d["handles"] if d["handles"] is not None else []) if h]
            q = build_quote(text, own, a.sentences, opts, handles)
            rows.append({
                "doc_id": d["doc_id"], "input_key": d["input_key"], "quote": q.text,
                "pieces": [{"start": s, "end": e} for s, e in q.pieces], "n_words": q.n_words, "reason": q.reason,
                "names_flagged": names_in(text, a.persons, q.pieces),
                "first_sentence": first_sentence(text, own, a.sentences),
            })
        if progress:
            progress("quotes", min(i + BATCH, len(records)), len(records))
    return pd.DataFrame(rows, columns=["doc_id", "input_key", "quote", "pieces", "n_words", "reason",
                                       "names_flagged", "first_sentence"])


def quotes_job(ctx: JobContext) -> dict:
    """Build the quotes of stale documents and write them in one transaction."""
    opts = QuoteOptions.from_config(ctx.config.section("quotes"))
    key = settings_key(LOGIC_VERSION, opts)
    conn = connect(ctx.db_path)
    try:
        docs = store.quote_inputs(conn, key)
        todo = docs[docs["stale"]]
        ctx.progress("quotes", 0, len(todo))
        rows = quote_rows(todo, opts, ctx.progress)
        with transaction(conn):
            store.write_quotes(conn, rows, ctx.run_id)
        ok = rows[rows["reason"] == "ok"] if len(rows) else rows
        return {"built": len(rows), "with_quote": len(ok),
                "elided": int((ok["pieces"].map(len) > 1).sum()) if len(ok) else 0,
                "too_short": int((rows["reason"] == "too_short").sum()) if len(rows) else 0,
                "no_own_words": int((rows["reason"] == "no_own_words").sum()) if len(rows) else 0}
    finally:
        conn.close()
