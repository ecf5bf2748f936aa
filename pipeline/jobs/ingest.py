"""Ingest job: read every input, parse, assign ids, write sources/documents/quarantine."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pipeline.ingest import assign_ids, iter_input_files, read_input
from pipeline.ingest.core import InputOutcome, sha256_file
from pipeline.jobs.context import JobContext
from pipeline.store import connect, transaction
from pipeline.store.documents import (
    QuarantineRow,
    SourceRow,
    known_post_keys,
    known_shas,
    write_quarantine,
    write_source,
)


def _raw_for_quarantine(path: Path, cap: int) -> tuple[bytes, bool]:
    with path.open("rb") as fh:
        raw = fh.read(cap + 1)
    return raw[:cap], len(raw) > cap


def outcome_rows(outcome: InputOutcome, cap: int) -> list[QuarantineRow]:
    """Quarantine rows for a failed input, or for the fragments a parse could not place."""
    rows: list[QuarantineRow] = []
    if outcome.error is not None:
        raw, cut = _raw_for_quarantine(Path(outcome.path), cap)
        rows.append(QuarantineRow(outcome.path, outcome.sha256, "", outcome.error.code,
                                  outcome.error.message, raw, cut))
    elif outcome.result is not None:
        for rej in outcome.result.rejects:
            raw = rej.raw.encode("utf-8", "surrogateescape") if isinstance(rej.raw, str) else rej.raw
            rows.append(QuarantineRow(outcome.path, outcome.sha256, rej.locator, rej.code, rej.reason,
                                      raw[:cap], len(raw) > cap))
    return rows


def ingest_job(ctx: JobContext) -> dict:
    """Ingest ``ctx.paths``. Bad files are quarantined and the run goes on.

    All writes of the job happen in one transaction: a failure leaves the database as
    it was. Returns counts of each outcome.
    """
    cfg = ctx.config.section("ingest")
    max_bytes = int(cfg["max_file_mb"] * 2**20)
    cap = int(cfg["quarantine_raw_max_bytes"])
    tz = cfg["timezone"]
    options = dict(ctx.options.get("reader_options", {}))
    forced = ctx.options.get("format")

    files = list(iter_input_files(ctx.paths, skip_hidden=cfg["skip_hidden"]))
    conn = connect(ctx.db_path)
    try:
        seen_shas = known_shas(conn)
        post_keys = known_post_keys(conn)
        counts: Counter[str] = Counter()
        outcomes: list[InputOutcome] = []
        for i, path in enumerate(files, 1):
            ctx.progress("ingest", i - 1, len(files))
            sha, _ = sha256_file(path)
            if sha in seen_shas:
                counts["unchanged"] += 1
                continue
            seen_shas.add(sha)
            outcomes.append(read_input(path, timezone=tz, max_bytes=max_bytes,
                                       sniff_bytes=int(cfg["sniff_bytes"]), forced_format=forced,
                                       options=options, known_sha=sha))
        ctx.progress("ingest", len(files), len(files))

        # Posts first, so that comments-only feeds in the same batch find their posts.
        outcomes.sort(key=lambda o: 0 if o.ok and any(d.kind == "post" for d in o.result.docs) else 1)
        new_docs = 0
        errors: list[str] = []
        with transaction(conn):
            for o in outcomes:
                qrows = outcome_rows(o, cap)
                write_quarantine(conn, qrows, ctx.run_id)
                if not o.ok:
                    counts[f"quarantined:{o.error.code}"] += 1
                    errors.append(f"{o.path}: {o.error.message}")
                    continue
                res = o.result
                docs, keys = assign_ids(res, tz, post_keys)
                post_keys.update(keys)
                warnings = list(res.warnings)
                if res.declared_comments is not None and res.declared_comments != res.parsed_comments:
                    warnings.append(
                        f"declared {res.declared_comments} comments, parsed {res.parsed_comments}"
                    )
                src = SourceRow("s_" + o.sha256[:16], o.path, res.format, o.sha256, o.size,
                                res.declared_comments, res.parsed_comments, warnings)
                new_docs += write_source(conn, src, docs, keys, ctx.run_id)
                counts["ingested"] += 1
                if res.rejects:
                    counts["partial"] += 1
                if warnings:
                    counts["with_warnings"] += 1
    finally:
        conn.close()
    return {"files": len(files), "outcomes": dict(sorted(counts.items())), "new_documents": new_docs,
            "errors": errors}


