"""Reads and idempotent writes for topic models, topics, document topics and quotes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from pipeline.store.connection import registered, upsert
from pipeline.store.documents import now_utc


def current_model(conn: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The current topic model's row (run_id, model_path, embedding_model_id, ...) or None."""
    cur = conn.execute("SELECT * FROM topic_model_rows WHERE is_current ORDER BY created_at DESC LIMIT 1")
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row))


def model_row(conn: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any] | None:
    cur = conn.execute("SELECT * FROM topic_model_rows WHERE run_id = ?", [run_id])
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row)) if row else None


def write_model(conn: duckdb.DuckDBPyConnection, run_id: str, model_path: str, embedding_model_id: str,
                embedding_chunking: str, input_hash: str, n_documents: int, params: dict, metrics: dict,
                code_version: str) -> None:
    """Record a fitted model and make it the current one."""
    conn.execute("UPDATE topic_model_rows SET is_current = false WHERE is_current")
    conn.execute(
        "INSERT INTO topic_model_rows VALUES (?,?,?,?,?,?,?,?,?,?,true)",
        [run_id, model_path, now_utc(), embedding_model_id, embedding_chunking, input_hash, n_documents,
         json.dumps(params, sort_keys=True), json.dumps(metrics, sort_keys=True, default=str), code_version],
    )


def write_topics(conn: duckdb.DuckDBPyConnection, run_id: str, topics: pd.DataFrame,
                 npmi: dict[int, float | None]) -> None:
    """Topic rows of a fit: topic_id, label, top_terms, size."""
    df = pd.DataFrame({
        "topic_id": topics.topic_id.astype(int),
        "label": topics.label,
        "top_terms": [list(t) for t in topics.top_terms],
        "fit_size": topics["size"].astype(int),
        "npmi": [npmi.get(int(t)) for t in topics.topic_id],
    })
    with registered(conn, "_topics", df) as conn:
        conn.execute(
            "INSERT INTO topic_rows SELECT ?, topic_id, label, CAST(top_terms AS VARCHAR[]), fit_size, "
            "CAST(npmi AS DOUBLE) FROM _topics ON CONFLICT DO NOTHING", [run_id])


def write_doc_topics(conn: duckdb.DuckDBPyConnection, run_id: str, rows: pd.DataFrame,
                     assigned_run_id: str | None) -> int:
    """Upsert (doc_id, topic_id, probability, method, content_hash) rows under model ``run_id``."""
    if rows.empty:
        return 0
    with registered(conn, "_dt", rows[["doc_id", "topic_id", "probability", "method", "content_hash"]]) as conn:
        upsert(conn, "doc_topic_rows", "SELECT ? AS run_id, doc_id, CAST(topic_id AS INTEGER), "
               "CAST(probability AS DOUBLE), method, content_hash, ? FROM _dt", [run_id, assigned_run_id])
    return len(rows)


def assigned_hashes(conn: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str]:
    """doc_id -> content hash of every document assigned under model ``run_id``."""
    return dict(conn.execute("SELECT doc_id, content_hash FROM doc_topic_rows WHERE run_id = ?",
                             [run_id]).fetchall())


def drop_doc_topics(conn: duckdb.DuckDBPyConnection, run_id: str, doc_ids: Sequence[str]) -> int:
    """Remove documents (no longer unique, or too short now) from model ``run_id``."""
    if not doc_ids:
        return 0
    with registered(conn, "_gone", pd.DataFrame({"doc_id": list(doc_ids)})) as conn:
        return len(conn.execute(
            "DELETE FROM doc_topic_rows WHERE run_id = ? AND doc_id IN (SELECT doc_id FROM _gone) RETURNING 1",
            [run_id]).fetchall())


def write_quotes(conn: duckdb.DuckDBPyConnection, run_id: str, quotes: Sequence[Any]) -> None:
    """Representative quotes (topic_id, rank, doc_id, quote, similarity)."""
    if not quotes:
        return
    df = pd.DataFrame({
        "topic_id": [q.topic_id for q in quotes], "rank": [q.rank for q in quotes],
        "doc_id": [q.doc_id for q in quotes], "quote": [q.quote for q in quotes],
        "similarity": [q.similarity for q in quotes],
    })
    with registered(conn, "_q", df) as conn:
        conn.execute("INSERT INTO topic_quote_rows SELECT ?, topic_id, rank, doc_id, quote, similarity FROM _q "
                     "ON CONFLICT DO NOTHING", [run_id])


def topics_frame(conn: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """The topics view of one model, by topic id."""
    return conn.execute("SELECT * FROM topics WHERE run_id = ? ORDER BY topic_id", [run_id]).df()


def quotes_frame(conn: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    return conn.execute("SELECT * FROM topic_quotes WHERE run_id = ? ORDER BY topic_id, rank", [run_id]).df()
