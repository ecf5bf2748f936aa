"""Build small databases for the embed/topics job tests without running ingest/clean."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np

from pipeline.config import Config, load_config
from pipeline.embed import content_hash
from pipeline.store import connect, transaction
from pipeline.store.embed import set_embed_state, write_doc_content, write_embeddings


def add_documents(db: str, ids: Sequence[str], texts: Sequence[str],
                  dates: Sequence[datetime | None] | None = None) -> None:
    """Insert comments with these own texts (one post per document, no duplicates)."""
    dates = list(dates) if dates is not None else [datetime(2020, 1, 1)] * len(ids)
    conn = connect(db)
    try:
        with transaction(conn):
            for doc_id, text, when in zip(ids, texts, dates):
                conn.execute(
                    "INSERT INTO document_rows (doc_id, kind, post_id, position, published_at, date_only, text, "
                    "flags, fingerprint, source_id) VALUES (?, 'comment', ?, 1, ?, false, ?, [], ?, 's_test') "
                    "ON CONFLICT (doc_id) DO UPDATE SET text = excluded.text",
                    [doc_id, "p_" + doc_id, when, text, content_hash(text)])
                conn.execute(
                    "INSERT INTO doc_own (doc_id, own_text, input_key) VALUES (?, ?, 'test') "
                    "ON CONFLICT (doc_id) DO UPDATE SET own_text = excluded.own_text", [doc_id, text])
    finally:
        conn.close()


def add_embeddings(db: str, texts: Sequence[str], vectors: np.ndarray, ids: Sequence[str],
                   model_id: str = "synthetic@000000000000", chunking: str = "tokens=model,overlap=32") -> None:
    """Store given vectors as if the embed stage had made them."""
    conn = connect(db)
    try:
        with transaction(conn):
            hashes = [content_hash(t) for t in texts]
            write_embeddings(conn, hashes, vectors, [1] * len(texts), model_id, chunking, "test")
            write_doc_content(conn, list(ids), hashes, [len(t) for t in texts])
            set_embed_state(conn, "synthetic", model_id, chunking, "cpu", "test")
    finally:
        conn.close()


def job_config(tmp_path, **sections) -> Config:
    """Defaults with models written under ``tmp_path`` and the given per-section overrides."""
    overrides = {"paths": {"models_dir": str(tmp_path / "models")}}
    for name, values in sections.items():
        overrides.setdefault(name, {}).update(values)
    return load_config(None, overrides, cwd=tmp_path)
