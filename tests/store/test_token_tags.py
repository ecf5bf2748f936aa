"""Stored tags (``token_tags``, migration 23): read and written by content hash and tagger
key; an existing row is kept; another tagger's tags are never read."""

from __future__ import annotations

from pipeline.store import connect, transaction
from pipeline.store.tags import stored_tags, write_tags


def test_tags_are_kept_by_hash_and_tagger(tmp_db):
    conn = connect(tmp_db)
    try:
        with transaction(conn):
            assert write_tags(conn, {"h1": b"\x01\x02\x03", "h2": b""}, "tagger-a") == 2
            assert write_tags(conn, {"h1": b"\x09", "h3": b"\x04"}, "tagger-a") == 1  # h1 kept as it was
            assert write_tags(conn, {"h1": b"\x07"}, "tagger-b") == 1
            assert write_tags(conn, {}, "tagger-a") == 0
        assert stored_tags(conn, ["h1", "h2", "h3", "h4", "h1"], "tagger-a") == {"h1": b"\x01\x02\x03", "h2": b"",
                                                                                "h3": b"\x04"}
        assert stored_tags(conn, ["h1", "h2"], "tagger-b") == {"h1": b"\x07"}
        assert stored_tags(conn, [], "tagger-a") == {}
    finally:
        conn.close()
