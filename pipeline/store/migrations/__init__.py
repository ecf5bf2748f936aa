"""Migrations as code. Each module ``mNNNN_name.py`` defines ``VERSION``, ``NAME`` and
``up(conn)``; they run in order, each in its own transaction, and the applied version
is recorded in ``schema_version``. Public views are created here and only ever gain
columns (academics rely on their names)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import datetime, timezone
from types import ModuleType

import duckdb


def view_body(sql: str) -> str:
    """The query of a view, from its ``CREATE VIEW name AS ...`` statement as
    ``duckdb_views().sql`` holds it (what a migration rewrites and creates again)."""
    return re.sub(r"^CREATE (OR REPLACE )?VIEW\s+\S+\s+AS\s+", "", sql.strip().rstrip(";"), flags=re.I | re.S)


def all_migrations() -> list[ModuleType]:
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("m") and info.name[1:5].isdigit():
            mods.append(importlib.import_module(f"{__name__}.{info.name}"))
    mods.sort(key=lambda m: m.VERSION)
    versions = [m.VERSION for m in mods]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return mods


def current_version(conn: duckdb.DuckDBPyConnection) -> int:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
    )
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def latest_version() -> int:
    return max(m.VERSION for m in all_migrations())


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    have = current_version(conn)
    for mod in all_migrations():
        if mod.VERSION <= have:
            continue
        conn.execute("BEGIN TRANSACTION")
        try:
            mod.up(conn)
            conn.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [mod.VERSION, mod.NAME, datetime.now(timezone.utc).replace(tzinfo=None)],
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        have = mod.VERSION
    return have
