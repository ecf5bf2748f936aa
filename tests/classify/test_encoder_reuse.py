"""The classify stage reads vectors the embed stage stored and embeds only the rest."""

from __future__ import annotations

import numpy as np

import pipeline.embed as embed
from pipeline.config import load_config
from pipeline.embed import Embedded, content_hash, model_id_for
from pipeline.embed.settings import embed_settings
from pipeline.jobs.classify import make_encoder
from pipeline.store import connect, transaction
from pipeline.store.embed import write_embeddings


def test_stored_vectors_are_reused(tmp_db, monkeypatch):
    cfg = load_config()
    e = cfg.section("embed")
    model_id = model_id_for(e["model"])
    chunking = embed_settings(e).chunking
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


def test_classify_refuses_to_mix_vectors_of_two_models(tmp_db):
    """Vectors stored by another embedder (the store's current embed state) are never
    mixed with fresh vectors of the configured model: classify stops and says what to do."""
    import pytest

    from pipeline.embed import MixedEmbeddingsError
    from pipeline.store.embed import set_embed_state

    cfg = load_config()
    e = cfg.section("embed")
    chunking = embed_settings(e).chunking
    conn = connect(tmp_db)
    with transaction(conn):
        write_embeddings(conn, [content_hash("old text")], np.eye(8, dtype=np.float32)[:1], [1],
                         "other-model@0123456789ab", chunking, "r")
        set_embed_state(conn, "other-model", "other-model@0123456789ab", chunking, "cpu", "r")
    with pytest.raises(MixedEmbeddingsError, match="will not mix vectors of two models") as err:
        make_encoder(cfg, conn)
    assert "on_model_change" in err.value.one_line() and "\n" not in err.value.one_line()
    # the same model id: accepted
    with transaction(conn):
        set_embed_state(conn, e["model"], model_id_for(e["model"]), chunking, "cpu", "r")
    make_encoder(cfg, conn)


def test_fresh_vectors_of_another_size_are_refused(tmp_db, monkeypatch):
    import pytest

    from pipeline.embed import MixedEmbeddingsError

    cfg = load_config()
    e = cfg.section("embed")
    model_id = model_id_for(e["model"])
    chunking = embed_settings(e).chunking
    conn = connect(tmp_db)
    with transaction(conn):
        write_embeddings(conn, [content_hash("stored")], np.eye(4, dtype=np.float32)[:1], [1], model_id, chunking, "r")
    monkeypatch.setattr(embed, "embed_texts", lambda texts, *a, **k: Embedded(
        np.ones((len(texts), 6), dtype=np.float32), [1] * len(texts), model_id, "cpu"))
    encoder, _ = make_encoder(cfg, conn)
    with pytest.raises(MixedEmbeddingsError, match="differ in size"):
        encoder(["stored", "fresh"])
    monkeypatch.setattr(embed, "embed_texts", lambda texts, *a, **k: Embedded(
        np.ones((len(texts), 4), dtype=np.float32), [1] * len(texts), "another@aaaaaaaaaaaa", "cpu"))
    encoder, _ = make_encoder(cfg, conn)
    with pytest.raises(MixedEmbeddingsError, match="changed during the run"):
        encoder(["fresh"])


def test_sentences_of_texts_embedded_here_are_not_embedded_again(tmp_db, monkeypatch):
    """With embed.unit = "sentences", embedding a text also gives its sentences' vectors:
    classify reads them instead of sending the sentences through the model again."""
    cfg = load_config(overrides={"embed": {"unit": "sentences"}})
    model_id = model_id_for(cfg.section("embed")["model"])
    calls: list[list[str]] = []

    def fake_embed(texts, *args, **kwargs):
        assert kwargs["unit"] == "sentences"
        calls.append(list(texts))
        sents = ("First one.", "Second one.")
        return Embedded(np.tile(np.eye(4, dtype=np.float32)[0], (len(texts), 1)), [2] * len(texts), model_id, "cpu",
                        sents, np.eye(4, dtype=np.float32)[1:3])

    monkeypatch.setattr(embed, "embed_texts", fake_embed)
    encoder, _ = make_encoder(cfg, connect(tmp_db))
    encoder(["First one. Second one."])
    out = encoder(["Second one.", "First one."])
    assert calls == [["First one. Second one."]]
    assert np.array_equal(out[0], np.eye(4, dtype=np.float32)[2]) and np.array_equal(out[1], np.eye(4, dtype=np.float32)[1])


def test_small_requests_read_the_store_once_per_run(tmp_db, monkeypatch):
    """A batch's prototypes, examples and thread contexts are the same few texts batch
    after batch: their stored vectors are read once, not once per batch (each read scans
    every stored vector). A batch's own sentences, a larger request, are read each time."""
    import pipeline.jobs.classify as job
    from pipeline.store.classify import write_sentence_vectors

    cfg = load_config()
    e = cfg.section("embed")
    model_id = model_id_for(e["model"])
    chunking = embed_settings(e).chunking
    texts = [f"stored sentence {i}" for i in range(job.SMALL_REQUEST + 5)]
    vectors = np.random.default_rng(3).normal(size=(len(texts), 4)).astype(np.float32)
    conn = connect(tmp_db)
    with transaction(conn):
        write_sentence_vectors(conn, [content_hash(t) for t in texts], vectors, model_id, chunking)
    reads: list[int] = []
    real = job.sentence_vectors

    def counted(conn, hashes, *args):
        reads.append(len(hashes))
        return real(conn, hashes, *args)

    monkeypatch.setattr(job, "sentence_vectors", counted)
    monkeypatch.setattr(embed, "embed_texts", lambda *a, **k: (_ for _ in ()).throw(AssertionError("embedded")))
    encoder, _ = make_encoder(cfg, conn)
    small, large = texts[:8], texts
    for _ in range(3):
        assert np.array_equal(encoder(small), vectors[:8])
    assert reads == [8]
    for _ in range(2):
        assert np.array_equal(encoder(large), vectors)
    assert reads == [8, len(texts) - 8, len(texts) - 8]  # the small ones known, the rest read each time
