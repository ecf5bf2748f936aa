"""Classify reads the stored vectors of several batches in one lookup
(``classify.lookup_batches``): each lookup scans every stored vector, so fewer lookups
cost less, and no row changes (issue 13). Synthetic texts and the sample corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest

import pipeline.embed as embed
from pipeline.config import ConfigError, load_config
from pipeline.embed import Embedded, content_hash, model_id_for
from pipeline.embed.settings import embed_settings
from pipeline.store import connect, transaction


def _counting(monkeypatch, job):
    """Count the store lookups of the classify job (document vectors, sentence cache)."""
    calls: list[tuple[str, int]] = []
    for name in ("stored_vectors", "sentence_vectors"):
        real = getattr(job, name)

        def counted(conn, hashes, *args, _real=real, _name=name):
            calls.append((_name, len(hashes)))
            return _real(conn, hashes, *args)

        monkeypatch.setattr(job, name, counted)
    return calls


def test_a_text_to_embed_reuses_its_stored_sentences(tmp_db, monkeypatch):
    """A text classify must embed (a thread context: its post's title and the start of the
    post's own words) is pooled from its sentences; those stored already (by the embed
    stage) are handed to the embedder as known, and only the others are encoded."""
    import pipeline.jobs.classify as job
    from pipeline.store.classify import write_sentence_vectors

    cfg = load_config()
    e = cfg.section("embed")
    model_id, chunking = model_id_for(e["model"]), embed_settings(e).chunking
    assert embed_settings(e).unit == "sentences"  # pipeline/defaults.toml
    stored = ["The inspection was damning.", "Napo balloted members over pay!"]
    vectors = np.random.default_rng(7).normal(size=(2, 4)).astype(np.float32)
    conn = connect(tmp_db)
    with transaction(conn):
        write_sentence_vectors(conn, [content_hash(t) for t in stored], vectors, model_id, chunking)
    given: list[tuple[list[str], dict]] = []

    def fake_embed(batch, *args, known=None, **kwargs):
        given.append((list(batch), dict(known or {})))
        return Embedded(np.full((len(batch), 4), 7.0, dtype=np.float32), [1] * len(batch), model_id, "cpu")

    monkeypatch.setattr(embed, "embed_texts", fake_embed)
    reader = job.vector_reader(cfg, conn, cache=False)
    context = "A title about pay\nThe inspection was damning. Napo balloted members over pay! Then a cut sen"
    reader.encoder([context, "Napo balloted members over pay!"])
    (texts, known), = given  # one call: the stored sentence itself is read, not embedded
    assert texts == [context]
    assert sorted(known) == sorted(stored)
    assert all(np.array_equal(known[t], v) for t, v in zip(stored, vectors))
    conn.close()


def test_read_ahead_serves_the_encoder_without_scanning_the_store_again(tmp_db, monkeypatch):
    import pipeline.jobs.classify as job
    from pipeline.store.classify import write_sentence_vectors

    cfg = load_config()
    e = cfg.section("embed")
    model_id, chunking = model_id_for(e["model"]), embed_settings(e).chunking
    texts = [f"stored sentence {i}" for i in range(job.SMALL_REQUEST + 40)]
    vectors = np.random.default_rng(5).normal(size=(len(texts), 4)).astype(np.float32)
    conn = connect(tmp_db)
    with transaction(conn):
        write_sentence_vectors(conn, [content_hash(t) for t in texts], vectors, model_id, chunking)
    embedded: list[list[str]] = []

    def fake_embed(batch, *args, **kwargs):
        embedded.append(list(batch))
        return Embedded(np.full((len(batch), 4), 7.0, dtype=np.float32), [1] * len(batch), model_id, "cpu")

    monkeypatch.setattr(embed, "embed_texts", fake_embed)
    calls = _counting(monkeypatch, job)
    reader = job.vector_reader(cfg, conn, cache=True)
    new = ["not stored yet"]
    with transaction(conn):
        reader.read_ahead([content_hash(t) for t in texts + new])
        assert len(calls) == 2  # one lookup: the document vectors, then the sentence cache
        calls.clear()
        first, second = texts[:300], texts[300:]
        assert np.array_equal(reader.encoder(first), vectors[:300])
        assert np.array_equal(reader.encoder(second + new), np.vstack([vectors[300:], np.full((1, 4), 7.0)]))
        assert np.array_equal(reader.encoder(new + first[:3]), np.vstack([np.full((1, 4), 7.0), vectors[:3]]))
        assert calls == [] and embedded == [new]  # nothing scanned; the one new text embedded once
        # what was not read ahead is looked up in the store as before
        assert reader.encoder(["elsewhere"]).shape == (1, 4) and [n for n, _ in calls] == ["stored_vectors",
                                                                                            "sentence_vectors"]
        # the text embedded and cached while read ahead is in the store, for later runs
        calls.clear()
        later = job.vector_reader(cfg, conn, cache=True)
        assert np.array_equal(later.encoder(new), np.full((1, 4), 7.0)) and embedded[-1] == ["elsewhere"]
    conn.close()


def test_lookup_batches_is_checked():
    from pipeline.classify.settings import classify_settings

    assert classify_settings(load_config().section("classify")).lookup_batches >= 1
    with pytest.raises(ConfigError, match="classify.lookup_batches"):
        classify_settings(load_config(overrides={"classify": {"lookup_batches": 0}}).section("classify"))


ROWS = {"doc_theme_rows": "doc_id, theme, score, present, method, stance, stance_score, confidence",
        "doc_sentiment_rows": "doc_id, method, label, score, is_default, confidence",
        "sentence_sentiment_rows": "* EXCLUDE (run_id)"}


@pytest.mark.slow
def test_grouped_lookups_give_the_same_rows_with_fewer_scans(sample_run, tmp_path, monkeypatch):
    """The sample corpus classified again in batches of 25 documents, each batch's vectors
    looked up alone and four batches' at once: the same rows, far fewer store scans; and
    changing ``lookup_batches`` (or the memory limit) classifies nothing again."""
    import pipeline.jobs.classify as job
    from pipeline.api import Corpus

    db, _ = sample_run
    root = Path(db).parent
    got, scans = {}, {}
    for groups in (1, 4):
        copy = str(tmp_path / f"groups{groups}.duckdb")
        shutil.copy(db, copy)
        config = load_config(overrides={"paths": {"models_dir": str(root / "models"), "reports_dir": str(tmp_path)},
                                        "classify": {"batch_documents": 25, "lookup_batches": groups}})
        calls = _counting(monkeypatch, job)
        summary = Corpus(copy, config).run_stage("classify")
        assert summary["action"] == "full" and summary["classified"] > 100  # five groups of four batches or more
        scans[groups] = len(calls)
        monkeypatch.undo()
        con = duckdb.connect(copy, read_only=True)
        got[groups] = {t: con.execute(f"SELECT {cols} FROM {t} WHERE run_id = ? ORDER BY ALL",
                                      [summary["run_id"]]).fetchall() for t, cols in ROWS.items()}
        con.close()
        if groups == 4:
            again = load_config(overrides={"paths": {"models_dir": str(root / "models"), "reports_dir": str(tmp_path)},
                                           "classify": {"batch_documents": 25, "lookup_batches": 2,
                                                        "duckdb_memory_mb": 512}})
            assert Corpus(copy, again).run_stage("classify")["action"] == "unchanged"
    assert all(got[1][t] for t in ROWS) and got[1] == got[4]
    batches = -(-summary["classified"] // 25)
    assert scans[1] >= 2 * batches  # each batch: its sentences missed in the document vectors, then the cache
    # each group one lookup (two scans), and the run's three small ones (prototypes, examples, contexts)
    assert scans[4] <= 2 * -(-batches // 4) + 6 < scans[1]
