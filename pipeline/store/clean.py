"""Reads and idempotent writes for the clean stage: cleaned text, links, mentions."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline.store.connection import registered, upsert


def docs_to_clean(conn: duckdb.DuckDBPyConnection, options_key: str) -> pd.DataFrame:
    """``doc_id, text, text_md5`` of documents never cleaned, changed since, or cleaned
    with other settings."""
    return conn.execute(
        """
        SELECT d.doc_id, d.text, md5(d.text) AS text_md5
        FROM document_rows d LEFT JOIN clean_docs c ON c.doc_id = d.doc_id
        WHERE c.doc_id IS NULL OR c.text_md5 <> md5(d.text) OR c.options_key <> ?
        ORDER BY d.doc_id
        """,
        [options_key],
    ).df()


def write_clean(conn: duckdb.DuckDBPyConnection, docs: pd.DataFrame, links: pd.DataFrame,
                mentions: pd.DataFrame, options_key: str, run_id: str | None) -> None:
    """Upsert cleaned documents and replace their links and mentions. ``docs`` has the
    ``clean_frame`` columns plus ``text_md5``. Call inside ``transaction``."""
    if docs.empty:
        return
    df = docs.copy()
    df["options_key"] = options_key
    df["run_id"] = run_id
    with registered(conn, "_clean", df) as conn:
        upsert(conn, "clean_docs", "SELECT doc_id, text_md5, options_key, clean_text, clean_hash, signoff_raw, "
               "signoff, CAST(signoff_start AS INTEGER), CAST(signoff_end AS INTEGER), run_id FROM _clean")
        conn.execute("DELETE FROM doc_links WHERE doc_id IN (SELECT doc_id FROM _clean)")
        conn.execute("DELETE FROM doc_mentions WHERE doc_id IN (SELECT doc_id FROM _clean)")
    if not links.empty:
        with registered(conn, "_links", links) as conn:
            conn.execute('INSERT INTO doc_links SELECT doc_id, position, url, domain, start, "end" FROM _links')
    if not mentions.empty:
        with registered(conn, "_mentions", mentions) as conn:
            conn.execute(
                'INSERT INTO doc_mentions SELECT doc_id, seq, raw, start, "end", hour, minute, CAST("on" AS DATE), '
                "CAST(days_back AS INTEGER), pattern, name, NULL FROM _mentions"
            )


def mentions_to_resolve(conn: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every stored mention with its document's post and time, and the comments of the
    posts that have mentions (``doc_id, post_id, published_at, date_only``)."""
    mentions = conn.execute(
        """
        SELECT m.doc_id, m.seq, d.post_id, d.published_at, d.date_only, m.hour, m.minute,
               m.on_date AS "on", m.days_back
        FROM doc_mentions m JOIN document_rows d ON d.doc_id = m.doc_id
        ORDER BY m.doc_id, m.seq
        """
    ).df()
    comments = conn.execute(
        """
        SELECT doc_id, post_id, published_at, date_only FROM document_rows
        WHERE kind = 'comment' AND post_id IN (
            SELECT DISTINCT d.post_id FROM doc_mentions m JOIN document_rows d ON d.doc_id = m.doc_id)
        """
    ).df()
    return mentions, comments


def write_mention_targets(conn: duckdb.DuckDBPyConnection, targets: pd.DataFrame) -> int:
    """Set ``target_doc_id`` (``doc_id, seq, target_doc_id``); returns how many changed."""
    if targets.empty:
        return 0
    with registered(conn, "_targets", targets) as conn:
        n = conn.execute(
            """
            UPDATE doc_mentions SET target_doc_id = t.target_doc_id FROM _targets t
            WHERE doc_mentions.doc_id = t.doc_id AND doc_mentions.seq = t.seq
              AND doc_mentions.target_doc_id IS DISTINCT FROM t.target_doc_id
            """
        ).fetchone()[0]
    return int(n)


def clean_texts(conn: duckdb.DuckDBPyConnection, doc_ids: list[str] | None = None) -> pd.DataFrame:
    """``doc_id, clean_text, clean_hash, clean_md5`` of cleaned documents (all, or these)."""
    sql = "SELECT doc_id, clean_text, clean_hash, md5(clean_text) AS clean_md5 FROM clean_docs"
    if doc_ids is None:
        return conn.execute(sql + " ORDER BY doc_id").df()
    with registered(conn, "_ids", pd.DataFrame({"doc_id": pd.Series(doc_ids, dtype=object)})) as conn:
        df = conn.execute(sql + " WHERE doc_id IN (SELECT doc_id FROM _ids) ORDER BY doc_id").df()
    return df


__all__ = ["docs_to_clean", "write_clean", "mentions_to_resolve", "write_mention_targets", "clean_texts"]
