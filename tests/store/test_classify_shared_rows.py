"""Migration 19: classify rows stored once. A database written before it (two runs, the
second holding copies of the first's rows, the first from before migration 17 with no
input records) shows exactly the same public views after the migration, and a run's
rows are read through the run_*() macros. Rows are made up for the test."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipeline.store import connect
from pipeline.store.migrations import all_migrations, current_version


def _at_version(path: str, version: int) -> None:
    conn = duckdb.connect(path)
    current_version(conn)
    for mod in all_migrations():
        if mod.VERSION <= version:
            mod.up(conn)
            conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [mod.VERSION, mod.NAME, datetime(2026, 1, 1)])
    conn.close()


def _log_runs(conn, documents: int) -> None:
    """Classify runs r1 and r2 (1 and 2 January 2026) in the run log, each of ``documents``."""
    for run, day in (("r1", 1), ("r2", 2)):
        conn.execute("INSERT INTO classify_run_log (run_id, created_at, documents) VALUES (?, ?, ?)",
                     [run, datetime(2026, 1, day), documents])


def _rows(conn, run: str, docs: list[str]) -> None:
    for d in docs:
        for theme, present in (("pay", True), ("workload", d == "b")):
            conn.execute("INSERT INTO doc_theme_rows VALUES (?, ?, ?, 0.7, ?, 'model', 'AGAINST', 0.9, 'model', 0.6, 0.5)",
                         [run, d, theme, present])
        conn.execute("INSERT INTO doc_sentiment_rows VALUES (?, ?, 'domain', 'negative', 0.8, true, 0.7)", [run, d])
        conn.execute("INSERT INTO sentence_sentiment_rows VALUES (?, ?, 0, 'domain', 0, 5, 'Awful', 'negative', 0.8, true)",
                     [run, d])


def _views(conn) -> dict[str, list]:
    names = [r[0] for r in conn.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' ORDER BY 1").fetchall()]
    return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}


def test_a_database_from_before_shows_the_same_views(tmp_path):
    path = str(tmp_path / "old.duckdb")
    _at_version(path, 18)
    conn = duckdb.connect(path)
    _log_runs(conn, documents=2)
    _rows(conn, "r1", ["a"])
    _rows(conn, "r2", ["a", "b"])  # "a" carried (copied), "b" new
    conn.execute("INSERT INTO classify_doc_inputs VALUES ('r2', 'a', 'h-a'), ('r2', 'b', 'h-b')")
    conn.execute("INSERT INTO doc_topic_rows VALUES ('t1', 'a', 0, 0.9, 'cluster', 'c-a', 't1'), "
                 "('t1', 'b', 1, 0.8, 'cluster', 'c-b', 't1')")
    before = _views(conn)
    conn.close()

    conn = connect(path)  # migrates
    try:
        assert current_version(conn) >= 19
        after = _views(conn)
        assert after == before
        assert len(after["doc_themes"]) == 4 and len(after["topic_themes"]) == 4
        inputs = conn.execute("SELECT run_id, doc_id, input_hash, rows_run_id FROM classify_doc_inputs ORDER BY ALL"
                              ).fetchall()
        assert inputs == [("r1", "a", "", "r1"), ("r2", "a", "h-a", "r2"), ("r2", "b", "h-b", "r2")]
        assert conn.execute("SELECT count(*) FROM run_sentence_sentiment_rows() WHERE run_id = 'r2'"
                            ).fetchone()[0] == 2
        # no view reads the tables directly any more
        sqls = [r[0] for r in conn.execute("SELECT sql FROM duckdb_views() WHERE NOT internal").fetchall()]
        assert not [s for s in sqls if "FROM doc_theme_rows" in s or "JOIN doc_theme_rows" in s
                    or "FROM doc_sentiment_rows" in s or "JOIN doc_sentiment_rows" in s]
    finally:
        conn.close()


def test_a_carried_document_is_read_from_the_run_that_computed_it(tmp_db):
    conn = connect(tmp_db)
    try:
        _log_runs(conn, documents=1)
        _rows(conn, "r1", ["a"])
        conn.execute("INSERT INTO classify_doc_inputs VALUES ('r1', 'a', 'h', 'r1'), ('r2', 'a', 'h', 'r1')")
        got = conn.execute("SELECT run_id, doc_id, theme FROM doc_themes ORDER BY ALL").fetchall()
        assert got == [("r1", "a", "pay"), ("r2", "a", "pay")]
        assert conn.execute("SELECT count(*) FROM doc_theme_rows").fetchone()[0] == 2  # stored once
        assert conn.execute("SELECT classify_run_id, theme FROM quotes").fetchall() == []  # no documents
    finally:
        conn.close()
