"""Reads and idempotent writes for coders' codes and the documents they point at."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline.store.connection import registered
from pipeline.store.documents import now_utc


def document_locators(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """doc_id, kind, post_id, parent_id, position, source (file name) for every
    (document, source it was read from) pair."""
    df = conn.execute(
        "SELECT d.doc_id, d.kind, d.post_id, d.parent_id, d.position, s.path_or_url AS path "
        "FROM document_rows d JOIN document_sources ds ON ds.doc_id = d.doc_id "
        "JOIN source_files s ON s.source_id = ds.source_id"
    ).df()
    df["source"] = df["path"].map(lambda p: str(p).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1])
    return df.drop(columns=["path"])


def document_heads(conn: duckdb.DuckDBPyConnection, chars: int = 200) -> pd.DataFrame:
    """doc_id, source (file name), blogger_id and the first ``chars`` characters of text
    and own text, per (document, source) pair: what import matches coders' rows on."""
    own = "coalesce(d.own_text, '')" if _has_column(conn, "own_text") else "''"
    df = conn.execute(
        f"SELECT d.doc_id, s.path_or_url AS path, d.blogger_id, left(r.text, {int(chars)}) AS text, "
        f"left({own}, {int(chars)}) AS own_text "
        "FROM documents d JOIN document_rows r ON r.doc_id = d.doc_id "
        "JOIN document_sources ds ON ds.doc_id = d.doc_id JOIN source_files s ON s.source_id = ds.source_id"
    ).df()
    df["source"] = df["path"].map(lambda p: str(p).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1])
    return df.drop(columns=["path"])


def _has_column(conn: duckdb.DuckDBPyConnection, column: str) -> bool:
    return column in [d[0] for d in conn.execute("SELECT * FROM documents LIMIT 0").description]


def known_doc_ids(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT doc_id FROM document_rows").fetchall()}


def write_codes(conn: duckdb.DuckDBPyConnection, codes: pd.DataFrame, coder: str, source_file: str) -> int:
    """Store one coder's codes (doc_id, label_kind, label, value). A document coded again
    by the same coder has its earlier codes replaced. Call inside ``transaction``."""
    if codes.empty:
        return 0
    docs = pd.DataFrame({"doc_id": codes["doc_id"].unique()})
    with registered(conn, "_docs", docs) as conn:
        conn.execute("DELETE FROM annotation_codes WHERE coder = ? AND doc_id IN (SELECT doc_id FROM _docs)", [coder])
    df = codes.assign(coder=coder, imported_at=now_utc(), source_file=source_file)
    columns = ["doc_id", "coder", "label_kind", "label", "value", "imported_at", "source_file"]
    with registered(conn, "_codes", df[columns]) as conn:
        conn.execute("INSERT INTO annotation_codes SELECT * FROM _codes")
    return len(df)


def read_codes(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored code: doc_id, coder, label_kind, label, value."""
    return conn.execute("SELECT doc_id, coder, label_kind, label, value FROM annotation_codes "
                        "ORDER BY doc_id, coder, label_kind, label").df()


def coded_doc_ids(conn: duckdb.DuckDBPyConnection, coder: str | None = None) -> set[str]:
    if coder:
        rows = conn.execute("SELECT DISTINCT doc_id FROM annotation_codes WHERE coder = ?", [coder]).fetchall()
    else:
        rows = conn.execute("SELECT DISTINCT doc_id FROM annotation_codes").fetchall()
    return {r[0] for r in rows}


def export_documents(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """doc_id, kind, author, published_at, post_id, own_text of every document."""
    return conn.execute("SELECT doc_id, kind, author, published_at, post_id, coalesce(own_text, '') AS own_text "
                        "FROM documents ORDER BY post_id, position").df()
