"""Classify's memory at scale (issue 13): the thread context is built once per post (not
copied into every comment's row), and DuckDB's memory is capped on the stage's connection
(``classify.duckdb_memory_mb``) without changing a result. Synthetic texts; a hashing
encoder stands in for the sentence-embedding model."""

from __future__ import annotations

import random
import shutil

import duckdb
import pytest

from pipeline.api import Corpus
from pipeline.classify.features import context_text
from pipeline.config import ConfigError, load_config
from pipeline.store import connect
from pipeline.store.classify import classify_inputs
from tests.classify.fixture_data import use_hash_encoder
from tests.classify.test_jobs import _thread

ROWS = {"doc_theme_rows": "doc_id, theme, score, present, method, stance, stance_score, confidence",
        "doc_sentiment_rows": "doc_id, method, label, score, is_default, confidence",
        "sentence_sentiment_rows": "*"}


@pytest.fixture(autouse=True)
def _hash_encoder(monkeypatch):
    use_hash_encoder(monkeypatch)


@pytest.fixture(scope="module")
def segmented(tmp_path_factory):
    root = tmp_path_factory.mktemp("bounded")
    src = root / "inputs"
    src.mkdir()
    rng = random.Random(11)
    for i in range(3):
        (src / f"thread_{i}.txt").write_text(_thread(i, rng)[0])
    config = load_config(overrides={"paths": {"models_dir": str(root / "models"), "reports_dir": str(root / "reports")}})
    db = str(root / "segmented.duckdb")
    for stage in ("ingest", "clean", "dedupe", "segment"):
        Corpus(db, config).run_stage(stage, [str(src)])
    return root, db


def _config(root, **classify):
    return load_config(overrides={"paths": {"models_dir": str(root / "models"), "reports_dir": str(root / "reports")},
                                  "classify": classify})


def test_thread_contexts_are_the_posts_own_words_once_per_thread(segmented):
    from pipeline.jobs.classify import thread_contexts

    _, db = segmented
    conn = connect(db, read_only=True)
    try:
        docs = classify_inputs(conn)
        reference = conn.execute(
            "SELECT d.doc_id, p.title, coalesce(p.own_text, '') FROM documents d "
            "LEFT JOIN documents p ON p.doc_id = d.post_id ORDER BY d.post_id, d.position").fetchall()
        got = thread_contexts(conn, docs["post_id"].tolist())
        assert [r[0] for r in reference] == docs["doc_id"].tolist()
        assert got == [context_text(t, o) for _, t, o in reference]
        assert "post_own_text" not in docs.columns  # no copy of the post per comment
        by_thread = {}
        for post, text in zip(docs["post_id"], got):
            by_thread.setdefault(post, set()).add(id(text))
        assert len(by_thread) == 3 and all(len(ids) == 1 for ids in by_thread.values())
        assert thread_contexts(conn, [None, "no-such-post"]) == [context_text(None, "")] * 2
    finally:
        conn.close()


def _classified(db: str, root, memory_limits, megabytes: int) -> tuple[dict[str, list], str]:
    import pipeline.jobs.classify as job

    seen = memory_limits(job)
    run = Corpus(db, _config(root, duckdb_memory_mb=megabytes)).run_stage("classify", ())["run_id"]
    con = duckdb.connect(db, read_only=True)
    try:
        rows = {t: con.execute(f"SELECT {cols} EXCLUDE (run_id) FROM {t} WHERE run_id = ? ORDER BY ALL"
                               if cols == "*" else f"SELECT {cols} FROM {t} WHERE run_id = ? ORDER BY ALL",
                               [run]).fetchall() for t, cols in ROWS.items()}
    finally:
        con.close()
    return rows, seen[0]


def test_a_memory_limit_is_set_on_the_stage_connection_and_changes_no_row(segmented, tmp_path, memory_limits):
    root, db = segmented
    free, capped = tmp_path / "free.duckdb", tmp_path / "capped.duckdb"
    shutil.copy(db, free)
    shutil.copy(db, capped)
    rows_free, limit_free = _classified(str(free), root, memory_limits, 0)
    rows_capped, limit_capped = _classified(str(capped), root, memory_limits, 96)
    assert limit_capped == "91.5 MiB"  # 96 MB as DuckDB reports it
    assert limit_free != limit_capped
    assert all(rows_free[t] for t in ROWS)
    assert rows_free == rows_capped


@pytest.mark.parametrize(("key", "value"), [("duckdb_memory_mb", -1), ("batch_documents", 0)])
def test_bad_classify_limits_are_refused(key, value):
    from pipeline.classify.settings import classify_settings

    with pytest.raises(ConfigError, match=f"classify.{key}"):
        classify_settings(load_config(overrides={"classify": {key: value}}).section("classify"))
