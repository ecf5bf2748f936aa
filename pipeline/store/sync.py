"""Reads and idempotent writes for the live-blog sync: watermarks, the fetch log,
deletions noticed on the blog."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb

from pipeline.store.documents import now_utc


@dataclass(frozen=True)
class FetchRow:
    seq: int
    feed: str
    url: str
    status: int
    path: str
    sha256: str
    size_bytes: int
    outcome: str  # ok | malformed


def watermarks(conn: duckdb.DuckDBPyConnection, blog: str) -> dict[str, str | None]:
    """``{feed: watermark}`` stored for ``blog`` (empty before its first sync)."""
    return dict(conn.execute("SELECT feed, watermark FROM sync_state WHERE blog = ?", [blog]).fetchall())


def set_watermarks(conn: duckdb.DuckDBPyConnection, blog: str, marks: dict[str, str | None],
                   run_id: str | None) -> None:
    ts = now_utc()
    for feed, mark in marks.items():
        conn.execute(
            "INSERT INTO sync_state VALUES (?,?,?,?,?) ON CONFLICT (blog, feed) DO UPDATE SET "
            "watermark = excluded.watermark, synced_at = excluded.synced_at, run_id = excluded.run_id",
            [blog, feed, mark, ts, run_id])


def write_fetches(conn: duckdb.DuckDBPyConnection, blog: str, rows: Sequence[FetchRow], run_id: str) -> None:
    for r in rows:
        conn.execute("INSERT INTO sync_fetch_rows VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                     [run_id, r.seq, blog, r.feed, r.url, r.status, r.path, r.sha256, r.size_bytes, now_utc(),
                      r.outcome])


def quarantined_shas(conn: duckdb.DuckDBPyConnection, shas: Sequence[str]) -> set[str]:
    """The ones of ``shas`` with a quarantine row (now or from an earlier read of the same bytes)."""
    return {r[0] for r in conn.execute(
        "SELECT DISTINCT sha256 FROM quarantine_rows WHERE list_contains(?, sha256)", [list(shas)]).fetchall()}


def known_comments(conn: duckdb.DuckDBPyConnection, blogger_post_id: str) -> dict[str, str]:
    """``{Blogger comment id: doc_id}`` of the stored comments of a post (by its Blogger id)."""
    return dict(conn.execute(
        """
        SELECT d.blogger_id, d.doc_id FROM document_rows d
        JOIN post_keys k ON k.key = 'blogger:' || ? AND d.post_id = k.doc_id
        WHERE d.kind = 'comment' AND d.blogger_id IS NOT NULL
        """, [blogger_post_id]).fetchall())


def synced_posts(conn: duckdb.DuckDBPyConnection, blog: str) -> dict[str, str]:
    """``{Blogger post id: doc_id}`` of the posts an earlier sync of ``blog`` read from its posts feed."""
    return dict(conn.execute(
        """
        SELECT DISTINCT d.blogger_id, d.doc_id FROM document_rows d
        JOIN document_sources ds ON ds.doc_id = d.doc_id
        JOIN source_files s ON s.source_id = ds.source_id
        JOIN sync_fetch_rows f ON f.sha256 = s.sha256
        WHERE f.blog = ? AND f.feed = 'posts' AND d.kind = 'post' AND d.blogger_id IS NOT NULL
        """, [blog]).fetchall())


def mark_deleted(conn: duckdb.DuckDBPyConnection, doc_ids: Iterable[str], noticed_in: str,
                 run_id: str | None) -> int:
    """Mark documents deleted on the blog (first notice kept). Returns how many are new."""
    n = 0
    ts = now_utc()
    for doc_id in doc_ids:
        n += len(conn.execute("INSERT INTO document_deletion_rows VALUES (?,?,?,?) ON CONFLICT DO NOTHING "
                              "RETURNING 1", [doc_id, ts, noticed_in, run_id]).fetchall())
    return n


def mark_present(conn: duckdb.DuckDBPyConnection, doc_ids: Iterable[str]) -> int:
    """Documents listed again on the blog are no longer deleted. Returns how many changed."""
    n = 0
    for doc_id in doc_ids:
        n += len(conn.execute("DELETE FROM document_deletion_rows WHERE doc_id = ? RETURNING 1",
                              [doc_id]).fetchall())
    return n


__all__ = ["FetchRow", "watermarks", "set_watermarks", "write_fetches", "known_comments", "synced_posts", "mark_deleted",
           "mark_present"]
