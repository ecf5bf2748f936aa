"""Stored tags: spaCy's tags of texts by content hash (``token_tags``, migration 23),
read and written for ``pipeline.nlp.reusing_tagger``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb
import pandas as pd

from pipeline.store.connection import registered
from pipeline.store.documents import now_utc


def stored_tags(conn: duckdb.DuckDBPyConnection, hashes: Sequence[str], tagger: str) -> dict[str, bytes]:
    """The stored tags of these content hashes under ``tagger`` (hash -> tags); missing ones left out."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return {}
    with registered(conn, "_want_t", pd.DataFrame({"content_hash": wanted})) as conn:
        rows = conn.execute("SELECT t.content_hash, t.tags FROM token_tags t JOIN _want_t w USING (content_hash) "
                            "WHERE t.tagger = ?", [tagger]).fetchall()
    return {h: bytes(t) for h, t in rows}


def write_tags(conn: duckdb.DuckDBPyConnection, tags: Mapping[str, bytes], tagger: str) -> int:
    """Keep the tags of freshly tagged texts (hash -> tags); an existing (hash, tagger) is kept.
    Returns how many rows were added."""
    if not tags:
        return 0
    df = pd.DataFrame({"content_hash": list(tags), "tags": [bytes(v) for v in tags.values()]})
    with registered(conn, "_tt", df) as conn:
        added = conn.execute("INSERT INTO token_tags SELECT content_hash, ?, tags, ? FROM _tt "
                             "ON CONFLICT DO NOTHING RETURNING 1", [tagger, now_utc()]).fetchall()
    return len(added)
