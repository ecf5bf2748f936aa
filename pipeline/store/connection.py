"""Connections, transactions and extensions. The only place that calls duckdb.connect."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipeline.store.errors import StoreError


def connect(db_path: str | Path, read_only: bool = False, migrate: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database. A writable connection brings the schema up to date first."""
    p = Path(db_path)
    if read_only:
        if not p.exists():
            raise StoreError(f"no database at {p}: run `probation-corpus run` (or `ingest`) first")
        try:
            return duckdb.connect(str(p), read_only=True)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open {p} read-only: {str(exc).splitlines()[0]}") from exc
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


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure rolls back every write made inside."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


@contextmanager
def registered(conn: duckdb.DuckDBPyConnection, name: str, frame) -> Iterator[duckdb.DuckDBPyConnection]:
    """Expose a DataFrame to SQL as ``name`` for the duration of the block (always unregistered)."""
    conn.register(name, frame)
    try:
        yield conn
    finally:
        conn.unregister(name)


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
