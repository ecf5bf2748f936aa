"""Classify's three row tables lose their primary keys (issue 13, scale).

``doc_theme_rows`` (run_id, doc_id, theme), ``doc_sentiment_rows`` (run_id, doc_id,
method) and ``sentence_sentiment_rows`` (run_id, doc_id, sentence_no, method) had primary
keys. DuckDB keeps a transaction's inserts into a keyed table, with their key index, in
memory until the commit, and merges them into the table's whole key index then, so a
classify run (one transaction, so that a failed run leaves nothing) needed memory in
proportion to its rows: at 153,450 documents (1.2 million theme rows, 2.5 million sentence
rows) it ran out of 1,024 MB (``docs/performance.md``, fifteenth pass). Without the keys
the inserted rows are written out as DuckDB's memory fills, and the run's memory no longer
grows with its size.

Nothing read the keys: every reader joins the tables by (run_id, doc_id) through the
macros of migration 19, and the only writer, classify, removes a run's rows before it
writes them and refuses a document written twice in one run
(``pipeline.store.classify.add_classification``), so the rows stay unique by what the
keys named. Columns, their order, types and NOT NULLs, and every row are kept; the views
and macros read the tables by name and are untouched.
"""

VERSION = 22
NAME = "classify_rows_unkeyed"

TABLES = ("doc_theme_rows", "doc_sentiment_rows", "sentence_sentiment_rows")


def _columns(conn, table: str) -> list[str]:
    rows = conn.execute("SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
                        "WHERE table_name = ? AND schema_name = 'main' ORDER BY column_index", [table]).fetchall()
    return [f'"{name}" {dtype}{"" if nullable else " NOT NULL"}' for name, dtype, nullable in rows]


def up(conn) -> None:
    for table in TABLES:
        columns = _columns(conn, table)
        conn.execute(f"CREATE TABLE {table}_unkeyed ({', '.join(columns)})")
        conn.execute(f"INSERT INTO {table}_unkeyed SELECT * FROM {table}")
        conn.execute(f"DROP TABLE {table}")
        conn.execute(f"ALTER TABLE {table}_unkeyed RENAME TO {table}")
