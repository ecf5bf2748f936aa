"""End to end: `probation-corpus run` (the Prefect flow, every stage) on the sample corpus."""

from __future__ import annotations

import json

import pytest

from pipeline.jobs import STAGES
from pipeline.store import connect
from tests.conftest import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def conn(sample_run):
    db, _ = sample_run
    c = connect(db, read_only=True)
    yield c
    c.close()


def test_every_stage_ran_and_the_run_is_recorded(sample_run, conn):
    _, summary = sample_run
    assert list(summary["stages"]) == list(STAGES)
    assert list(STAGES)[-1] == "index" and summary["stages"]["index"]["update"] == "full"
    status, cfg, code, models = conn.execute(
        "SELECT status, config, code_version, model_versions FROM runs WHERE run_id = ?",
        [summary["run_id"]]).fetchone()
    assert status == "completed" and code.startswith("0.1.0")
    assert json.loads(cfg)["ingest"]["timezone"] == "Europe/London"
    assert isinstance(json.loads(models), dict)


def test_sample_corpus_is_ingested_whole(sample_run, conn):
    _, summary = sample_run
    ing = summary["stages"]["ingest"]
    assert ing["outcomes"]["ingested"] == ing["files"]  # every file read, none quarantined
    assert conn.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    posts, comments = conn.execute(
        "SELECT count(*) FILTER (kind='post'), count(*) FILTER (kind='comment') FROM documents").fetchone()
    assert posts >= 30 and comments >= 500
    # the answer key lists every distinct document once
    with open(REPO / "corpus/annotations/sample_gold.jsonl", encoding="utf-8") as fh:
        gold = [json.loads(line) for line in fh]
    assert posts + comments == len(gold)
    # every supported format is represented
    formats = {r[0] for r in conn.execute("SELECT DISTINCT format FROM sources").fetchall()}
    assert formats == {"text_dump", "blogger_html", "blogger_feed_atom", "blogger_feed_json",
                       "blogger_export", "tabular"}
    # posts read from two forms are one document with both sources
    assert conn.execute("SELECT count(*) FROM (SELECT doc_id FROM document_sources GROUP BY doc_id "
                        "HAVING count(*) > 1)").fetchone()[0] > 0
    # replies point at comments of the same post
    assert conn.execute("SELECT count(*) FROM documents c JOIN documents p ON c.parent_id = p.doc_id "
                        "WHERE p.post_id <> c.post_id OR p.kind <> 'comment'").fetchone()[0] == 0


def test_rerun_changes_nothing(sample_run, tmp_path):
    import shutil

    from pipeline.api import Corpus

    db, _ = sample_run
    copy = str(tmp_path / "again.duckdb")
    shutil.copy(db, copy)
    c = connect(copy)
    before = c.execute("SELECT count(*), sum(hash(doc_id || text)) FROM document_rows").fetchone()
    c.close()
    summary = Corpus(copy).ingest([str(REPO / "corpus/sample")])
    assert summary["outcomes"] == {"unchanged": summary["files"]}
    c = connect(copy)
    assert c.execute("SELECT count(*), sum(hash(doc_id || text)) FROM document_rows").fetchone() == before


def test_topic_by_theme_view(sample_run, conn):
    rows = conn.execute("SELECT topic_id, theme, count, share, favor + against + no_stance FROM topic_themes"
                        ).fetchall()
    assert rows, "topic_themes is empty after a full run"
    assert all(0 < share <= 1 and count == total for _, _, count, share, total in rows)
    # the shipped classifiers were used, not only the fallbacks
    methods = {r[0] for r in conn.execute("SELECT DISTINCT method FROM doc_sentiment").fetchall()}
    assert methods and methods != {"vader"}


def test_copies_and_own_words(sample_run, conn):
    """Every relation and segment kind shows on the sample; documents_unique counts each text once."""
    relations = {r[0] for r in conn.execute("SELECT DISTINCT relation FROM duplicates").fetchall()}
    assert relations == {"exact", "near", "contains", "contained_in"}
    kinds = {r[0] for r in conn.execute("SELECT DISTINCT kind FROM segments").fetchall()}
    assert kinds == {"own", "quote", "pasted"}
    n_docs, n_unique = conn.execute(
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM documents_unique)").fetchone()
    copies = conn.execute("SELECT count(DISTINCT doc_id) FROM duplicates "
                          "WHERE relation IN ('exact', 'near', 'contained_in')").fetchone()[0]
    assert n_unique == n_docs - copies
    # own_text never holds a pasted or quoted segment's words
    leaks = conn.execute("""
        SELECT count(*) FROM segments s JOIN documents d USING (doc_id)
        WHERE s.kind <> 'own' AND length(d.own_text) > 0
          AND strpos(d.own_text, substr(d.clean_text, s.start + 1, s."end" - s.start)) > 0
          AND s."end" - s.start > 80""").fetchone()[0]
    assert leaks == 0
    # reposted comments are attributed to their commenter, not the blog owner
    assert conn.execute("SELECT count(*) FROM documents WHERE post_own_intro IS NOT NULL").fetchone()[0] >= 2
