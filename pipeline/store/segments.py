"""Reads and idempotent writes for the segment stage: segments and own text."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline.store.connection import registered, upsert


def segment_inputs(conn: duckdb.DuckDBPyConnection, options_key: str) -> pd.DataFrame:
    """Every cleaned document with what its segmentation depends on, and whether it is
    stale: ``doc_id, post_id, kind, position, published_at, post_published_at, author,
    title, clean_text, signoff_raw, signoff, signoff_start, signoff_end, input_key,
    stale``. ``input_key`` digests the clean text, the shared passages, the copy
    relations, the title and the settings; a document is stale when it has no
    segmentation for that key."""
    return conn.execute(
        """
        WITH sp AS (
            SELECT doc_id, string_agg(start || ':' || "end" || ':' || source_doc_id, ','
                                      ORDER BY start, "end", source_doc_id) AS k
            FROM dedupe_spans GROUP BY doc_id
        ),
        du AS (
            SELECT doc_id, string_agg(canonical_id || ':' || relation, ',' ORDER BY canonical_id) AS k
            FROM duplicate_rows GROUP BY doc_id
        ),
        keyed AS (
            SELECT d.doc_id, d.post_id, d.kind, d.position, d.published_at, p.published_at AS post_published_at,
                   d.author, d.title, c.clean_text, c.signoff_raw, c.signoff, c.signoff_start, c.signoff_end,
                   md5(concat_ws('|', md5(c.clean_text), COALESCE(sp.k, ''), COALESCE(du.k, ''),
                                 COALESCE(d.title, ''), COALESCE(d.author, ''), ?)) AS input_key
            FROM document_rows d
            JOIN clean_docs c ON c.doc_id = d.doc_id
            LEFT JOIN document_rows p ON p.doc_id = d.post_id
            LEFT JOIN sp ON sp.doc_id = d.doc_id
            LEFT JOIN du ON du.doc_id = d.doc_id
        )
        SELECT k.*, (o.input_key IS NULL OR o.input_key <> k.input_key) AS stale
        FROM keyed k LEFT JOIN doc_own o ON o.doc_id = k.doc_id
        ORDER BY k.doc_id
        """,
        [options_key],
    ).df()


def spans_for(conn: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> pd.DataFrame:
    """Shared passages of these documents: ``doc_id, start, end, source_doc_id,
    src_start, src_end, n_tokens``."""
    with registered(conn, "_ids", pd.DataFrame({"doc_id": pd.Series(doc_ids, dtype=object)})) as conn:
        df = conn.execute(
            'SELECT doc_id, start, "end", source_doc_id, src_start, src_end, n_tokens FROM dedupe_spans '
            "WHERE doc_id IN (SELECT doc_id FROM _ids) ORDER BY doc_id, start"
        ).df()
    return df


def copy_clusters(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """doc_id -> canonical_id for every copy (exact, near, contained_in)."""
    return dict(conn.execute(
        "SELECT doc_id, min(canonical_id) FROM duplicate_rows "
        "WHERE relation IN ('exact', 'near', 'contained_in') GROUP BY doc_id"
    ).fetchall())


def stored_segments(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored segment: ``doc_id, start, end, kind, source_doc_id``."""
    return conn.execute('SELECT doc_id, start, "end", kind, source_doc_id FROM doc_segments '
                        "ORDER BY doc_id, seg_no").df()


def stored_authors(conn: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """doc_id -> author_inferred of segmented documents."""
    return dict(conn.execute("SELECT doc_id, author_inferred FROM doc_own").fetchall())


def write_segments(conn: duckdb.DuckDBPyConnection, segments: pd.DataFrame, own: pd.DataFrame,
                   run_id: str | None) -> None:
    """Replace the segments and upsert the own text of the documents in ``own``.
    Call inside ``transaction``."""
    if own.empty:
        return
    df = own.copy()
    df["run_id"] = run_id
    with registered(conn, "_own", df) as conn:
        conn.execute("DELETE FROM doc_segments WHERE doc_id IN (SELECT doc_id FROM _own)")
        upsert(conn, "doc_own", "SELECT doc_id, own_text, post_own_intro, author_inferred, republished_from, "
               "republished_author, input_key, run_id FROM _own")
    if not segments.empty:
        with registered(conn, "_segs", segments) as conn:
            conn.execute('INSERT INTO doc_segments (doc_id, seg_no, start, "end", kind, source_doc_id, signal, author, '
                         'reason, score) SELECT doc_id, seg_no, start, "end", kind, source_doc_id, signal, author, '
                         "reason, score FROM _segs")


__all__ = ["segment_inputs", "spans_for", "copy_clusters", "stored_segments", "stored_authors", "write_segments"]
