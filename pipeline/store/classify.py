"""Reads and idempotent writes for classification: inputs, per-run outputs, evaluations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

import duckdb
import numpy as np
import pandas as pd

from pipeline.classify.cards import LABEL_QUALITY_COLUMNS
from pipeline.store.connection import registered, upsert
from pipeline.store.documents import now_utc
from pipeline.store.embed import vector_frame
from pipeline.store.errors import StoreError


def has_own_text(conn: duckdb.DuckDBPyConnection) -> bool:
    cols = [d[0] for d in conn.execute("SELECT * FROM documents LIMIT 0").description]
    return "own_text" in cols


def classify_inputs(conn: duckdb.DuckDBPyConnection, doc_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """doc_id, kind, post_id, published_at and own_text of every document (or of
    ``doc_ids``), in reading order. Classification reads the author's own words only; the
    thread context (the post's title and own words) comes once per post from
    ``post_texts``, not once per comment (150,000 comments would carry 450 MB of copies)."""
    if not has_own_text(conn):
        raise StoreError("documents has no own_text column yet: run the clean stage first "
                         "(`probation-corpus run --stage clean`)")
    sql = ("SELECT d.doc_id, d.kind, d.post_id, d.published_at, coalesce(d.own_text, '') AS own_text "
           "FROM documents d")
    want: AbstractContextManager = nullcontext(conn)
    if doc_ids is not None:
        want = registered(conn, "_want", pd.DataFrame({"doc_id": list(doc_ids)}))
        sql += " WHERE d.doc_id IN (SELECT doc_id FROM _want)"
    with want as conn:
        df = conn.execute(sql + " ORDER BY d.post_id, d.position").df()
    return df


def post_texts(conn: duckdb.DuckDBPyConnection, post_ids: Sequence[str | None]) -> pd.DataFrame:
    """post_id, title and own_text ('' when it has none) of the stored documents among
    ``post_ids`` (the thread contexts of ``classify_inputs``' documents); ids that are not
    strings (a missing post: None or NaN) are skipped."""
    wanted = [p for p in dict.fromkeys(post_ids) if isinstance(p, str)]
    with registered(conn, "_posts", pd.DataFrame({"post_id": pd.Series(wanted, dtype=object)})) as conn:
        return conn.execute("SELECT p.doc_id AS post_id, p.title, coalesce(p.own_text, '') AS own_text "
                            "FROM documents p WHERE p.doc_id IN (SELECT post_id FROM _posts)").df()


def _insert(conn: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame, columns: Sequence[str],
            replace: bool = True) -> int:
    """Write ``df``'s ``columns`` into ``table``: replacing rows with the same key, or
    (``replace`` False) appended to a table without one."""
    if df.empty:
        return 0
    with registered(conn, "_rows", df[list(columns)]) as conn:
        cols = ", ".join(columns)
        if replace:
            upsert(conn, table, f"SELECT {cols} FROM _rows", columns=columns)
        else:
            conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _rows")
    return len(df)


THEME_ROW_COLUMNS = ["run_id", "doc_id", "theme", "score", "present", "method", "stance", "stance_score",
                     "stance_method", "confidence", "stance_confidence"]
SENTIMENT_ROW_COLUMNS = ["run_id", "doc_id", "method", "label", "score", "is_default", "confidence"]
SENTENCE_ROW_COLUMNS = ["run_id", "doc_id", "sentence_no", "method", "start_char", "end_char", "text", "label",
                        "score", "is_default"]
# A run's rows are stored under the run that computed them; what a run carried from an
# earlier one is not copied (classify_doc_inputs.rows_run_id names where its rows are).
# Read a run's rows, carried ones included, through run_doc_theme_rows() and the other
# macros of migration 19, never from these tables by run id.
ROW_TABLES = {"doc_theme_rows": THEME_ROW_COLUMNS, "doc_sentiment_rows": SENTIMENT_ROW_COLUMNS,
              "sentence_sentiment_rows": SENTENCE_ROW_COLUMNS}
ROW_KEYS = {"doc_theme_rows": ["doc_id", "theme"], "doc_sentiment_rows": ["doc_id", "method"],
            "sentence_sentiment_rows": ["doc_id", "sentence_no", "method"]}
"""What makes a row unique within its run. The tables have no primary key (migration 22:
DuckDB held a keyed table's uncommitted rows and their index in memory until the commit,
in proportion to the run); ``add_classification`` keeps the rows unique instead."""


def start_classification(conn: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Remove any rows of this run (a rerun of the same run id starts afresh). Refused
    when a later run reads rows this run computed (it carried them): removing them would
    take that run's labels away."""
    readers = [r[0] for r in conn.execute(
        "SELECT DISTINCT run_id FROM classify_doc_inputs WHERE rows_run_id = ? AND run_id <> ? ORDER BY 1",
        [run_id, run_id]).fetchall()]
    if readers:
        raise StoreError(f"classify run {run_id} cannot be redone: run(s) {', '.join(readers)} carry its rows",
                         "classify under a new run id (a new `probation-corpus run`)")
    for table in (*ROW_TABLES, "classify_doc_inputs"):
        conn.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])


def add_classification(conn: duckdb.DuckDBPyConnection, run_id: str, themes: pd.DataFrame,
                       sentiment: pd.DataFrame, sentences: pd.DataFrame) -> dict[str, int]:
    """Add one batch of this run's output rows (call inside ``transaction``). Refused
    (``StoreError``, nothing of the batch written) when the batch repeats a row
    (``ROW_KEYS``) or holds a document this run already labels: the tables have no
    primary key to refuse it."""
    t = themes.assign(run_id=run_id)
    t["stance"] = t["stance"].astype(object).where(t["stance"].notna(), None)
    for col in ("confidence", "stance_confidence"):
        t[col] = pd.array(t[col] if col in t.columns else [None] * len(t), dtype="Float64")
    sent = sentiment.assign(run_id=run_id)
    sent["confidence"] = pd.array(sent["confidence"] if "confidence" in sent.columns else [None] * len(sent),
                                  dtype="Float64")
    frames = {"doc_theme_rows": t, "doc_sentiment_rows": sent,
              "sentence_sentiment_rows": sentences.assign(run_id=run_id)}
    for table, frame in frames.items():
        repeated = frame[frame.duplicated(ROW_KEYS[table], keep=False)]
        if len(repeated):
            first = repeated.iloc[0]
            raise StoreError(f"classify run {run_id}: a batch repeats a row of {table} "
                             f"({', '.join(f'{k}={first[k]!r}' for k in ROW_KEYS[table])}); nothing of it was written")
    docs = pd.unique(pd.concat([themes["doc_id"], sentiment["doc_id"], sentences["doc_id"]], ignore_index=True))
    with registered(conn, "_batch_docs", pd.DataFrame({"doc_id": docs})) as scoped:
        again = scoped.execute("SELECT i.doc_id FROM classify_doc_inputs i JOIN _batch_docs b USING (doc_id) "
                               "WHERE i.run_id = ? ORDER BY 1 LIMIT 3", [run_id]).fetchall()
    if again:
        raise StoreError(f"classify run {run_id} already labels {', '.join(r[0] for r in again)}: "
                         "a document is classified once per run; nothing of this batch was written")
    _labels_here(conn, run_id, pd.DataFrame({"doc_id": docs, "input_hash": ""}))
    return {f"{key}_rows": _insert(conn, table, frames[table], ROW_TABLES[table], replace=False)
            for key, table in (("theme", "doc_theme_rows"), ("sentiment", "doc_sentiment_rows"),
                               ("sentence", "sentence_sentiment_rows"))}


def carry_classification(conn: duckdb.DuckDBPyConnection, run_id: str, from_run: str,
                         doc_ids: Sequence[str]) -> int:
    """Make ``from_run``'s labels of ``doc_ids`` (unchanged documents) this run's too,
    without copying a row: each document's ``classify_doc_inputs`` row names the run whose
    rows hold its labels (``rows_run_id``) and leaves the input hash to that run's row
    (``INPUT_HASHES``). Returns how many documents were carried."""
    if not len(doc_ids):
        return 0
    with registered(conn, "_keep", pd.DataFrame({"doc_id": list(doc_ids)})) as conn:
        return len(conn.execute(
            "INSERT INTO classify_doc_inputs (run_id, doc_id, input_hash, rows_run_id) "
            "SELECT ?, i.doc_id, NULL, i.rows_run_id FROM classify_doc_inputs i "
            "WHERE i.run_id = ? AND i.doc_id IN (SELECT doc_id FROM _keep) RETURNING 1",
            [run_id, from_run]).fetchall())


def finish_classification(conn: duckdb.DuckDBPyConnection, run_id: str, info: dict,
                          inputs: pd.DataFrame | None = None) -> None:
    """Record the run (``classify_run_log``, with its settings key) and the input hash of
    every document it labels (``inputs``: doc_id, input_hash)."""
    conn.execute(
        "INSERT OR REPLACE INTO classify_run_log (run_id, created_at, theme_model, sentiment_model, stance_model, "
        "stance_backend, sentiment_default, embedding_model, taxonomy, documents, settings_key) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [run_id, now_utc(), info.get("theme_model"), info.get("sentiment_model"), info.get("stance_model"),
         info.get("stance_backend"), info.get("sentiment_default"), info.get("embedding_model"),
         json.dumps(info.get("taxonomy", [])), int(info.get("documents", 0)), info.get("settings_key")],
    )
    if inputs is not None and len(inputs):
        _labels_here(conn, run_id, inputs)


def _labels_here(conn: duckdb.DuckDBPyConnection, run_id: str, inputs: pd.DataFrame) -> None:
    """Record that this run labels ``inputs``' documents (doc_id, input_hash): with rows
    of its own unless it carried them (``carry_classification``: their hash stays on the
    computing run's row); a known input hash replaces an empty one ('': unknown, so the
    next run classifies the document again)."""
    if not len(inputs):
        return
    with registered(conn, "_inputs", inputs[["doc_id", "input_hash"]]) as conn:
        upsert(conn, "classify_doc_inputs",
               "SELECT ? AS run_id, doc_id, input_hash, ? AS rows_run_id FROM _inputs", [run_id, run_id],
               columns=("run_id", "doc_id", "input_hash", "rows_run_id"),
               update="input_hash = CASE WHEN excluded.input_hash = '' THEN classify_doc_inputs.input_hash "
                      "ELSE excluded.input_hash END WHERE classify_doc_inputs.rows_run_id = classify_doc_inputs.run_id")


def write_classification(conn: duckdb.DuckDBPyConnection, run_id: str, themes: pd.DataFrame,
                         sentiment: pd.DataFrame, sentences: pd.DataFrame, info: dict) -> dict[str, int]:
    """Replace this run's outputs with the given frames (call inside ``transaction``)."""
    start_classification(conn, run_id)
    counts = add_classification(conn, run_id, themes, sentiment, sentences)
    finish_classification(conn, run_id, info)
    return counts


def classification_counts(conn: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    """Rows of one classify run (those it computed and those it carried), and its theme
    assignments (themes present)."""
    one = lambda sql: int(conn.execute(sql, [run_id]).fetchone()[0])  # noqa: E731
    return {"theme_assignments": one("SELECT count(*) FROM run_doc_theme_rows() WHERE run_id = ? AND present"),
            "theme_rows": one("SELECT count(*) FROM run_doc_theme_rows() WHERE run_id = ?"),
            "sentiment_rows": one("SELECT count(*) FROM run_doc_sentiment_rows() WHERE run_id = ?"),
            "sentence_rows": one("SELECT count(*) FROM run_sentence_sentiment_rows() WHERE run_id = ?")}


INPUT_HASHES = ("SELECT i.doc_id, COALESCE(i.input_hash, c.input_hash) AS input_hash FROM classify_doc_inputs i "
                "LEFT JOIN classify_doc_inputs c ON c.run_id = i.rows_run_id AND c.doc_id = i.doc_id")
"""Each (run, document)'s input hash: a carried document's is stored once, on the row of
the run that computed its labels (``i.input_hash`` is NULL on the carrying runs' rows)."""


def previous_classification(conn: duckdb.DuckDBPyConnection) -> dict | None:
    """The latest classify run: run_id, settings_key (None before incremental classify)
    and inputs (doc_id -> input hash of the documents its rows are for)."""
    row = conn.execute("SELECT run_id, settings_key FROM classify_run_log ORDER BY created_at DESC LIMIT 1"
                       ).fetchone()
    if row is None:
        return None
    got = conn.execute(INPUT_HASHES + " WHERE i.run_id = ?", [row[0]]).fetchall()
    return {"run_id": row[0], "settings_key": row[1], "inputs": dict(got)}


def sentence_vectors(conn: duckdb.DuckDBPyConnection, hashes: Sequence[str], model_id: str,
                     chunking: str) -> dict[str, np.ndarray]:
    """Cached vectors of texts classify embedded before (hash -> vector); missing ones left out."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return {}
    with registered(conn, "_want_s", pd.DataFrame({"content_hash": wanted})) as conn:
        got = conn.execute(
            "SELECT e.content_hash, e.vector FROM sentence_embeddings e JOIN _want_s w USING (content_hash) "
            "WHERE e.model_id = ? AND e.chunking = ?", [model_id, chunking]).fetchnumpy()
    return {h: np.asarray(v, dtype=np.float32) for h, v in zip(got["content_hash"], got["vector"])}


def write_sentence_vectors(conn: duckdb.DuckDBPyConnection, hashes: Sequence[str], vectors: np.ndarray,
                           model_id: str, chunking: str) -> int:
    """Cache freshly embedded texts; an existing (hash, model, chunking) is kept."""
    if len(hashes) == 0:
        return 0
    df, vector = vector_frame({"content_hash": hashes}, vectors)
    with registered(conn, "_sv", df) as conn:
        added = conn.execute(
            f"INSERT INTO sentence_embeddings SELECT content_hash, ?, ?, ?, {vector}, ? "
            "FROM _sv ON CONFLICT DO NOTHING RETURNING 1",
            [model_id, chunking, int(np.shape(vectors)[1]), now_utc()]).fetchall()
    return len(added)


def latest_classify_run(conn: duckdb.DuckDBPyConnection) -> str | None:
    row = conn.execute("SELECT run_id FROM classify_run_log ORDER BY created_at DESC LIMIT 1").fetchone()
    return row[0] if row else None


def theme_scores(conn: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """doc_id, theme, score, present, method of one classify run."""
    return conn.execute("SELECT doc_id, theme, score, present, method FROM run_doc_theme_rows() WHERE run_id = ?",
                        [run_id]).df()


def default_sentiment(conn: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """doc_id, label, score, method of one classify run's default sentiment."""
    return conn.execute("SELECT doc_id, label, score, method FROM run_doc_sentiment_rows() "
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
