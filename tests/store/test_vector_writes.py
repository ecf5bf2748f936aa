"""Vectors written through ``vector_frame`` (one float32 column per dimension) come back
bit for bit, for document vectors and the sentence cache alike."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.store import connect, transaction
from pipeline.store.classify import sentence_vectors, write_sentence_vectors
from pipeline.store.embed import load_vectors, vector_frame, write_embeddings


def _vectors(n: int, d: int, seed: int) -> np.ndarray:
    # awkward floats on purpose: a denormal, a huge and a tiny magnitude. (Not -0.0: the
    # stored list has +0.0 for it, with per-row arrays as with this way.)
    v = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    v[0, 0], v[0, 1], v[1, 0] = np.float32(1e-42), np.float32(-1e-30), np.float32(3.4e38)
    return v


def test_document_vectors_come_back_bit_for_bit(tmp_db):
    v = _vectors(50, 17, 1)
    hashes = [f"h{i:03d}" for i in range(len(v))]
    conn = connect(tmp_db)
    with transaction(conn):
        assert write_embeddings(conn, hashes, v, [1] * 49 + [3], "m@1", "sentences", None) == 50
        # a second write of the same keys adds nothing and keeps the first vectors
        assert write_embeddings(conn, hashes[:5], v[:5] + 1, [1] * 5, "m@1", "sentences", None) == 0
    got = load_vectors(conn, hashes[::-1], "m@1", "sentences")
    assert got.dtype == np.float32 and got.tobytes() == v[::-1].tobytes()
    row = conn.execute("SELECT dim, n_chunks FROM embedding_rows WHERE content_hash = 'h049'").fetchone()
    assert row == (17, 3)


def test_sentence_vectors_come_back_bit_for_bit(tmp_db):
    v = _vectors(40, 384, 2)
    hashes = [f"s{i}" for i in range(len(v))]
    conn = connect(tmp_db)
    with transaction(conn):
        assert write_sentence_vectors(conn, hashes, v, "m@1", "sentences") == 40
    got = sentence_vectors(conn, hashes, "m@1", "sentences")
    assert set(got) == set(hashes)
    assert all(got[h].tobytes() == v[i].tobytes() for i, h in enumerate(hashes))
    assert conn.execute("SELECT DISTINCT dim FROM sentence_embeddings").fetchall() == [(384,)]


def test_vector_frame_refuses_a_clashing_column_and_a_flat_array():
    with pytest.raises(ValueError, match="taken"):
        vector_frame({"_v1": ["a"]}, np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="n x d"):
        vector_frame({"content_hash": ["a"]}, np.zeros(3, dtype=np.float32))
    df, expr = vector_frame({"content_hash": ["a", "b"]}, np.arange(6, dtype=np.float64).reshape(2, 3))
    assert list(df.columns) == ["content_hash", "_v0", "_v1", "_v2"] and expr == "list_value(_v0, _v1, _v2)"
    assert all(str(df[c].dtype) == "float32" for c in ("_v0", "_v1", "_v2"))
