"""Incremental classify (issue 13): only new or changed own texts are classified, a run
with nothing new writes nothing, a changed model or setting classifies everything again,
and each sentence is embedded once (cached by content hash and model). Synthetic texts;
a hashing encoder stands in for the sentence-embedding model."""

from __future__ import annotations

import random

import duckdb
import numpy as np
import pytest

from pipeline.api import Corpus
from pipeline.classify.incremental import input_hash, plan
from pipeline.config import load_config
from tests.classify.fixture_data import use_hash_encoder
from tests.classify.test_jobs import _thread

TABLES = ("doc_theme_rows", "doc_sentiment_rows", "sentence_sentiment_rows", "classify_run_log",
          "classify_doc_inputs")


@pytest.fixture(autouse=True)
def _hash_encoder(monkeypatch):
    use_hash_encoder(monkeypatch)


@pytest.fixture
def corpus(tmp_path):
    src = tmp_path / "inputs"
    src.mkdir()
    rng = random.Random(7)
    for i in range(4):
        (src / f"thread_{i}.txt").write_text(_thread(i, rng)[0])
    config = load_config(overrides={"paths": {"models_dir": str(tmp_path / "models"),
                                              "reports_dir": str(tmp_path / "reports")}})
    db = str(tmp_path / "test.duckdb")
    for stage in ("ingest", "clean", "dedupe", "segment"):
        Corpus(db, config).run_stage(stage, [str(src)])
    return {"db": db, "config": config, "src": src, "rng": rng}


def _counts(db: str) -> dict[str, int]:
    con = duckdb.connect(db, read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def _view(db: str, run_id: str, table: str, cols: str) -> list[tuple]:
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(f"SELECT {cols} FROM {table} WHERE run_id = ? ORDER BY ALL", [run_id]).fetchall()
    finally:
        con.close()


def _stage(corpus, config=None, inputs=None) -> dict:
    corpus_api = Corpus(corpus["db"], config or corpus["config"])
    for stage in ("ingest", "clean", "dedupe", "segment") if inputs else ():
        corpus_api.run_stage(stage, [str(inputs)])
    return corpus_api.run_stage("classify")


def test_no_new_input_writes_no_new_classify_rows(corpus):
    first = _stage(corpus)
    assert first["action"] == "full"
    before = _counts(corpus["db"])
    again = _stage(corpus)
    assert again["action"] == "unchanged" and again["classified"] == 0
    assert _counts(corpus["db"]) == before


def test_adding_one_document_classifies_only_it(corpus):
    first = _stage(corpus)
    n = first["documents"]
    (corpus["src"] / "thread_new.txt").write_text(_thread(9, corpus["rng"])[0].split("  2. ")[0] + "\n")
    second = _stage(corpus, inputs=corpus["src"])
    c = second
    assert c["action"] == "incremental"
    assert c["documents"] == n + 2 and c["classified"] == 2 and c["carried"] == n  # the new post and its comment
    # the carried rows are the first run's rows, unchanged
    for table, cols in (("doc_themes", "doc_id, theme, score, stance, stance_score, method"),
                        ("doc_sentiment_all", "doc_id, label, score, method, is_default"),
                        ("sentence_sentiment_all", "doc_id, sentence_no, text, label, score, method")):
        old = _view(corpus["db"], first["run_id"], table, cols)
        new = [r for r in _view(corpus["db"], second["run_id"], table, cols) if any(r[0] == o[0] for o in old)]
        assert new == old, table
    # nothing was copied: the new run's own rows are the two new documents', and its
    # other documents point at the first run's rows
    con = duckdb.connect(corpus["db"], read_only=True)
    try:
        own = {t: con.execute(f"SELECT count(DISTINCT doc_id) FROM {t} WHERE run_id = ?", [second["run_id"]]
                              ).fetchone()[0] for t in ("doc_theme_rows", "doc_sentiment_rows")}
        where = dict(con.execute("SELECT rows_run_id, count(*) FROM classify_doc_inputs WHERE run_id = ? "
                                 "GROUP BY 1", [second["run_id"]]).fetchall())
        hashes = con.execute("SELECT count(input_hash) FROM classify_doc_inputs WHERE run_id = ?",
                             [second["run_id"]]).fetchone()[0]
    finally:
        con.close()
    assert own == {"doc_theme_rows": 2, "doc_sentiment_rows": 2}
    assert where == {first["run_id"]: n, second["run_id"]: 2}
    assert hashes == 2  # a carried document's input hash stays on the first run's row only
    # a run whose rows a later run carries cannot be redone under its id
    from pipeline.store import connect, transaction
    from pipeline.store.classify import start_classification
    from pipeline.store.errors import StoreError
    conn = connect(corpus["db"])
    try:
        with pytest.raises(StoreError, match="carry its rows"):
            with transaction(conn):
                start_classification(conn, first["run_id"])
    finally:
        conn.close()
    # and the new run holds what a full run on all the inputs gives
    fresh = Corpus(corpus["db"] + ".fresh", corpus["config"])
    for stage in ("ingest", "clean", "dedupe", "segment"):
        fresh.run_stage(stage, [str(corpus["src"])])
    full = fresh.run_stage("classify")
    assert full["action"] == "full"
    for table, cols in (("doc_themes", "doc_id, theme, score, stance, stance_score, method"),
                        ("doc_sentiment_all", "doc_id, label, score, method, is_default"),
                        ("sentence_sentiment_all", "doc_id, sentence_no, text, label, score, method")):
        assert _view(corpus["db"], second["run_id"], table, cols) == _view(fresh.db, full["run_id"], table, cols)


def test_changed_model_or_setting_classifies_everything_again(corpus, fitted, taxonomy):
    from pipeline.classify.persist import save_model

    first = _stage(corpus)
    # a new sentiment model appears (classify.sentiment_model = "latest")
    card = {"kind": "sentiment", "run_id": "newmodel0000000", "embedding_model": "hash-test@0",
            "embedding_unit": corpus["config"].get("embed.unit"),
            "cv": {"domain": {"macro_f1": 0.9, "micro": {"f1": 0.9}}, "vader": {"macro_f1": 0.1, "micro": {"f1": 0.1}}}}
    save_model(fitted["sentiment"], "sentiment", "newmodel0000000", corpus["config"].get("paths.models_dir"), card)
    second = _stage(corpus)
    c = second
    assert c["action"] == "full" and c["classified"] == first["documents"] and c["carried"] == 0
    methods = {r[0] for r in _view(corpus["db"], second["run_id"], "doc_sentiment_all", "method")}
    assert "domain" in methods
    # and a changed setting does too
    changed = load_config(overrides={"paths": corpus["config"].get("paths"), "classify": {"theme_threshold": 0.9}})
    assert _stage(corpus, changed)["action"] == "full"


def test_stored_tags_are_reused_and_give_the_same_labels(corpus, monkeypatch):
    """Classify keeps the tags of what it tags (own texts and thread contexts, by content
    hash: ``token_tags``); a later full run (another setting, then the first setting again)
    runs the tagger on none of them and gives the labels the first run gave."""
    import pipeline.nlp as nlp_module

    real, tagged_texts = nlp_module.tagged, []

    def counting(nlp, texts, batch_size=32):
        texts = list(texts)
        tagged_texts.extend(texts)
        return real(nlp, texts, batch_size)

    monkeypatch.setattr(nlp_module, "tagged", counting)
    first = _stage(corpus)
    assert first["action"] == "full" and tagged_texts
    con = duckdb.connect(corpus["db"], read_only=True)
    try:
        stored = con.execute("SELECT count(*), count(DISTINCT content_hash) FROM token_tags").fetchone()
    finally:
        con.close()
    assert stored[0] == stored[1] == len(set(tagged_texts))
    tagged_texts.clear()
    changed = load_config(overrides={"paths": corpus["config"].get("paths"), "classify": {"theme_threshold": 0.9}})
    assert _stage(corpus, changed)["action"] == "full"
    third = _stage(corpus)
    assert third["action"] == "full" and tagged_texts == []
    for table, cols in (("doc_themes", "doc_id, theme, score, stance, stance_score, method"),
                        ("doc_sentiment_all", "doc_id, label, score, method, is_default"),
                        ("sentence_sentiment_all", "doc_id, sentence_no, text, label, score, method")):
        assert _view(corpus["db"], third["run_id"], table, cols) == _view(corpus["db"], first["run_id"], table, cols)


def test_plan_is_pure_and_exact():
    prev = {"run_id": "r1", "settings_key": "k", "inputs": {"a": "1", "b": "2", "c": "3"}}
    p = plan(["a", "b", "d"], ["1", "changed", "4"], "k", prev)
    assert (p.todo, p.keep, p.gone, p.carry_from, p.full) == (["b", "d"], ["a"], ["c"], "r1", False)
    assert plan(["a"], ["1"], "other", prev).full
    assert plan(["a", "b", "c"], ["1", "2", "3"], "k", prev).nothing_to_do
    assert input_hash("x", "ctx") != input_hash("x", "other ctx")


def test_sentences_are_embedded_once_and_cached_per_model(tmp_db, monkeypatch):
    """The encoder classify uses caches what it embeds (sentences, contexts) by content
    hash, model and chunking: a later run embeds none of them again, and vectors cached for
    another model are never used."""
    import pipeline.embed as embed
    from pipeline.embed import Embedded, model_id_for
    from pipeline.store import connect, transaction
    from pipeline.store.classify import write_sentence_vectors

    monkeypatch.undo()  # the real make_encoder
    from pipeline.jobs.classify import make_encoder
    cfg = load_config()
    model_id = model_id_for(cfg.get("embed.model"))
    sent: list[list[str]] = []

    def fake_embed(texts, *args, **kwargs):
        sent.append(list(texts))
        return Embedded(np.tile(np.eye(4, dtype=np.float32)[2], (len(texts), 1)), [1] * len(texts), model_id, "cpu")

    monkeypatch.setattr(embed, "embed_texts", fake_embed)
    conn = connect(tmp_db)
    try:
        chunking = "tokens=model,overlap=32"
        with transaction(conn):  # another model's vector of the same text: never used
            write_sentence_vectors(conn, [embed.content_hash("a sentence")], np.eye(4, dtype=np.float32)[:1],
                                   "other-model@000000000000", chunking)
        with transaction(conn):
            encoder, _ = make_encoder(cfg, conn, cache=True)
            out = encoder(["a sentence", "another sentence", "a sentence"])
        assert sent == [["a sentence", "another sentence"]] and out[0][2] == 1 and out[2][2] == 1
        sent.clear()
        encoder, _ = make_encoder(cfg, conn, cache=True)
        encoder(["another sentence", "a sentence"])
        assert sent == []
        assert conn.execute("SELECT count(*) FROM sentence_embeddings WHERE model_id = ?",
                            [model_id]).fetchone()[0] == 2
    finally:
        conn.close()


@pytest.mark.slow
def test_whole_flow_with_no_new_input_writes_no_classify_or_topics_rows(sample_run, tmp_path, monkeypatch):
    """The sample corpus run again through the flow's stages: embed, topics and classify
    find nothing new, and no classify or topics row is written (the real models)."""
    import shutil
    from pathlib import Path

    monkeypatch.undo()  # the real encoder: the shipped models were trained on its vectors

    db, _ = sample_run
    root = Path(db).parent
    copy = str(tmp_path / "again.duckdb")
    shutil.copy(db, copy)
    config = load_config(overrides={"paths": {"models_dir": str(root / "models"), "reports_dir": str(tmp_path)}})
    tables = TABLES + ("doc_topic_rows", "topic_rows", "topic_model_rows", "topic_quote_rows", "sentence_embeddings")
    con = duckdb.connect(copy, read_only=True)
    before = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    con.close()
    corpus = Corpus(copy, config)
    for stage in ("embed", "topics", "classify"):
        summary = corpus.run_stage(stage)
        if stage == "classify":
            assert summary["action"] == "unchanged" and summary["classified"] == 0
        if stage == "topics":
            assert summary["assigned"] == 0
    con = duckdb.connect(copy, read_only=True)
    after = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    con.close()
    assert after == before and before["sentence_embeddings"] > 0
