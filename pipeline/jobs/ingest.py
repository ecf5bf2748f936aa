"""Ingest job: read every input, parse, assign ids, write sources/documents/quarantine."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

from pipeline.ingest import assign_ids, post_keys_of, resolve_outside
from pipeline.ingest.batch import edit_warnings, read_inputs
from pipeline.ingest.blogger import number_positions
from pipeline.ingest.core import InputOutcome, display_path, name_warning, reader_error
from pipeline.ingest.ids import StreamIds
from pipeline.ingest.settings import IngestSettings
from pipeline.jobs.context import JobContext
from pipeline.records import UNPLACED_ROW, InputError
from pipeline.settings import typed
from pipeline.store import connect, set_memory, transaction
from pipeline.store.documents import (
    QuarantineRow,
    SourceRow,
    apply_edits,
    clear_unplaced,
    find_edits,
    known_post_keys,
    known_shas,
    last_positions,
    write_documents,
    write_post_keys,
    write_quarantine,
    write_sources,
)


def _raw_for_quarantine(path: Path, cap: int) -> tuple[bytes, bool]:
    with path.open("rb") as fh:
        raw = fh.read(cap + 1)
    return raw[:cap], len(raw) > cap


def outcome_rows(outcome: InputOutcome, cap: int) -> list[QuarantineRow]:
    """Quarantine rows for a failed input, or for the fragments a parse could not place."""
    rows: list[QuarantineRow] = []
    shown = display_path(outcome.path)
    if outcome.error is not None:
        raw, cut = b"", False  # a path problem (loop, pipe, unreadable): no bytes to keep
        if os.path.isfile(outcome.path):  # never open a pipe or device
            try:
                raw, cut = _raw_for_quarantine(Path(outcome.path), cap)
            except OSError:
                pass
        rows.append(QuarantineRow(shown, outcome.sha256, "", outcome.error.code,
                                  outcome.error.message, raw, cut))
    elif outcome.result is not None:
        for rej in outcome.result.rejects:
            raw = rej.raw.encode("utf-8", "surrogateescape") if isinstance(rej.raw, str) else rej.raw
            rows.append(QuarantineRow(shown, outcome.sha256, rej.locator, rej.code, rej.reason,
                                      raw[:cap], len(raw) > cap))
    return rows


def ingest_job(ctx: JobContext) -> dict:
    """Ingest ``ctx.paths``. Bad files are quarantined and the run goes on.

    All writes of the job happen in one transaction: a failure leaves the database as
    it was. Files of ``ingest.stream_min_mb`` or more whose reader can stream (text
    copies) are never held whole: their documents are read and written in batches of
    ``ingest.batch_documents`` / ``ingest.batch_mb`` inside that transaction. Returns
    counts of each outcome.
    """
    settings = typed(ctx.config, IngestSettings)
    conn = connect(ctx.db_path)
    try:
        batch = read_inputs(ctx.paths, settings, known_shas=known_shas(conn),
                            forced_format=ctx.options.get("format"), options=ctx.options.get("reader_options"),
                            follow_symlinks=ctx.options.get("follow_symlinks"), progress=ctx.progress)
        outcomes = batch.outcomes
        post_keys = known_post_keys(conn)
        counts: Counter[str] = Counter(unchanged=batch.unchanged)
        tz, cap = settings.timezone, settings.quarantine_raw_max_bytes

        # Posts first, so that comments-only feeds in the same batch find their posts.
        outcomes.sort(key=lambda o: 0 if o.ok and (o.stream is not None or any(d.kind == "post" for d in o.result.docs)) else 1)
        for o in outcomes:  # a table's comments find their post in any file of the batch
            if o.ok and o.stream is None and o.result.table_ids:
                for key, pid in post_keys_of(o.result, tz, post_keys).items():
                    post_keys.setdefault(key, pid)
        errors: list[str] = []
        sources: list[SourceRow] = []
        items: list = []
        batch_keys: dict[str, str] = {}
        batch_last: dict[str, int] = {}  # post doc id -> highest comment position read in this batch
        streamed: list[tuple[InputOutcome, StreamIds, int]] = []  # written after items[:n]
        for o in outcomes:
            if o.ok and o.stream is not None:
                ids = _start_stream(o, tz, post_keys)
                if ids is not None:
                    for key, pid in ids.keys.items():
                        post_keys.setdefault(key, pid)
                        batch_keys.setdefault(key, pid)
                    streamed.append((o, ids, len(items)))
                    counts["ingested"] += 1
                    continue
            if not o.ok:
                counts[f"quarantined:{o.error.code}"] += 1
                errors.append(f"{display_path(o.path)}: {o.error.message}")
                continue
            res, outside = _place_outside(conn, o.result, tz, post_keys, batch_last)
            o.result = res  # its rejects are quarantined with the file's
            docs, keys = assign_ids(res, tz, post_keys, outside=outside)
            for key, pid in keys.items():
                post_keys.setdefault(key, pid)  # first form seen wins, as in the store
                batch_keys.setdefault(key, pid)
            warnings = list(res.warnings)
            if res.declared_comments is not None and res.declared_comments != res.parsed_comments:
                warnings.append(f"declared {res.declared_comments} comments, parsed {res.parsed_comments}")
            src = SourceRow("s_" + o.sha256[:16], display_path(o.path), res.format, o.sha256, o.size,
                            res.declared_comments, res.parsed_comments, warnings)
            sources.append(src)
            items.extend((d, src.source_id) for d in docs)
            for d in docs:
                if d.kind == "comment":
                    batch_last[d.post_id] = max(batch_last.get(d.post_id, 0), d.position)
            counts["ingested"] += 1
            counts["partial"] += bool(res.rejects)
            counts["with_warnings"] += bool(warnings)
        # A known Blogger id with another text is an edit: never dropped (warned, versioned).
        edits, variants = find_edits(conn, items, {s.source_id: s.format for s in sources})
        sources = _warn_edits(sources, edits, variants)
        counts["with_warnings"] = sum(bool(s.warnings) for s in sources)
        if streamed:  # DuckDB keeps the transaction's rows in memory unless told to spill them
            set_memory(conn, settings.stream_duckdb_mb)
        with transaction(conn):
            clear_unplaced(conn, [o.sha256 for o in outcomes if o.ok])
            write_quarantine(conn, [r for o in outcomes if o.stream is None for r in outcome_rows(o, cap)],
                             ctx.run_id)
            write_sources(conn, sources, ctx.run_id)
            write_post_keys(conn, batch_keys)
            new_docs, done = 0, 0
            for o, ids, upto in streamed:  # in the order of the batch, as one write would be
                new_docs += write_documents(conn, items[done:upto], ctx.run_id)
                done = upto
                src, n = _write_stream(conn, o, ids, settings.stream_batch, ctx.run_id)
                new_docs += n
                write_quarantine(conn, outcome_rows(o, cap), ctx.run_id)
                write_sources(conn, [src], ctx.run_id)
                sources.append(src)
                counts["partial"] += bool(o.result.rejects)
            new_docs += write_documents(conn, items[done:], ctx.run_id)
            apply_edits(conn, edits, ctx.run_id)
        counts["with_warnings"] = sum(bool(s.warnings) for s in sources)
    finally:
        conn.close()
    outcomes_count = {k: v for k, v in sorted(counts.items()) if v}
    unplaced = sum(r.code == UNPLACED_ROW for o in outcomes if o.ok for r in o.result.rejects)
    return {"files": batch.found, "outcomes": outcomes_count, "new_documents": new_docs,
            "edited": len(edits), "unplaced_rows": unplaced, "errors": errors}


def _place_outside(conn, res, tz: str, post_keys: dict[str, str], batch_last: dict[str, int]):
    """A table's comments on posts (or replies to comments) of other inputs: placed
    against the posts stored and read earlier in this batch, or rejected with the reason
    (:func:`pipeline.ingest.resolve_outside`); a post's new comments are numbered after
    the highest position it has, stored or read in this batch."""
    res, outside = resolve_outside(res, tz, post_keys)
    if outside:
        stored = last_positions(conn, outside.values())
        res.docs = number_positions(res.docs, {ref: max(stored.get(pid, 0), batch_last.get(pid, 0))
                                               for ref, pid in outside.items()})
    return res, outside


def _start_stream(o: InputOutcome, tz: str, post_keys: dict[str, str]) -> StreamIds | None:
    """Read a streamed input's post (its first document) and place it among the known
    posts. A reader error here (an empty copy) makes the outcome a quarantined one."""
    try:
        post = next(o.stream)
    except Exception as exc:  # noqa: BLE001  (sorted out by reader_error; others re-raised)
        err = reader_error(exc, o.format)
        if err is None:
            raise
        o.error, o.stream = err, None
        return None
    return StreamIds(post, tz, post_keys)


def _read_stream(o: InputOutcome):
    """A streamed input's remaining documents; a reader error half-way (the file changed
    between the passes) stops the job with one line (its transaction is rolled back)."""
    try:
        yield from o.stream
    except Exception as exc:  # noqa: BLE001
        err = reader_error(exc, o.format)
        if err is None:
            raise
        raise InputError("stream_failed", f"{display_path(o.path)} failed half-way through ({err}); "
                         "nothing was stored: fix or remove the file and run again") from exc


def _write_stream(conn, o: InputOutcome, ids: StreamIds, batch: tuple[int, int],
                  run_id: str | None) -> tuple[SourceRow, int]:
    """Write a streamed input's documents in batches (at most ``batch`` = (documents,
    bytes of text) held at a time). A failure half-way stops the job; its transaction
    is rolled back. Returns the source row (known once all is read) and new documents."""
    max_docs, max_bytes = batch
    source_id = "s_" + o.sha256[:16]
    new, comments = 0, 0
    pending: list = []
    held = 0

    def flush(head: list) -> tuple[int, int]:
        docs = ids.comments(pending)
        pending.clear()
        return len(docs), write_documents(conn, head + [(d, source_id) for d in docs], run_id)

    head = [(ids.post, source_id)]
    for doc in _read_stream(o):
        pending.append(doc)
        held += len(doc.text)
        if len(pending) >= max_docs or held >= max_bytes:
            n, w = flush(head)
            comments, new, head, held = comments + n, new + w, [], 0
    n, w = flush(head)
    comments, new = comments + n, new + w
    res = o.result
    warnings = list(res.warnings)
    if res.declared_comments is not None and res.declared_comments != comments:
        warnings.append(f"declared {res.declared_comments} comments, parsed {comments}")
    if warn := name_warning(o.path):
        warnings.append(warn)
    return SourceRow(source_id, display_path(o.path), res.format, o.sha256, o.size,
                     res.declared_comments, comments, warnings), new


def _warn_edits(sources: list[SourceRow], edits: list, variants: list) -> list[SourceRow]:
    """Each source that brings a new text of a known document says so in its warnings."""
    by_source = edit_warnings(edits, variants)
    return [replace(s, warnings=[*s.warnings, *by_source.get(s.source_id, [])]) for s in sources]
