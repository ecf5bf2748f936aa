"""Reads for quote sets (the ``quotes`` view)."""

from __future__ import annotations

import duckdb
import pandas as pd


def quote_set(conn: duckdb.DuckDBPyConnection, theme: str | None = None, stance: str | None = None,
              min_chars: int = 0, max_chars: int | None = None, limit: int = 20,
              kind: str | None = None) -> pd.DataFrame:
    """Quotes from the latest classify run, most confident first (stance, then theme)."""
    where, params = ["n_chars >= ?"], [min_chars]
    if theme:
        where.append("theme = ?")
        params.append(theme)
    if stance:
        where.append("stance = ?")
        params.append(stance.upper())
    if max_chars:
        where.append("n_chars <= ?")
        params.append(max_chars)
    if kind:
        where.append("kind = ?")
        params.append(kind)
    sql = (f"SELECT * FROM quotes WHERE {' AND '.join(where)} "
           "ORDER BY stance_score DESC NULLS LAST, theme_score DESC, published_at, doc_id LIMIT ?")
    return conn.execute(sql, [*params, int(limit)]).df()


def themes_known(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT theme FROM quotes ORDER BY 1").fetchall()]
