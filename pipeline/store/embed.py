"""Reads and idempotent writes for embeddings (keyed by content hash and model)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from pipeline.store.connection import registered, upsert
from pipeline.store.documents import now_utc
from pipeline.store.errors import StoreError


def unique_own_texts(conn: duckdb.DuckDBPyConnection, min_chars: int = 1) -> pd.DataFrame:
    """``doc_id, own_text`` of canonical documents (``documents_unique``) with at least
    ``min_chars`` characters of own text (after trimming), ordered by doc_id."""
    try:
        return conn.execute(
            "SELECT doc_id, own_text FROM documents_unique "
            "WHERE own_text IS NOT NULL AND length(trim(own_text)) >= ? ORDER BY doc_id",
            [max(1, int(min_chars))],
        ).df()
    except duckdb.CatalogException as exc:
        raise StoreError(
            "the documents_unique view is missing: run the clean and dedupe stages first "
            f"({str(exc).splitlines()[0]})"
        ) from exc


def embed_state(conn: duckdb.DuckDBPyConnection) -> dict | None:
    """The embedder whose vectors are current: model, model_id, chunking, device, run_id."""
    row = conn.execute(
        "SELECT model, model_id, chunking, device, run_id FROM embed_state WHERE key = 'current'"
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("model", "model_id", "chunking", "device", "run_id"), row))


def set_embed_state(conn: duckdb.DuckDBPyConnection, model: str, model_id: str, chunking: str,
                    device: str, run_id: str | None) -> None:
    conn.execute(
        "INSERT INTO embed_state VALUES ('current', ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
        "model = excluded.model, model_id = excluded.model_id, chunking = excluded.chunking, "
        "device = excluded.device, updated_at = excluded.updated_at, run_id = excluded.run_id",
        [model, model_id, chunking, device, now_utc(), run_id],
    )



def embedded_hashes(conn: duckdb.DuckDBPyConnection, model_id: str, chunking: str) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT content_hash FROM embedding_rows WHERE model_id = ? AND chunking = ?", [model_id, chunking]
    ).fetchall()}


def vector_frame(columns: dict[str, Sequence], vectors: np.ndarray) -> tuple[pd.DataFrame, str]:
    """A frame of ``columns`` and of ``vectors`` (``n x d``) as ``d`` float32 columns, and
    the SQL expression over them that is each row's vector as ``FLOAT[]``.

    The columns are views of one float32 array, which DuckDB scans as it is. A column of
    per-row arrays (the way before) made pandas hold an object per row and DuckDB convert
    each: writing 242,000 sentence vectors of 384 floats took 13.5 s that way and 8.5 s
    this way (``docs/performance.md``, twenty-ninth pass). The stored lists are identical."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be n x d, not of shape {vectors.shape}")
    names = [f"_v{i}" for i in range(vectors.shape[1])]
    clash = set(names) & set(columns)
    if clash:
        raise ValueError(f"column names {sorted(clash)} are taken by the vector's columns")
    df = pd.DataFrame(vectors, columns=names, copy=False)
    for i, (name, values) in enumerate(columns.items()):
        df.insert(i, name, list(values))
    return df, f"list_value({', '.join(names)})"


def write_embeddings(conn: duckdb.DuckDBPyConnection, hashes: Sequence[str], vectors: np.ndarray,
                     n_chunks: Sequence[int], model_id: str, chunking: str, run_id: str | None) -> int:
    """Insert vectors; an existing (hash, model, chunking) is kept. Returns rows added."""
    if len(hashes) == 0:
        return 0
    df, vector = vector_frame({"content_hash": hashes, "n_chunks": n_chunks}, vectors)
    with registered(conn, "_emb", df) as conn:
        added = conn.execute(
            f"INSERT INTO embedding_rows SELECT content_hash, ?, ?, ?, {vector}, n_chunks, ?, ? "
            "FROM _emb ON CONFLICT DO NOTHING RETURNING 1",
            [model_id, chunking, int(np.shape(vectors)[1]), now_utc(), run_id],
        ).fetchall()
    return len(added)


def write_doc_content(conn: duckdb.DuckDBPyConnection, doc_ids: Sequence[str], hashes: Sequence[str],
                      n_chars: Sequence[int]) -> None:
    """Upsert each document's current content hash."""
    if len(doc_ids) == 0:
        return
    df = pd.DataFrame({"doc_id": list(doc_ids), "content_hash": list(hashes), "n_chars": list(n_chars)})
    with registered(conn, "_dc", df) as conn:
        upsert(conn, "doc_content_rows", "SELECT doc_id, content_hash, n_chars, ? FROM _dc", [now_utc()],
               update="content_hash = excluded.content_hash, n_chars = excluded.n_chars, "
                      "updated_at = excluded.updated_at WHERE doc_content_rows.content_hash <> excluded.content_hash")


def stored_vectors(conn: duckdb.DuckDBPyConnection, hashes: Sequence[str], model_id: str,
                   chunking: str) -> dict[str, np.ndarray]:
    """The stored vectors among ``hashes`` (hash -> vector); missing ones are left out."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return {}
    with registered(conn, "_want", pd.DataFrame({"content_hash": wanted})) as conn:
        got = conn.execute(
            "SELECT e.content_hash, e.vector FROM embedding_rows e JOIN _want w USING (content_hash) "
            "WHERE e.model_id = ? AND e.chunking = ?", [model_id, chunking]
        ).fetchnumpy()
    return {h: np.asarray(v, dtype=np.float32) for h, v in zip(got["content_hash"], got["vector"])}


def load_vectors(conn: duckdb.DuckDBPyConnection, hashes: Sequence[str], model_id: str,
                 chunking: str) -> np.ndarray:
    """The stored vectors of ``hashes`` (row i = hash i); a missing one is an error."""
    if len(hashes) == 0:
        return np.zeros((0, 0), dtype=np.float32)
    found = stored_vectors(conn, hashes, model_id, chunking)
    missing = [h for h in hashes if h not in found]
    if missing:
        raise StoreError(f"{len(missing)} texts have no embedding from {model_id} ({chunking}): "
                         "run the embed stage first")
    return np.stack([found[h] for h in hashes])
