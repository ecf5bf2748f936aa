"""Rewrite the database file densely: DuckDB never gives blocks back to the file system,
and each run leaves part-filled blocks behind (every table a run appends to starts a new
block at the checkpoint), so a database synced nightly grows by megabytes a night even
when little changes. ``compact`` copies everything (tables, views, macros, the search
index) into a new file next to it with ``COPY FROM DATABASE``, checks that every table
holds the same rows, then puts it in the old file's place in one rename. If anything
fails, the old file is left as it was and the new one removed.

The caller holds the writer lock (``pipeline.store.lock``); readers that opened the old
file keep reading it until they reopen."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb

from pipeline.store.connection import database_size, set_memory
from pipeline.store.errors import StoreError


def _counts(conn: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, int]:
    tables = conn.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
                          "ORDER BY 1, 2", [catalog]).fetchall()
    return {f"{s}.{t}": int(conn.execute(f'SELECT count(*) FROM "{catalog}"."{s}"."{t}"').fetchone()[0])
            for s, t in tables}


def _objects(conn: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple]:
    views = conn.execute("SELECT 'view', schema_name, view_name FROM duckdb_views() "
                         "WHERE database_name = ? AND NOT internal", [catalog]).fetchall()
    macros = conn.execute("SELECT DISTINCT 'macro', schema_name, function_name FROM duckdb_functions() "
                          "WHERE database_name = ? AND NOT internal AND function_type IN ('macro', 'table_macro')",
                          [catalog]).fetchall()
    return sorted(views + macros)


def compact(db_path: str | Path, memory_mb: int = 0) -> dict:
    """Rewrite ``db_path`` densely (module docstring), with DuckDB's memory limit at
    ``memory_mb`` (0: DuckDB's own, 80% of RAM; past the limit it spills to disk). Returns
    the sizes before and after, the tables and rows copied, and the seconds it took."""
    path = Path(db_path)
    if not path.exists():
        raise StoreError(f"no database at {path}")
    tmp = path.with_name(path.name + ".compact-tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)  # an earlier compaction that was killed
    start = time.perf_counter()
    conn = duckdb.connect(str(path))
    try:
        set_memory(conn, memory_mb)
        old = conn.execute("SELECT current_database()").fetchone()[0]
        conn.execute("CHECKPOINT")
        before = database_size(conn, old)
        conn.execute(f"ATTACH '{tmp}' AS compacted")
        try:
            conn.execute(f'COPY FROM DATABASE "{old}" TO compacted')
            conn.execute("CHECKPOINT compacted")
            rows, copied = _counts(conn, old), _counts(conn, "compacted")
            if rows != copied:
                bad = sorted(k for k in set(rows) | set(copied) if rows.get(k) != copied.get(k))
                raise StoreError(f"compaction copied different rows for {', '.join(bad[:5])}: nothing was replaced")
            if _objects(conn, old) != _objects(conn, "compacted"):
                raise StoreError("compaction did not copy every view and macro: nothing was replaced")
            after = database_size(conn, "compacted")["bytes"]
        finally:
            conn.execute("DETACH compacted")
    except BaseException:
        conn.close()
        tmp.unlink(missing_ok=True)
        raise
    conn.close()
    os.replace(tmp, path)
    return {"bytes_before": before["bytes"], "free_before": before["free_bytes"], "bytes_after": after, "tables": len(rows),
            "rows": sum(rows.values()), "seconds": round(time.perf_counter() - start, 2)}


__all__ = ["compact"]
