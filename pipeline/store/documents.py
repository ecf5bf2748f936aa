"""Reads and idempotent writes for sources, documents and quarantine."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb
import pandas as pd

from pipeline.records import Document


@dataclass(frozen=True)
class SourceRow:
    source_id: str
    path_or_url: str
    format: str
    sha256: str
    size_bytes: int
    declared_comments: int | None
    parsed_comments: int
    warnings: list[str]


@dataclass(frozen=True)
class QuarantineRow:
    source: str
    sha256: str
    locator: str
    code: str
    reason: str
    raw: bytes
    raw_truncated: bool = False


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def known_shas(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT sha256 FROM source_files").fetchall()}


def known_post_keys(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, doc_id FROM post_keys").fetchall())


def write_source(
    conn: duckdb.DuckDBPyConnection,
    source: SourceRow,
    docs: Sequence[Document],
    post_keys: dict[str, str],
    run_id: str | None,
) -> int:
    """Record a parsed source and upsert its documents. Returns how many docs were new.

    Merging rules for a document already stored (same doc_id from another form):
    existing values win, missing ones are filled in, and a precise timestamp replaces
    a date-only one. Call inside ``transaction``.
    """
    ts = now_utc()
    conn.execute(
        "INSERT INTO source_files VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (sha256) DO NOTHING",
        [source.source_id, source.path_or_url, source.format, source.sha256, source.size_bytes, ts,
         source.declared_comments, source.parsed_comments, source.warnings, run_id],
    )
    if post_keys:
        kdf = pd.DataFrame({"key": list(post_keys), "doc_id": list(post_keys.values())})
        conn.register("_keys", kdf)
        conn.execute("INSERT INTO post_keys SELECT key, doc_id FROM _keys ON CONFLICT (key) DO NOTHING")
        conn.unregister("_keys")
    if not docs:
        return 0
    uniq: dict[str, Document] = {}
    for d in docs:
        uniq.setdefault(d.doc_id, d)
    df = pd.DataFrame(
        {
            "doc_id": [d.doc_id for d in uniq.values()],
            "kind": [d.kind for d in uniq.values()],
            "post_id": [d.post_id for d in uniq.values()],
            "parent_id": pd.Series([d.parent_id for d in uniq.values()], dtype="object"),
            "position": [d.position for d in uniq.values()],
            "author": pd.Series([d.author for d in uniq.values()], dtype="object"),
            "published_at": pd.Series([d.published_at for d in uniq.values()], dtype="datetime64[us]"),
            "date_only": [bool(d.date_only) for d in uniq.values()],
            "title": pd.Series([d.title for d in uniq.values()], dtype="object"),
            "url": pd.Series([d.url for d in uniq.values()], dtype="object"),
            "text": [d.text for d in uniq.values()],
            "blogger_id": pd.Series([d.blogger_id for d in uniq.values()], dtype="object"),
            "flags": [list(d.flags) for d in uniq.values()],
            "fingerprint": [d.fingerprint for d in uniq.values()],
            "locator": [d.locator for d in uniq.values()],
        }
    )
    conn.register("_docs", df)
    before = conn.execute("SELECT count(*) FROM document_rows").fetchone()[0]
    conn.execute(
        f"""
        INSERT INTO document_rows
        SELECT doc_id, kind, post_id, parent_id, position, author, published_at, date_only, title,
               url, text, blogger_id, CAST(flags AS VARCHAR[]), fingerprint, '{source.source_id}',
               locator, ?
        FROM _docs
        ON CONFLICT (doc_id) DO UPDATE SET
            parent_id = COALESCE(document_rows.parent_id, excluded.parent_id),
            author = COALESCE(document_rows.author, excluded.author),
            published_at = CASE
                WHEN document_rows.published_at IS NULL
                  OR (document_rows.date_only AND NOT excluded.date_only AND excluded.published_at IS NOT NULL)
                THEN excluded.published_at ELSE document_rows.published_at END,
            date_only = CASE
                WHEN document_rows.published_at IS NULL
                  OR (document_rows.date_only AND NOT excluded.date_only AND excluded.published_at IS NOT NULL)
                THEN excluded.date_only ELSE document_rows.date_only END,
            title = COALESCE(document_rows.title, excluded.title),
            url = COALESCE(document_rows.url, excluded.url),
            blogger_id = COALESCE(document_rows.blogger_id, excluded.blogger_id)
        """,
        [run_id],
    )
    conn.execute(
        f"INSERT INTO document_sources SELECT doc_id, '{source.source_id}', locator FROM _docs "
        "ON CONFLICT DO NOTHING"
    )
    after = conn.execute("SELECT count(*) FROM document_rows").fetchone()[0]
    conn.unregister("_docs")
    return int(after - before)


def write_quarantine(
    conn: duckdb.DuckDBPyConnection, rows: Iterable[QuarantineRow], run_id: str | None
) -> int:
    """Insert quarantine rows; the same (input, locator, code) is kept once."""
    n = 0
    ts = now_utc()
    for r in rows:
        res = conn.execute(
            "INSERT INTO quarantine_rows VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING RETURNING 1",
            [r.source, r.sha256, r.locator, r.code, r.reason, r.raw, r.raw_truncated, ts, run_id],
        ).fetchall()
        n += len(res)
    return n


def documents_frame(conn: duckdb.DuckDBPyConnection, where: str = "", params: list | None = None) -> pd.DataFrame:
    """The documents view as a DataFrame, in reading order."""
    sql = "SELECT * FROM documents " + (f"WHERE {where} " if where else "")
    sql += "ORDER BY post_id, position"
    return conn.execute(sql, params or []).df()
