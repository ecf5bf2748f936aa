"""`prune` and old classify runs: the latest run's labels never change, rows a kept run
still reads stay, the rest go, and each removed run is recorded. Synthetic texts; a
hashing encoder stands in for the sentence-embedding model."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.api import Corpus
from pipeline.config import ConfigError, load_config
from tests.classify.test_incremental import _hash_encoder, _stage, corpus  # noqa: F401 (fixtures)
from tests.classify.test_jobs import _thread
from tests.store.test_prune import _count as _rows

VIEWS = {"doc_themes": "doc_id, theme, score, stance, stance_score, method, confidence",
         "doc_sentiment_all": "doc_id, label, score, method, is_default",
         "sentence_sentiment_all": "doc_id, sentence_no, text, label, score, method"}


def _latest(db: str) -> dict[str, list]:
    con = duckdb.connect(db, read_only=True)
    try:
        run = con.execute("SELECT run_id FROM classify_run_log ORDER BY created_at DESC LIMIT 1").fetchone()[0]
        return {v: con.execute(f"SELECT {cols} FROM {v} WHERE run_id = ? ORDER BY ALL", [run]).fetchall()
                for v, cols in VIEWS.items()}
    finally:
        con.close()


def test_old_runs_go_and_the_latest_labels_stay(corpus):  # noqa: F811
    db, config = corpus["db"], corpus["config"]
    runs = [_stage(corpus)["run_id"]]
    for i in (8, 9):  # two nightly runs, one new thread each: the first run's rows are carried
        (corpus["src"] / f"thread_new{i}.txt").write_text(_thread(i, corpus["rng"])[0])
        runs.append(_stage(corpus, inputs=corpus["src"])["run_id"])
    api = Corpus(db, config)
    latest = _latest(db)
    stored = _rows(db, "SELECT count(*) FROM doc_theme_rows")[0][0]

    preview = api.prune(keep_classify_runs=1)
    assert not preview["applied"]
    assert [i["item"] for i in preview["items"] if i["kind"] == "classify_run"] == [runs[1], runs[0]]
    # every row the old runs computed is still read by the latest run: only their records go
    assert all(i["rows"]["doc_theme_rows"] == 0 for i in preview["items"])
    assert _rows(db, "SELECT count(*) FROM classify_run_log")[0][0] == 3  # a preview changes nothing

    done = api.prune(keep_classify_runs=1, apply=True)
    assert done["applied"] and done["removed"]["classify_run_log"] == 2
    assert _latest(db) == latest
    assert _rows(db, "SELECT count(*) FROM doc_theme_rows")[0][0] == stored
    assert [r[0] for r in _rows(db, "SELECT run_id FROM classify_runs")] == [runs[2]]
    # the latest run's input hashes survive the runs that held them: nothing is redone
    assert _stage(corpus)["action"] == "unchanged"
    logged = _rows(db, "SELECT kind, item, rows > 0 FROM prune_log ORDER BY item")
    assert sorted(logged) == sorted([("classify_run", runs[0], True), ("classify_run", runs[1], True)])

    # a changed setting classifies everything again; pruning then frees the older rows
    changed = load_config(overrides={"paths": config.get("paths"), "classify": {"theme_threshold": 0.9}})
    assert _stage(corpus, changed)["action"] == "full"
    latest = _latest(db)
    n = _rows(db, "SELECT count(DISTINCT doc_id) FROM classify_doc_inputs")[0][0]
    out = Corpus(db, changed).prune(keep_classify_runs=1, apply=True)
    assert out["removed"]["doc_theme_rows"] > 0 and _latest(db) == latest
    assert _rows(db, "SELECT count(DISTINCT run_id), count(DISTINCT doc_id) FROM doc_sentiment_rows")[0] == (1, n)
    assert Corpus(db, changed).prune(keep_classify_runs=1)["items"] == []  # nothing left to prune


def test_keep_counts_are_checked(tmp_path):
    with pytest.raises(ConfigError, match="at least 1"):
        Corpus(str(tmp_path / "x.duckdb")).prune(keep_classify_runs=0)
    with pytest.raises(ConfigError, match="at least 1"):
        from pipeline.sections import PruneSettings
        from pipeline.settings import typed
        typed(load_config(overrides={"prune": {"keep_topic_models": 0}}), PruneSettings)
