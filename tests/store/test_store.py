from __future__ import annotations

import duckdb
import pytest

from tests.readkit import read_bytes
from pipeline.ingest.ids import assign_ids
from pipeline.store import StoreError, connect, transaction
from pipeline.store.documents import SourceRow, write_source
from pipeline.store.migrations import all_migrations, latest_version

PUBLIC_VIEWS = {
    "documents": ["doc_id", "kind", "post_id", "parent_id", "position", "author", "published_at", "title",
                  "url", "text", "source"],
    "sources": ["source_id", "path_or_url", "format", "sha256", "ingested_at", "declared_comments",
                "parsed_comments", "warnings"],
    "quarantine": ["source", "locator", "reason", "raw", "at"],
    "runs": ["run_id", "flow", "started_at", "finished_at", "status", "params", "code_version"],
}


def test_migrations_record_the_schema_version(tmp_db):
    conn = connect(tmp_db)
    assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == latest_version()
    versions = [m.VERSION for m in all_migrations()]
    assert versions == sorted(versions) and versions[0] == 1
    conn.close()
    conn = connect(tmp_db)  # a second connect applies nothing twice
    assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(versions)


@pytest.mark.parametrize("view", sorted(PUBLIC_VIEWS))
def test_public_views_keep_their_columns_in_order(tmp_db, view):
    conn = connect(tmp_db)
    cols = [r[0] for r in conn.execute(f"DESCRIBE {view}").fetchall()]
    assert cols[: len(PUBLIC_VIEWS[view])] == PUBLIC_VIEWS[view]


def _doc_rows(text: str, name: str = "t.txt"):
    out = read_bytes(text.encode(), name)
    docs, keys = assign_ids(out.result, "Europe/London")
    src = SourceRow("s_" + out.sha256[:16], name, "text_dump", out.sha256, out.size,
                    out.result.declared_comments, out.result.parsed_comments, [])
    return src, docs, keys


PAGE = "Monday, 1 July 2019\n\nA Title\n\nBody.\n\n1 comment:\n\n  1. Hello.\n\n    ReplyDelete\n"


def test_writes_are_idempotent(tmp_db):
    conn = connect(tmp_db)
    src, docs, keys = _doc_rows(PAGE)
    with transaction(conn):
        assert write_source(conn, src, docs, keys, "r1") == 2
    with transaction(conn):
        assert write_source(conn, src, docs, keys, "r2") == 0
    assert conn.execute("SELECT count(*) FROM document_rows").fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM document_sources").fetchone()[0] == 2


def test_same_post_from_two_forms_is_one_document_with_both_sources(tmp_db):
    conn = connect(tmp_db)
    src1, docs1, keys1 = _doc_rows(PAGE, "a.txt")
    # a second copy: different layout (extra blank lines, other file) of the same page
    src2, docs2, keys2 = _doc_rows(PAGE.replace("Body.", "Body.\n"), "b.txt")
    with transaction(conn):
        write_source(conn, src1, docs1, keys1, "r1")
        write_source(conn, src2, docs2, keys2, "r2")
    assert conn.execute("SELECT count(*) FROM document_rows").fetchone()[0] == 2
    assert conn.execute("SELECT count(DISTINCT source_id) FROM document_sources").fetchone()[0] == 2


def test_precise_timestamp_replaces_a_date_only_one(tmp_db):
    from dataclasses import replace
    from datetime import datetime

    conn = connect(tmp_db)
    src, docs, keys = _doc_rows(PAGE)
    with transaction(conn):
        write_source(conn, src, docs, keys, "r1")
    precise = [replace(d, published_at=datetime(2019, 7, 1, 8, 30), date_only=False, url="https://x/p.html")
               for d in docs]
    src2 = SourceRow("s_other", "feed.xml", "blogger_feed_atom", "f" * 64, 1, None, 1, [])
    with transaction(conn):
        write_source(conn, src2, precise, keys, "r2")
    row = conn.execute("SELECT published_at, date_only, url FROM documents WHERE kind='post'").fetchone()
    assert row == (datetime(2019, 7, 1, 8, 30), False, "https://x/p.html")


def test_transaction_rolls_back(tmp_db):
    conn = connect(tmp_db)
    src, docs, keys = _doc_rows(PAGE)
    with pytest.raises(RuntimeError):
        with transaction(conn):
            write_source(conn, src, docs, keys, "r1")
            raise RuntimeError("boom")
    assert conn.execute("SELECT count(*) FROM document_rows").fetchone()[0] == 0


class _CommitFails:
    """A connection whose COMMIT fails as DuckDB's does (the transaction rolled back first)."""

    def __init__(self, conn, message: str):
        self._conn, self._message = conn, message

    def execute(self, sql: str, *args):
        if sql == "COMMIT":
            self._conn.execute("ROLLBACK")
            raise duckdb.TransactionException(self._message)
        return self._conn.execute(sql, *args)


@pytest.mark.parametrize("words", [
    "could not allocate block of size 256.0 KiB (45.5 MiB/45.7 MiB used)",  # seen in CI, 3 December 2026
    "failed to allocate data of size 2.0 MiB (46.1 MiB/47.6 MiB used)",
    "failed to pin block of size 256.0 KiB (47.5 MiB/47.6 MiB used)",
])
def test_running_out_of_memory_at_the_commit_is_the_same_clear_error(tmp_db, words):
    conn = connect(tmp_db)
    try:
        conn.execute("CREATE TABLE t (x INTEGER)")
        failing = _CommitFails(conn, f"TransactionContext Error: Failed to commit: {words}")
        with pytest.raises(StoreError, match=r"ran out of memory \(memory_limit .*\) committing one transaction"):
            with transaction(failing):
                conn.execute("INSERT INTO t VALUES (1)")
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0
        other = _CommitFails(conn, "TransactionContext Error: Failed to commit: a conflict")
        with pytest.raises(duckdb.TransactionException, match="a conflict"):  # not memory: raised as it was
            with transaction(other):
                conn.execute("INSERT INTO t VALUES (1)")
    finally:
        conn.close()


def test_running_out_of_memory_in_a_transaction_is_a_clear_error_and_writes_nothing(tmp_db):
    """DuckDB keeps a transaction's uncommitted key indexes in memory: past ``memory_limit``
    the stage gets a StoreError naming the limit and the setting, and nothing of the
    transaction is kept (the classify stage at 150,000 documents hit this)."""
    conn = connect(tmp_db)
    conn.execute("CREATE TABLE scratch_keys (k VARCHAR PRIMARY KEY)")
    conn.execute("SET memory_limit = '20MB'")
    src, docs, keys = _doc_rows(PAGE)
    with pytest.raises(StoreError, match=r"ran out of memory \(memory_limit \d") as err:
        with transaction(conn):
            write_source(conn, src, docs, keys, "r1")
            conn.execute("INSERT INTO scratch_keys SELECT 'key-' || i::VARCHAR || '-padding-padding' "
                         "FROM range(1000000) r(i)")
    assert "duckdb_memory_mb" in err.value.one_line() and isinstance(err.value.__cause__, duckdb.OutOfMemoryException)
    assert conn.execute("SELECT count(*) FROM document_rows").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM scratch_keys").fetchone()[0] == 0
    conn.execute("RESET memory_limit")
    with transaction(conn):  # the connection is usable again
        write_source(conn, src, docs, keys, "r1")
    assert conn.execute("SELECT count(*) FROM document_rows").fetchone()[0] > 0


def test_read_only_connection_needs_an_existing_database(tmp_path):
    with pytest.raises(StoreError, match="no database"):
        connect(tmp_path / "nope.duckdb", read_only=True)


def test_offline_extensions_load(tmp_db):
    from pipeline.store import load_extension

    conn = connect(tmp_db)
    load_extension(conn, "fts")
    load_extension(conn, "vss")
    names = {r[0] for r in conn.execute(
        "SELECT extension_name FROM duckdb_extensions() WHERE loaded").fetchall()}
    assert {"fts", "vss"} <= names
    assert isinstance(conn, duckdb.DuckDBPyConnection)


def test_a_registered_frame_is_released_when_its_block_ends_not_at_commit():
    """``registered`` exposes frames by name to the connection it yields (blocks nest);
    once the block ends the frame is gone from SQL and from memory, even inside an open
    transaction (DuckDB's ``register`` kept every frame until the commit: a stage
    writing in many steps held them all)."""
    import gc
    import weakref

    import pandas as pd

    from pipeline.store.connection import registered

    conn = duckdb.connect()
    conn.execute("CREATE TABLE t (a INTEGER)")
    with transaction(conn):
        frame, other = pd.DataFrame({"a": [1, 2, 3]}), pd.DataFrame({"a": [2, 3]})
        gone = weakref.ref(frame)
        with registered(conn, "_x", frame) as scoped, registered(scoped, "_y", other) as scoped:
            scoped.execute("INSERT INTO t SELECT a FROM _x WHERE a IN (SELECT a FROM _y) AND a > ?", [2])
            assert scoped.execute("SELECT count(*) FROM _x").fetchone() == (3,)
        with pytest.raises(duckdb.CatalogException):
            scoped.execute("SELECT * FROM _x")
        del frame
        gc.collect()
        assert gone() is None  # released before the commit
        assert scoped.execute("SELECT * FROM t").fetchall() == [(3,)]  # the yielded connection is still the connection
    assert conn.execute("SELECT * FROM t").fetchall() == [(3,)]
