"""The `quotes` view only gains columns (m0011 replaces it with a superset of m0006's)."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

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


@pytest.mark.slow
def test_the_context_join_is_hashed_and_gives_the_same_rows(sample_run, tmp_path):
    """m0021: the quotes view's context join is one equality (a hash join, not a nested
    loop over every document), and gives the rows the old condition gave, on the sample
    corpus (comments answering comments, comments on posts, posts)."""
    import shutil

    from pipeline.store.migrations import view_body
    from pipeline.store.migrations.m0021_quotes_context_join import OLD, STORED

    db = str(tmp_path / "copy.duckdb")
    shutil.copy(sample_run[0], db)
    conn = duckdb.connect(db)
    try:
        plan = conn.execute("EXPLAIN SELECT count(*) FROM quotes").fetchall()[0][1]
        assert "NL_JOIN" not in plan and "NESTED_LOOP" not in plan and "HASH_JOIN" in plan
        new = conn.execute("SELECT * FROM quotes ORDER BY ALL").fetchall()
        sql = conn.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'quotes'").fetchone()[0]
        assert STORED in sql
        conn.execute("CREATE OR REPLACE VIEW quotes AS " + view_body(sql).replace(STORED, OLD))
        old = conn.execute("SELECT * FROM quotes ORDER BY ALL").fetchall()
    finally:
        conn.close()
    kinds = {r[M0006.index("kind")] for r in new} | {r[len(M0006) + M0011.index("context_kind")] for r in new}
    assert new == old and len(new) > 100
    assert {"post", "comment", None} <= kinds  # posts (no context), comments on posts and on comments
