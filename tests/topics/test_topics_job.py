from __future__ import annotations

import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import pipeline.jobs.topics as topics_jobs
from pipeline.jobs import STAGES, JobContext
from pipeline.jobs.runlog import recorded_run
from pipeline.topics import TopicsError
from tests.topics.helpers import add_documents, add_embeddings, job_config
from tests.topics.synthetic import synthetic_corpus


def _run(db, config, job=None, options=None):
    job = job or STAGES["topics"]
    with recorded_run(db, "topics", {}, config) as (run_id, summary):
        summary.update(job(JobContext(db, config, run_id, (), options or {})))
    return summary


def _dates(n):
    return [datetime(2020, 1 + (i % 3), 1 + (i % 27), 12) for i in range(n)]


@pytest.fixture(scope="module")
def base_fit(tmp_path_factory, synthetic):
    """One database with the synthetic corpus, embedded and fitted (the first topics run)."""
    root = tmp_path_factory.mktemp("topics_job")
    db = str(root / "base.duckdb")
    ids, texts, emb, _ = synthetic
    add_documents(db, ids, texts, _dates(len(ids)))
    add_embeddings(db, texts, emb, ids)
    config = job_config(root)
    first = _run(db, config)
    return db, config, first


@pytest.fixture
def fitted_db(base_fit, tmp_path):
    """A private copy of the fitted database (the saved model folder is shared, read-only)."""
    db, config, first = base_fit
    copy = tmp_path / "fitted.duckdb"
    shutil.copy(db, copy)
    return str(copy), config, first


def _q(db, sql, params=None):
    conn = duckdb.connect(db, read_only=True)
    try:
        return conn.execute(sql, params or []).df()
    finally:
        conn.close()


def test_first_run_fits_and_saves_a_model(fitted_db, synthetic):
    db, config, first = fitted_db
    ids = synthetic[0]
    assert first["action"] == "fit" and first["documents"] == len(ids) and first["topics"] == 5
    folder = Path(first["model_path"])
    assert folder.parent == (Path(config.get("paths.models_dir")) / "topics").resolve()
    assert (folder / "card.json").is_file() and (folder / "MODEL_CARD.md").is_file()
    models = _q(db, "SELECT * FROM topic_models")
    assert len(models) == 1 and models.is_current.all()
    topics = _q(db, "SELECT * FROM topics ORDER BY topic_id")
    assert topics["size"].sum() == len(ids) and (topics["size"] == topics.fit_size).all()
    assert _q(db, "SELECT count(*) AS n FROM doc_topics").n[0] == len(ids)
    quotes = _q(db, "SELECT * FROM topic_quotes")
    assert len(quotes) == 5 * config.get("topics.representative_quotes")


def test_new_documents_are_assigned_without_refitting(fitted_db, synthetic, monkeypatch):
    db, config, first = fitted_db

    def no_fit(*a, **k):
        raise AssertionError("the topics stage must not refit when a model exists")

    monkeypatch.setattr(topics_jobs, "fit_topics", no_fit)
    assert _run(db, config)["assigned"] == 0  # nothing new: nothing to do
    new_ids, new_texts, new_emb, new_themes = synthetic_corpus(per_theme=3, seed=5, prefix="n")
    add_documents(db, new_ids, new_texts, _dates(len(new_ids)))
    add_embeddings(db, new_texts, new_emb, new_ids)
    out = _run(db, config)
    assert out["action"] == "assign" and out["assigned"] == len(new_ids) and out["model_run"] == first["model_run"]
    assert len(_q(db, "SELECT * FROM topic_models")) == 1
    rows = _q(db, "SELECT doc_id, topic_id, method, run_id FROM doc_topics")
    ids, _, _, themes = synthetic
    theme_of = dict(zip(ids, themes))
    old = rows[rows.doc_id.isin(ids)]
    majority = {t: Counter(theme_of[d] for d in g.doc_id).most_common(1)[0][0] for t, g in old.groupby("topic_id")}
    new = rows[rows.doc_id.isin(new_ids)].set_index("doc_id").loc[new_ids]
    assert (new.method == "assigned").all() and (new.run_id == first["model_run"]).all()
    assert [majority[t] for t in new.topic_id] == new_themes
    sizes = _q(db, "SELECT sum(size) AS n, sum(fit_size) AS f FROM topics")
    assert sizes.n[0] == len(ids) + len(new_ids) and sizes.f[0] == len(ids)


def test_changed_and_vanished_documents(fitted_db, synthetic):
    db, config, _ = fitted_db
    ids, texts, _, _ = synthetic
    conn = duckdb.connect(db)
    conn.execute("UPDATE doc_own SET own_text = 'short' WHERE doc_id = ?", [ids[0]])  # below min_doc_chars
    conn.close()
    # a new text for ids[1] needs its embedding (the embed stage would make it)
    new_text = texts[1] + " And the inspectorate came back."
    add_documents(db, [ids[1]], [new_text])
    import numpy as np

    add_embeddings(db, [new_text], np.asarray(synthetic[2][1:2]), [ids[1]])
    out = _run(db, config)
    assert out["dropped"] == 1 and out["assigned"] == 1
    rows = _q(db, "SELECT * FROM doc_topics")
    assert ids[0] not in set(rows.doc_id)
    assert rows.set_index("doc_id").method[ids[1]] == "assigned"


def test_topics_over_time_by_month(fitted_db, synthetic):
    db, _, first = fitted_db
    ids = synthetic[0]
    dates = dict(zip(ids, _dates(len(ids))))
    dt = _q(db, "SELECT doc_id, topic_id FROM doc_topics")
    dt["period"] = [pd.Timestamp(dates[d]).to_period("M").to_timestamp().date() for d in dt.doc_id]
    expected = dt.groupby(["topic_id", "period"]).size().rename("count").reset_index()
    expected["share"] = expected["count"] / expected.groupby("period")["count"].transform("sum")
    view = _q(db, "SELECT topic_id, period, count, share FROM topics_over_time WHERE run_id = ? "
                  "ORDER BY topic_id, period", [first["model_run"]])
    view["period"] = [p.date() if hasattr(p, "date") else p for p in view.period]
    exp = expected.sort_values(["topic_id", "period"]).reset_index(drop=True)
    assert view.topic_id.tolist() == exp.topic_id.tolist()
    assert view.period.tolist() == exp.period.tolist()
    assert view["count"].tolist() == exp["count"].tolist()
    assert view.share.round(9).tolist() == exp.share.round(9).tolist()
    assert sorted({str(p)[:7] for p in view.period}) == ["2020-01", "2020-02", "2020-03"]
    assert (view.groupby("period").share.sum().round(9) == 1).all()


def test_refit_is_explicit_and_reproducible(fitted_db, monkeypatch):
    """A refit gives the first fit's topics; the documents' tags stored by the first fit
    (``token_tags``) are reused, so the tagger runs on none of them."""
    import pipeline.nlp as nlp_module

    db, config, first = fitted_db
    texts = _q(db, "SELECT count(DISTINCT own_text) AS n FROM doc_own").n[0]
    assert _q(db, "SELECT count(*) AS n FROM token_tags").n[0] == texts > 0
    tagged_texts: list[str] = []
    real = nlp_module.tagged
    monkeypatch.setattr(nlp_module, "tagged", lambda nlp, ts, *a: real(nlp, tagged_texts.extend(ts) or ts, *a))
    second = _run(db, config, topics_jobs.refit_job)
    assert tagged_texts == []
    assert second["action"] == "fit" and second["model_run"] != first["model_run"]
    models = _q(db, "SELECT run_id, is_current FROM topic_models").set_index("run_id").is_current
    assert models[second["model_run"]] and not models[first["model_run"]]
    a = _q(db, "SELECT doc_id, topic_id, probability, method FROM doc_topics WHERE run_id = ? ORDER BY doc_id",
           [first["model_run"]])
    b = _q(db, "SELECT doc_id, topic_id, probability, method FROM doc_topics WHERE run_id = ? ORDER BY doc_id",
           [second["model_run"]])
    assert a.equals(b)
    ta = _q(db, "SELECT topic_id, label, top_terms FROM topics WHERE run_id = ? ORDER BY topic_id",
            [first["model_run"]])
    tb = _q(db, "SELECT topic_id, label, top_terms FROM topics WHERE run_id = ? ORDER BY topic_id",
            [second["model_run"]])
    assert ta.label.tolist() == tb.label.tolist()
    # the same input hash is recorded for both
    hashes = _q(db, "SELECT DISTINCT input_hash FROM topic_models")
    assert len(hashes) == 1


def test_a_refit_tags_in_worker_processes_and_stores_the_same_tags(fitted_db, tmp_path):
    """With the stored tags gone, a refit whose texts make three shards tags them in two
    worker processes (``scale.processes``); the tags they send back are stored, byte for
    byte those of the first fit (made in process), and the fit is the first fit's. A third
    worker fits the LDA baseline while BERTopic's steps run in the stage's process: the
    same baseline as the first fit's, made in process."""
    db, _, first = fitted_db
    tags = "SELECT content_hash, tagger, tags FROM token_tags ORDER BY ALL"
    before = _q(db, tags)
    conn = duckdb.connect(db)
    conn.execute("DELETE FROM token_tags")
    conn.close()
    n = first["documents"]
    config = job_config(tmp_path, scale={"processes": 2, "shard_size": n // 3 + 1})
    second = _run(db, config, topics_jobs.refit_job)
    assert second["worker_processes"] == 3 and second["documents"] == n
    assert len(before) == n and _q(db, tags).equals(before)
    docs = "SELECT doc_id, topic_id, probability, method FROM doc_topics WHERE run_id = ? ORDER BY doc_id"
    assert _q(db, docs, [second["model_run"]]).equals(_q(db, docs, [first["model_run"]]))
    assert first["metrics"]["lda_baseline"]["fit_seconds"] > 0
    timeless = [{k: v for k, v in run["metrics"]["lda_baseline"].items() if k != "fit_seconds"} for run in (first, second)]
    assert timeless[0] == timeless[1] and second["lda_npmi"] == first["lda_npmi"] is not None


def test_a_refit_clusters_while_its_shards_run_elsewhere(fitted_db, monkeypatch):
    """With the shards on another mapper (a Dask cluster's), UMAP and HDBSCAN run in the
    stage's process while the terms are made: the mapper's first shard waits until the
    clustering has started (it would wait in vain if the two ran one after the other),
    and the fit is the first fit's."""
    import threading

    db, config, first = fitted_db
    started = threading.Event()
    waited: list[bool] = []
    real = topics_jobs.cluster_embeddings

    def cluster(*a, **k):
        started.set()
        return real(*a, **k)

    def elsewhere(fn, items):
        for item in items:
            if not waited:
                waited.append(started.wait(timeout=120))
            mapped.append(getattr(fn, "func", fn))
            yield fn(item)

    mapped: list = []
    monkeypatch.setattr(topics_jobs, "cluster_embeddings", cluster)
    with recorded_run(db, "topics", {}, config) as (run_id, summary):
        summary.update(topics_jobs.refit_job(JobContext(db, config, run_id, mapper=elsewhere)))
    assert waited == [True]
    docs = "SELECT doc_id, topic_id, probability, method FROM doc_topics WHERE run_id = ? ORDER BY doc_id"
    assert _q(db, docs, [summary["model_run"]]).equals(_q(db, docs, [first["model_run"]]))
    assert mapped[-1] is topics_jobs.lda_metrics and mapped.count(topics_jobs.lda_metrics) == 1  # the baseline too
    assert summary["lda_npmi"] == first["lda_npmi"] is not None


def test_a_refit_whose_clustering_fails_takes_no_more_shards(fitted_db, tmp_path, monkeypatch):
    """An error (or an interrupt) while clustering stops the terms' shards being handed
    out: the stage fails after the shard in hand, not after tagging every text."""
    import threading

    db, _, first = fitted_db
    config = job_config(tmp_path, scale={"shard_size": first["documents"] // 3 + 1})
    failed = threading.Event()
    taken: list[int] = []

    def cluster(*a, **k):
        failed.set()
        raise RuntimeError("clustering failed")

    def elsewhere(fn, items):
        for item in items:
            if taken:
                failed.wait(timeout=120)
            taken.append(len(item.texts))
            yield fn(item)

    monkeypatch.setattr(topics_jobs, "cluster_embeddings", cluster)
    with pytest.raises(RuntimeError, match="clustering failed"):
        with recorded_run(db, "topics", {}, config) as (run_id, _):
            topics_jobs.refit_job(JobContext(db, config, run_id, mapper=elsewhere))
    assert len(taken) < 3  # of three shards (one or two, as the threads meet)


def test_embedding_model_change_needs_a_refit(fitted_db, synthetic):
    db, config, _ = fitted_db
    ids, texts, emb, _ = synthetic
    add_embeddings(db, texts, emb, ids, model_id="other@111111111111")
    with pytest.raises(TopicsError, match="topics refit"):
        _run(db, config)
    assert _run(db, config, options={"refit": True})["action"] == "fit"


def test_failed_write_leaves_no_model(tmp_path, tmp_db, synthetic, monkeypatch):
    ids, texts, emb, _ = synthetic
    add_documents(tmp_db, ids, texts)
    add_embeddings(tmp_db, texts, emb, ids)

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(topics_jobs, "write_quotes", broken)
    with pytest.raises(RuntimeError):
        _run(tmp_db, job_config(tmp_path))
    assert not any((tmp_path / "models" / "topics").glob("*/card.json"))
    assert _q(tmp_db, "SELECT count(*) AS n FROM topic_models").n[0] == 0
    assert _q(tmp_db, "SELECT count(*) AS n FROM doc_topics").n[0] == 0


def test_topics_need_embeddings_first(tmp_path, tmp_db):
    add_documents(tmp_db, ["a"], ["some text that is long enough to count here"])
    with pytest.raises(TopicsError, match="embed stage"):
        _run(tmp_db, job_config(tmp_path))


def test_too_few_documents_skip_the_stage_but_refit_refuses(tmp_path, tmp_db, synthetic):
    ids, texts, emb, _ = synthetic
    add_documents(tmp_db, ids[:5], texts[:5])
    add_embeddings(tmp_db, texts[:5], emb[:5], ids[:5])
    config = job_config(tmp_path)
    out = _run(tmp_db, config)
    assert out["action"] == "skipped" and "too few documents" in out["reason"]
    with pytest.raises(TopicsError, match="too few documents"):
        _run(tmp_db, config, topics_jobs.refit_job)


def test_a_run_with_no_new_input_writes_no_topics_rows(fitted_db, monkeypatch):
    """Nothing new: no refit, no LDA baseline, and every topics table exactly as it was."""
    import pipeline.topics.model as topic_model

    db, config, _ = fitted_db

    def boom(*a, **k):
        raise AssertionError("no fit and no LDA baseline on a run with no new input")

    monkeypatch.setattr(topics_jobs, "fit_topics", boom)
    monkeypatch.setattr(topic_model, "lda_baseline", boom)
    tables = ("topic_models", "topics", "doc_topics", "topic_quotes")
    before = {t: _q(db, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    out = _run(db, config)
    assert out["action"] == "assign" and out["assigned"] == 0 and out["dropped"] == 0
    for t in tables:
        pd.testing.assert_frame_equal(_q(db, f"SELECT * FROM {t} ORDER BY ALL"), before[t])


def test_a_refit_keeps_umaps_compiled_functions_in_paths_compiled_dir(fitted_db, tmp_path, monkeypatch):
    """A fit turns on numba's cache of UMAP's and pynndescent's functions in
    ``paths.compiled_dir`` (``tests/topics/test_compiled.py`` shows a second process loading
    them); ``""`` leaves them compiled in every process."""
    db, _, first = fitted_db
    folders: list = []
    monkeypatch.setattr(topics_jobs, "keep_compiled", folders.append)
    for compiled in (str(tmp_path / "compiled"), ""):
        config = job_config(tmp_path, paths={"compiled_dir": compiled})
        assert _run(db, config, topics_jobs.refit_job)["topics"] == first["topics"]
    assert folders == [tmp_path / "compiled"]
