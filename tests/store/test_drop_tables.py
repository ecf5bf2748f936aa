"""Temporary tables dropped after an error inside a transaction: the error the caller
sees is the one that happened (an out-of-memory error becomes ``transaction``'s advice),
not DuckDB's refusal of the DROP in the aborted transaction."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipeline.store import connect, transaction
from pipeline.store import dedupe as store
from pipeline.store.connection import drop_tables, set_memory
from pipeline.store.errors import StoreError


def _temp(conn, name: str) -> int:
    return conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0]


def test_the_error_is_the_one_that_happened(tmp_db):
    conn = connect(tmp_db)
    try:
        with pytest.raises(duckdb.InvalidInputException, match="boom"):
            with transaction(conn):
                conn.execute("CREATE TEMP TABLE _t AS SELECT 1 AS x")
                try:
                    conn.execute("SELECT error('boom')")  # fails as it runs: the transaction is aborted
                finally:
                    drop_tables(conn, "_t")
        assert _temp(conn, "_t") == 0  # the rollback took it
        conn.execute("CREATE TEMP TABLE _u AS SELECT 1 AS x")
        drop_tables(conn, "_u", "_never_made")  # outside an aborted transaction: dropped
        assert _temp(conn, "_u") == 0
    finally:
        conn.close()


def test_dedupe_out_of_memory_keeps_its_advice(tmp_db):
    """Inside dedupe's temporary sources (``sources_for_run``), DuckDB running out of memory
    reaches the caller as the store's out-of-memory error, with the limit named."""
    conn = connect(tmp_db)
    try:
        set_memory(conn, 16)
        with pytest.raises(StoreError, match=r"ran out of memory \(memory_limit"):
            with transaction(conn):
                with store.sources_for_run(conn, [], pd.Series(dtype="int64"), 10):
                    conn.execute("SELECT list(i) FROM range(50000000) t(i)").fetchall()
        assert _temp(conn, "_dedupe_sources") == 0
    finally:
        conn.close()
