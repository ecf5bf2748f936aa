"""Migration 22: classify's row tables without primary keys. A database from before keeps
every row, column and public view; the rows stay unique because ``add_classification``
refuses a repeated row or a document labelled twice in one run; and a run's rows no longer
need DuckDB memory in proportion to the run (what the keys cost: the fifteenth pass of
docs/performance.md). Rows are made up for the test."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipeline.store import connect, set_memory, transaction
from pipeline.store.classify import ROW_KEYS, ROW_TABLES, add_classification, start_classification
from pipeline.store.errors import StoreError
from tests.store.test_classify_shared_rows import _at_version, _log_runs, _rows, _views


def _keyed(conn) -> set[str]:
    return {r[0] for r in conn.execute("SELECT table_name FROM duckdb_constraints() "
                                       "WHERE constraint_type = 'PRIMARY KEY'").fetchall()}


def _not_null(conn, table: str) -> list[tuple]:
    return conn.execute("SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE table_name = ? "
                        "ORDER BY column_index", [table]).fetchall()


def test_the_migration_keeps_rows_columns_and_views(tmp_path):
    path = str(tmp_path / "old.duckdb")
    _at_version(path, 21)
    conn = duckdb.connect(path)
    _log_runs(conn, documents=2)
    _rows(conn, "r1", ["a"])
    _rows(conn, "r2", ["b"])
    conn.execute("INSERT INTO classify_doc_inputs VALUES ('r1', 'a', 'h-a', 'r1'), ('r2', 'a', NULL, 'r1'), "
                 "('r2', 'b', 'h-b', 'r2')")
    assert set(ROW_TABLES) <= _keyed(conn)
    columns = {t: _not_null(conn, t) for t in ROW_TABLES}
    rows = {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in ROW_TABLES}
    views = _views(conn)
    conn.close()

    conn = connect(path)  # migrates
    try:
        assert not set(ROW_TABLES) & _keyed(conn)
        assert {t: _not_null(conn, t) for t in ROW_TABLES} == columns  # order, types, NOT NULLs
        assert {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in ROW_TABLES} == rows
        assert _views(conn) == views
        assert len(views["doc_themes"]) == 4  # r1: a (pay); r2: a carried (pay), b (pay, workload)
        with pytest.raises(duckdb.ConstraintException):
            conn.execute("INSERT INTO doc_sentiment_rows VALUES ('r3', 'c', NULL, 'negative', 0.8, true, 0.7)")
    finally:
        conn.close()


def _batch(docs: list[str], sentences: int = 2):
    themes = pd.DataFrame([{"doc_id": d, "theme": th, "score": 0.7, "present": True, "method": "model",
                            "stance": None, "stance_score": None, "stance_method": None}
                           for d in docs for th in ("pay", "workload")])
    sentiment = pd.DataFrame([{"doc_id": d, "method": "domain", "label": "negative", "score": 0.8,
                               "is_default": True} for d in docs])
    sent = pd.DataFrame([{"doc_id": d, "sentence_no": i, "method": "domain", "start_char": 0, "end_char": 5,
                          "text": "Awful", "label": "negative", "score": 0.8, "is_default": True}
                         for d in docs for i in range(sentences)])
    return themes, sentiment, sent


def _counts(conn, run: str) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t} WHERE run_id = ?", [run]).fetchone()[0] for t in ROW_TABLES}


def test_a_document_is_labelled_once_per_run(tmp_db):
    conn = connect(tmp_db)
    try:
        with transaction(conn):
            start_classification(conn, "r1")
            assert add_classification(conn, "r1", *_batch(["a", "b"])) == {
                "theme_rows": 4, "sentiment_rows": 2, "sentence_rows": 4}
        with pytest.raises(StoreError, match="already labels b"):
            with transaction(conn):
                add_classification(conn, "r1", *_batch(["b", "c"]))
        assert _counts(conn, "r1") == {"doc_theme_rows": 4, "doc_sentiment_rows": 2, "sentence_sentiment_rows": 4}
        # another run may label the same documents; a rerun of r1 starts afresh
        with transaction(conn):
            add_classification(conn, "r2", *_batch(["b", "c"]))
            start_classification(conn, "r1")
            add_classification(conn, "r1", *_batch(["b"]))
        assert _counts(conn, "r1") == {"doc_theme_rows": 2, "doc_sentiment_rows": 1, "sentence_sentiment_rows": 2}
        assert _counts(conn, "r2")["doc_theme_rows"] == 4
    finally:
        conn.close()


@pytest.mark.parametrize("table", list(ROW_TABLES))
def test_a_batch_that_repeats_a_row_is_refused(tmp_db, table):
    frames = dict(zip(ROW_TABLES, _batch(["a", "b"])))
    frames[table] = pd.concat([frames[table], frames[table].iloc[[-1]]], ignore_index=True)
    conn = connect(tmp_db)
    try:
        with pytest.raises(StoreError, match=f"repeats a row of {table}"):
            with transaction(conn):
                add_classification(conn, "r1", *frames.values())
        assert _counts(conn, "r1") == dict.fromkeys(ROW_TABLES, 0)
        assert conn.execute("SELECT count(*) FROM classify_doc_inputs").fetchone()[0] == 0
    finally:
        conn.close()


def test_a_run_larger_than_duckdbs_memory_is_written(tmp_db):
    """400,000 sentence rows in one transaction under a 48 MB limit: with the primary key
    (as before migration 22) DuckDB runs out of memory; without it the rows are written."""
    n_docs, per_doc = 20_000, 20
    docs = [f"doc-{i:06d}-{'x' * 24}" for i in range(n_docs)]
    conn = connect(tmp_db)
    try:
        set_memory(conn, 48)
        with transaction(conn):
            start_classification(conn, "r1")
            for lo in range(0, n_docs, 2_000):
                add_classification(conn, "r1", *_batch(docs[lo:lo + 2_000], per_doc))
        assert _counts(conn, "r1")["sentence_sentiment_rows"] == n_docs * per_doc
        conn.execute("CREATE TABLE keyed AS SELECT * FROM sentence_sentiment_rows LIMIT 0")
        conn.execute(f"ALTER TABLE keyed ADD PRIMARY KEY ({', '.join(['run_id', *ROW_KEYS['sentence_sentiment_rows']])})")
        with pytest.raises(StoreError, match=r"ran out of memory \(memory_limit \d"):
            with transaction(conn):
                conn.execute("INSERT INTO keyed SELECT * FROM sentence_sentiment_rows")
        assert conn.execute("SELECT count(*) FROM keyed").fetchone()[0] == 0  # rolled back; the connection works
    finally:
        conn.close()
