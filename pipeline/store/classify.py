"""Reads and idempotent writes for classification: inputs, per-run outputs, evaluations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

import duckdb
import pandas as pd

from pipeline.classify.cards import LABEL_QUALITY_COLUMNS
from pipeline.store.connection import registered
from pipeline.store.documents import now_utc
from pipeline.store.errors import StoreError


def has_own_text(conn: duckdb.DuckDBPyConnection) -> bool:
    cols = [d[0] for d in conn.execute("SELECT * FROM documents LIMIT 0").description]
    return "own_text" in cols


def classify_inputs(conn: duckdb.DuckDBPyConnection, doc_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """doc_id, kind, post_id, published_at, own_text, post_title and post_own_text (of the
    document's post: its thread context) of every document (or of ``doc_ids``), in
    reading order. Classification reads the author's own words only."""
    if not has_own_text(conn):
        raise StoreError("documents has no own_text column yet: run the clean stage first "
                         "(`probation-corpus run --stage clean`)")
    sql = ("SELECT d.doc_id, d.kind, d.post_id, d.published_at, coalesce(d.own_text, '') AS own_text, "
           "p.title AS post_title, coalesce(p.own_text, '') AS post_own_text "
           "FROM documents d LEFT JOIN documents p ON p.doc_id = d.post_id")
    want: AbstractContextManager = nullcontext()
    if doc_ids is not None:
        want = registered(conn, "_want", pd.DataFrame({"doc_id": list(doc_ids)}))
        sql += " WHERE d.doc_id IN (SELECT doc_id FROM _want)"
    with want:
        df = conn.execute(sql + " ORDER BY d.post_id, d.position").df()
    return df


def _insert(conn: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame, columns: Sequence[str]) -> int:
    if df.empty:
        return 0
    with registered(conn, "_rows", df[list(columns)]):
        cols = ", ".join(columns)
        conn.execute(f"INSERT OR REPLACE INTO {table} ({cols}) SELECT {cols} FROM _rows")
    return len(df)


def write_classification(conn: duckdb.DuckDBPyConnection, run_id: str, themes: pd.DataFrame,
                         sentiment: pd.DataFrame, sentences: pd.DataFrame, info: dict) -> dict[str, int]:
    """Replace this run's outputs with the given frames (call inside ``transaction``)."""
    for table in ("doc_theme_rows", "doc_sentiment_rows", "sentence_sentiment_rows"):
        conn.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
    t = themes.assign(run_id=run_id)
    t["stance"] = t["stance"].astype(object).where(t["stance"].notna(), None)
    for col in ("confidence", "stance_confidence"):
        t[col] = pd.array(t[col] if col in t.columns else [None] * len(t), dtype="Float64")
    sent = sentiment.assign(run_id=run_id)
    sent["confidence"] = pd.array(sent["confidence"] if "confidence" in sent.columns else [None] * len(sent),
                                  dtype="Float64")
    n_t = _insert(conn, "doc_theme_rows", t, ["run_id", "doc_id", "theme", "score", "present", "method", "stance",
                                              "stance_score", "stance_method", "confidence", "stance_confidence"])
    n_s = _insert(conn, "doc_sentiment_rows", sent,
                  ["run_id", "doc_id", "method", "label", "score", "is_default", "confidence"])
    n_z = _insert(conn, "sentence_sentiment_rows", sentences.assign(run_id=run_id),
                  ["run_id", "doc_id", "sentence_no", "method", "start_char", "end_char", "text", "label", "score",
                   "is_default"])
    conn.execute(
        "INSERT OR REPLACE INTO classify_run_log VALUES (?,?,?,?,?,?,?,?,?,?)",
        [run_id, now_utc(), info.get("theme_model"), info.get("sentiment_model"), info.get("stance_model"),
         info.get("stance_backend"), info.get("sentiment_default"), info.get("embedding_model"),
         json.dumps(info.get("taxonomy", [])), int(info.get("documents", 0))],
    )
    return {"theme_rows": n_t, "sentiment_rows": n_s, "sentence_rows": n_z}


def latest_classify_run(conn: duckdb.DuckDBPyConnection) -> str | None:
    row = conn.execute("SELECT run_id FROM classify_run_log ORDER BY created_at DESC LIMIT 1").fetchone()
    return row[0] if row else None


def theme_scores(conn: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """doc_id, theme, score, present, method of one classify run."""
    return conn.execute("SELECT doc_id, theme, score, present, method FROM doc_theme_rows WHERE run_id = ?",
                        [run_id]).df()


def default_sentiment(conn: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """doc_id, label, score, method of one classify run's default sentiment."""
    return conn.execute("SELECT doc_id, label, score, method FROM doc_sentiment_rows "
                        "WHERE run_id = ? AND is_default", [run_id]).df()


def write_evaluations(conn: duckdb.DuckDBPyConnection, run_id: str, rows: pd.DataFrame) -> int:
    """Store evaluation rows (columns of ``model_evaluation_rows`` less run_id/created_at)."""
    conn.execute("DELETE FROM model_evaluation_rows WHERE run_id = ?", [run_id])
    df = rows.assign(run_id=run_id, created_at=now_utc())
    return _insert(conn, "model_evaluation_rows", df,
                   ["run_id", "model_kind", "method", "class", "precision", "recall", "f1", "support", "macro_f1",
                    "micro_f1", "confusion", "cv_folds", "n_items", "created_at"])


def write_evaluations_of_kind(conn: duckdb.DuckDBPyConnection, run_id: str, kind: str, rows: pd.DataFrame) -> int:
    """Store one model kind's evaluation rows, replacing only that kind's rows of this run."""
    existing = conn.execute("SELECT * EXCLUDE (run_id, created_at) FROM model_evaluation_rows "
                            "WHERE run_id = ? AND model_kind <> ?", [run_id, kind]).df()
    return write_evaluations(conn, run_id, pd.concat([existing, rows], ignore_index=True) if len(existing) else rows)


def write_label_quality(conn: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> int:
    """Replace the label-quality rows of the model runs in ``rows`` (``LABEL_QUALITY_COLUMNS``)."""
    if rows.empty:
        return 0
    for run in rows["model_run_id"].unique():
        conn.execute("DELETE FROM label_quality_rows WHERE model_run_id = ?", [run])
    return _insert(conn, "label_quality_rows", rows.assign(created_at=now_utc()),
                   LABEL_QUALITY_COLUMNS + ["created_at"])
