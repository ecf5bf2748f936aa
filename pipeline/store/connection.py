"""Connections, transactions and extensions. The only place that calls duckdb.connect."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipeline.store.errors import StoreError


def _is_lock_error(exc: BaseException) -> bool:
    msg = str(exc)
    return "Could not set lock" in msg or "Conflicting lock" in msg


def connect(db_path: str | Path, read_only: bool = False, migrate: bool = True,
            retry_s: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open the database. A writable connection brings the schema up to date first.

    A read-only connection retries for ``retry_s`` seconds while a run holds DuckDB's
    lock (config ``store.reader_retry_s``), then says in one line that a run is writing.
    """
    p = Path(db_path)
    if read_only:
        if not p.exists():
            raise StoreError(f"no database at {p}: run `probation-corpus run` (or `ingest`) first")
        deadline = time.monotonic() + max(0.0, float(retry_s))
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(p), read_only=True)
            except duckdb.Error as exc:
                if not _is_lock_error(exc):
                    raise StoreError(f"cannot open {p} read-only: {str(exc).splitlines()[0]}") from exc
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"a run is writing to {p}: try again when it has finished "
                        f"(readers wait up to store.reader_retry_s = {retry_s:g} s)"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = duckdb.connect(str(p))
    except duckdb.IOException as exc:
        raise StoreError(
            f"cannot open {p}: {str(exc).splitlines()[0]} (is another process writing to it?)"
        ) from exc
    if migrate:
        from pipeline.store.migrations import migrate as run_migrations

        run_migrations(conn)
    return conn


def connect_query(db_path: str | Path, retry_s: float = 0.0) -> duckdb.DuckDBPyConnection:
    """A connection for user SQL: read-only, the project's own extensions loaded, then no
    file system or network access and the configuration locked (no SET, no LOAD)."""
    conn = connect(db_path, read_only=True, retry_s=retry_s)
    try:
        for name in ("fts", "vss"):
            try:
                load_extension(conn, name)
            except (StoreError, duckdb.Error):
                pass  # optional: queries that need it will say so
        for setting in ("enable_external_access = false", "autoinstall_known_extensions = false",
                        "autoload_known_extensions = false", "allow_community_extensions = false",
                        "lock_configuration = true"):
            conn.execute(f"SET {setting}")
    except BaseException:
        conn.close()
        raise
    return conn


MEMORY_HINT = ("raise the stage's DuckDB memory limit (classify.duckdb_memory_mb, dedupe.duckdb_memory_mb or "
               "embed.duckdb_memory_mb, 0: DuckDB's own, 80% of RAM; ingest.stream_duckdb_mb for a streamed input) and run the stage again")


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure rolls back every write made inside. DuckDB running out
    of its ``memory_limit`` inside the transaction or while committing it (what a
    transaction has written to a table with a key, and its key index, stays in memory
    until the commit, which merges it into the table's whole index) becomes a
    :class:`StoreError` that names the limit and how to raise it."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except duckdb.OutOfMemoryException as exc:
        _roll_back(conn, exc)
        raise _out_of_memory(conn, "inside one transaction") from exc
    except BaseException as exc:
        _roll_back(conn, exc)
        raise
    try:
        conn.execute("COMMIT")
    except duckdb.TransactionException as exc:
        # DuckDB reports running out of memory at the commit as a failed commit; the
        # transaction is rolled back by then
        if not any(words in str(exc) for words in COMMIT_OUT_OF_MEMORY):
            raise
        raise _out_of_memory(conn, "committing one transaction") from exc


def drop_tables(conn: duckdb.DuckDBPyConnection | Scoped, *names: str) -> None:
    """DROP these (temporary) tables if they exist, as a ``finally`` does after work with
    them. In a transaction that an error has aborted, nothing: DuckDB refuses any statement
    there, and that refusal would replace the error (an out-of-memory error among them,
    which ``transaction`` turns into advice); the rollback takes the tables with it."""
    for name in names:
        try:
            conn.execute(f"DROP TABLE IF EXISTS {name}")
        except duckdb.TransactionException:
            return


COMMIT_OUT_OF_MEMORY = ("failed to allocate", "failed to pin", "could not allocate")
"""How DuckDB's "Failed to commit" says it ran out of memory (the wording depends on where
the commit needed the memory: a block to pin, a new block, an allocation)."""


def _roll_back(conn: duckdb.DuckDBPyConnection, exc: BaseException) -> None:
    """Roll back after ``exc``. When DuckDB has invalidated the database instead (an internal
    error inside the transaction, such as the upsert race ``upsert`` avoids), nothing of the
    transaction reached the file: a :class:`StoreError` says so, and names the error, in place
    of DuckDB's "database has been invalidated"."""
    try:
        conn.execute("ROLLBACK")
    except duckdb.FatalException:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise StoreError(f"DuckDB stopped with an error inside one transaction ({first}) and closed the "
                         "database; nothing of the transaction was written",
                         "run the stage again: a new run opens the database afresh") from exc


def _out_of_memory(conn: duckdb.DuckDBPyConnection, where: str) -> StoreError:
    limit = conn.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    return StoreError(f"DuckDB ran out of memory (memory_limit {limit}) {where}; it was rolled back and nothing "
                      "was written", MEMORY_HINT)


def type_from_every_row(conn: duckdb.DuckDBPyConnection | Scoped, rows: int) -> None:
    """Make DuckDB type a scanned frame's object columns from all of its ``rows``, not a
    sample of 1,000: a column that is None, or an empty list, in every sampled row is
    typed NULL, and the rare row with a value then fails the cast ("VARCHAR -> NULL")."""
    conn.execute(f"SET pandas_analyze_sample = {max(1000, int(rows))}")


class Scoped:
    """A connection whose ``execute`` also reads the DataFrames of ``registered`` by their
    names; everything else is the connection's.

    The frames reach SQL through DuckDB's replacement scan (a name that is no table is
    looked up among the variables of the Python code that runs the query), not through
    ``register``: a registered frame stays alive until the transaction ends, even once
    unregistered, so a stage writing in many steps inside its one transaction held every
    step's frames (the dedupe stage at 150k documents: some 2 GiB of shingle, band and
    pair frames)."""

    __slots__ = ("_conn", "_frames")

    def __init__(self, conn: duckdb.DuckDBPyConnection, frames: dict):
        self._conn, self._frames = conn, frames

    def execute(self, query: str, parameters=None):
        if not self._frames:
            return self._conn.execute(query, parameters)
        scope = {**self._frames, "__conn": self._conn, "__query": query, "__params": parameters}
        exec(_SCAN, scope)  # noqa: S102  (fixed code; the frames are its variables)
        return scope["__result"]

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


_SCAN = compile("__result = __conn.execute(__query, __params)", "<registered>", "exec")


@contextmanager
def registered(conn: duckdb.DuckDBPyConnection | Scoped, name: str, frame) -> Iterator[Scoped]:
    """Expose a DataFrame to SQL as ``name`` for the duration of the block, through the
    connection it yields (``with registered(conn, "_x", df) as conn:``; blocks nest). The
    frame is released when the block ends, not when the transaction does (``Scoped``)."""
    base, frames = (conn._conn, dict(conn._frames)) if isinstance(conn, Scoped) else (conn, {})
    frames[name] = frame
    scoped = Scoped(base, frames)
    try:
        yield scoped
    finally:
        frames.clear()


def primary_key(conn: duckdb.DuckDBPyConnection | Scoped, table: str) -> list[str]:
    """The columns of ``table``'s primary key, in order (empty: it has none)."""
    row = conn.execute("SELECT constraint_column_names FROM duckdb_constraints() WHERE table_name = ? "
                       "AND constraint_type = 'PRIMARY KEY' AND schema_name = current_schema()", [table]).fetchone()
    return list(row[0]) if row else []


def upsert(conn: duckdb.DuckDBPyConnection | Scoped, table: str, rows: str, params: Sequence | None = None,
           *, columns: Sequence[str] = (), update: str | None = None) -> None:
    """Write what the query ``rows`` returns into ``table``: a row whose primary key is stored
    replaces the stored row (``update`` None) or is merged into it by ``update`` (what follows
    ``ON CONFLICT (key) DO UPDATE SET``: assignments that may read ``excluded``, then an
    optional ``WHERE``); every other row is inserted. ``columns``: the table's columns that
    ``rows`` fills, in its order (default all). ``rows`` must name the key columns; it runs
    twice, with ``params`` each time.

    The only way the store upserts more than one row: two statements, never one that both
    updates and inserts. DuckDB 1.4.4 runs an upsert's updates and its appends on separate
    threads, and an update of a row that the same transaction wrote earlier can read that
    row's vector while an append is extending it. The statement then fails with "INTERNAL
    Error: Unaligned fetch in validity and main column data for update" and the database is
    invalidated (a streamed ingest in CI; a workload built to provoke it failed 4 transactions
    in 10 at 8 threads, and ``INSERT OR REPLACE`` crashed the process). So the rows whose key
    is stored go first (only updates), then the rest with ``ON CONFLICT DO NOTHING`` (only
    appends). Same result as one statement; ``tests/store/test_upsert.py``."""
    key = primary_key(conn, table)
    if not key:
        raise ValueError(f"upsert: table {table} has no primary key")
    into = f"INTO {table}" + (f" ({', '.join(columns)})" if columns else "")
    source = f"SELECT * FROM ({rows}) AS _rows"
    stored = " AND ".join(f'_stored."{k}" = _rows."{k}"' for k in key)
    matched = f"{source} WHERE EXISTS (SELECT 1 FROM {table} AS _stored WHERE {stored})"
    if update is None:
        conn.execute(f"INSERT OR REPLACE {into} {matched}", params)
    else:
        target = ", ".join(f'"{k}"' for k in key)
        conn.execute(f"INSERT {into} {matched} ON CONFLICT ({target}) DO UPDATE SET {update}", params)
    conn.execute(f"INSERT {into} {source} ON CONFLICT DO NOTHING", params)


def extension_path(name: str) -> Path:
    """The extension file shipped by the duckdb-ext-<name> PyPI package (offline)."""
    spec = importlib.util.find_spec("duckdb_ext")
    roots = list(spec.submodule_search_locations or []) if spec else []
    version = "v" + duckdb.__version__
    for root in roots:
        for candidate in Path(root).glob(f"extensions/{version}/*/{name}.duckdb_extension"):
            return candidate
    raise StoreError(
        f"DuckDB extension '{name}' not found: pip install duckdb-ext-{name}=={duckdb.__version__}.*"
    )


def load_extension(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    conn.execute(f"LOAD '{extension_path(name)}'")


def database_size(conn: duckdb.DuckDBPyConnection, catalog: str | None = None) -> dict[str, int]:
    """Bytes of the database file's blocks (``catalog``, default the connection's own):
    ``bytes`` (the whole file), ``used_bytes`` and ``free_bytes``."""
    row = conn.execute("SELECT block_size, total_blocks, used_blocks, free_blocks FROM pragma_database_size() "
                       "WHERE database_name = coalesce(?, current_database())", [catalog]).fetchone()
    size = int(row[0])
    return {"bytes": size * int(row[1]), "used_bytes": size * int(row[2]), "free_bytes": size * int(row[3])}


def set_memory(conn: duckdb.DuckDBPyConnection, megabytes: int, background_flush: bool | None = None) -> None:
    """DuckDB's ``memory_limit`` for this connection's database, in MB (0: leave DuckDB's
    own, 80% of RAM; past it DuckDB evicts cached blocks and spills), and whether its
    allocator returns freed memory to the system in background threads
    (``allocator_background_threads``, global to the process's DuckDB; off is DuckDB's
    default; None leaves it as it is)."""
    if megabytes > 0:
        conn.execute(f"SET memory_limit = '{int(megabytes)}MB'")
    if background_flush is not None:
        conn.execute(f"SET allocator_background_threads = {'true' if background_flush else 'false'}")
