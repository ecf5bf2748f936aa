"""The classify stage reads vectors the embed stage stored and embeds only the rest."""

from __future__ import annotations

import numpy as np

import pipeline.embed as embed
from pipeline.config import load_config
from pipeline.embed import Embedded, content_hash, model_id_for
from pipeline.jobs.classify import make_encoder
from pipeline.jobs.embed import chunking_key
from pipeline.store import connect, transaction
from pipeline.store.embed import write_embeddings


def test_stored_vectors_are_reused(tmp_db, monkeypatch):
    cfg = load_config()
    e = cfg.section("embed")
    model_id = model_id_for(e["model"])
    chunking = chunking_key(int(e["chunk_tokens"]), int(e["chunk_overlap"]))
    stored = np.eye(4, dtype=np.float32)[0]
    conn = connect(tmp_db)
    with transaction(conn):
        write_embeddings(conn, [content_hash("already embedded")], stored[None, :], [1], model_id, chunking, "r")

    sent: list[list[str]] = []

    def fake_embed(texts, *args, **kwargs):
        sent.append(list(texts))
        return Embedded(np.tile(np.eye(4, dtype=np.float32)[1], (len(texts), 1)), [1] * len(texts), model_id, "cpu")

    monkeypatch.setattr(embed, "embed_texts", fake_embed)
    encoder, mid = make_encoder(cfg, conn)
    out = encoder(["new sentence", "already embedded", "another new one"])
    assert mid == model_id
    assert sent == [["new sentence", "another new one"]]
    assert np.array_equal(out[1], stored) and out[0][1] == 1 and out[2][1] == 1
    sent.clear()
    encoder(["already embedded"])
    assert sent == []
