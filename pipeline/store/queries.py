"""Read-only queries: user SQL and the status summary."""

from __future__ import annotations

import duckdb

from pipeline.store.errors import StoreError


def run_sql(conn: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    """Run one user query on a read-only connection. Writes are refused."""
    try:
        cur = conn.execute(sql)
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        if "read-only" in msg or "read only" in msg:
            raise StoreError(
                "the sql command is read-only: it refuses statements that change the database "
                "(use the Python API or the pipeline commands to write)"
            ) from exc
        raise StoreError(f"query failed: {msg}") from exc
    if cur.description is None:
        return [], []
    cols = [d[0] for d in cur.description]
    return cols, cur.fetchall()


def status(conn: duckdb.DuckDBPyConnection, last_runs: int = 5) -> dict:
    q = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
    return {
        "by_kind": dict(q("SELECT kind, count(*) FROM document_rows GROUP BY kind ORDER BY kind")),
        "by_source": q(
            "SELECT s.path_or_url, s.format, count(ds.doc_id), s.declared_comments, s.parsed_comments "
            "FROM source_files s LEFT JOIN document_sources ds USING (source_id) "
            "GROUP BY ALL ORDER BY s.path_or_url"
        ),
        "quarantine": q("SELECT code, count(*) FROM quarantine_rows GROUP BY code ORDER BY code"),
        "quarantine_total": q("SELECT count(*) FROM quarantine_rows")[0][0],
        "runs": q(
            f"SELECT run_id, flow, started_at, finished_at, status FROM run_log "
            f"ORDER BY started_at DESC LIMIT {int(last_runs)}"
        ),
        "schema_version": q("SELECT max(version) FROM schema_version")[0][0],
    }
