"""The `quotes` view only gains columns (m0011 replaces it with a superset of m0006's)."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipeline.store import connect
from pipeline.store.migrations import all_migrations

M0006 = ["theme", "stance", "stance_score", "theme_score", "quote", "pseudonym", "published_at", "date_only",
         "date_is_post_date", "permalink", "permalink_is_post", "post_title", "kind", "doc_id", "post_id",
         "sentiment", "n_chars", "copies", "classify_run_id"]
M0011 = ["pieces", "pieces_field", "n_words", "n_pieces", "elided", "names_flagged", "context_doc_id",
         "context_kind", "context_author", "context_text", "topic_id", "topic_label"]


def test_quotes_view_keeps_its_columns_and_gains_offsets(tmp_path):
    old = str(tmp_path / "old.duckdb")
    conn = duckdb.connect(old)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
    for mod in all_migrations():
        if mod.VERSION <= 6:
            mod.up(conn)
            conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [mod.VERSION, mod.NAME, datetime.now()])
    assert [r[0] for r in conn.execute("DESCRIBE quotes").fetchall()] == M0006
    conn.close()
    conn = connect(old)  # upgrades a database made before m0011
    cols = [r[0] for r in conn.execute("DESCRIBE quotes").fetchall()]
    assert cols[:len(M0006)] == M0006 and cols[len(M0006):len(M0006) + len(M0011)] == M0011
    types = dict(conn.execute("SELECT column_name, data_type FROM duckdb_columns() "
                              "WHERE table_name = 'quote_docs'").fetchall())
    assert types["pieces"] == 'STRUCT("start" INTEGER, "end" INTEGER)[]'
    conn.close()
