"""Read-only queries: user SQL and the status summary."""

from __future__ import annotations

import re

import duckdb

from pipeline.store.connection import database_size
from pipeline.store.errors import StoreError

READ_ONLY_MESSAGE = (
    "the sql command is read-only: it runs one query (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN, "
    "SUMMARIZE) and refuses anything else (files are read by `ingest`; write them from the Python API)"
)

# The words a query may start with (after opening brackets), checked on DuckDB's own
# statement split: PRAGMA, CALL and CHECKPOINT also parse as SELECT/CALL, so the type
# alone is not enough. FROM-first and VALUES are queries too.
QUERY_WORDS = ("select", "with", "describe", "desc", "show", "explain", "summarize", "from", "values")
QUERY_TYPES = ("SELECT", "EXPLAIN")


def _first_word(text: str) -> str:
    text = re.sub(r"^(?:\s|--[^\n]*\n?|/\*.*?\*/)*", "", text, flags=re.S)
    m = re.match(r"[\s(]*([A-Za-z_]+)", text)
    return m.group(1).lower() if m else ""


def check_query(sql: str) -> str:
    """The one statement of ``sql`` if it is a query, else StoreError (the read-only line)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise StoreError(f"query failed: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise StoreError(READ_ONLY_MESSAGE if statements else "query failed: no statement given")
    st = statements[0]
    # DuckDB rewrites some statements (PRAGMA x becomes SELECT * FROM pragma_x()): the
    # user's own text must start like a query too.
    if (st.type.name not in QUERY_TYPES or _first_word(st.query) not in QUERY_WORDS
            or _first_word(sql) not in QUERY_WORDS):
        raise StoreError(READ_ONLY_MESSAGE)
    if st.type.name == "EXPLAIN":  # EXPLAIN ANALYZE runs its statement: check that one too
        inner = re.sub(r"^[\s(]*explain\s+(?:analy[sz]e\s+)?", "", st.query, flags=re.I)
        if inner.strip():
            check_query(inner)
    return sql


def run_sql(conn: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    """Run one user query on a read-only, locked-down connection (``connect_query``).

    Exactly one statement, and only a query: anything else is refused before it runs.
    """
    query = check_query(sql)
    try:
        cur = conn.execute(query)
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        if ("read-only" in msg or "read only" in msg or "disabled by configuration" in msg
                or "configuration has been locked" in msg):
            raise StoreError(READ_ONLY_MESSAGE) from None
        raise StoreError(f"query failed: {msg}") from None
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
        "size": {k: v for k, v in database_size(conn).items() if k != "used_bytes"},
    }
