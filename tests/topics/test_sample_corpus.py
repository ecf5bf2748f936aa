"""On the synthetic sample corpus after the whole flow (the session's ``sample_run``),
with the real MiniLM model (slow)."""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest

from pipeline.jobs import STAGES, JobContext
from pipeline.jobs.runlog import recorded_run
from pipeline.store import connect
from tests.topics.helpers import add_documents, job_config

pytestmark = pytest.mark.slow


def _stage(db, config, name):
    with recorded_run(db, name, {}, config) as (run_id, summary):
        summary.update(STAGES[name](JobContext(db, config, run_id)))
    return summary


def test_sample_corpus_topics_are_recognisable(sample_run):
    db, summary = sample_run
    fit = summary["stages"]["topics"]
    assert fit["action"] == "fit" and fit["topics"] >= 5
    assert fit["outlier_share_after"] < fit["outlier_share_before"]
    assert summary["stages"]["embed"]["device"] in ("cpu", "cuda")
    conn = connect(db, read_only=True)
    try:
        labels = [r[0] for r in conn.execute("SELECT label FROM topics WHERE topic_id >= 0").fetchall()]
        terms = {w for r in conn.execute("SELECT top_terms FROM topics WHERE topic_id >= 0").fetchall()
                 for w in r[0]}
        n_eligible = conn.execute("SELECT count(*) FROM documents_unique WHERE length(trim(own_text)) >= 40"
                                  ).fetchone()[0]
        assert conn.execute("SELECT count(*) FROM doc_topics").fetchone()[0] == n_eligible
        assert conn.execute("SELECT count(*) FROM topic_quotes").fetchone()[0] >= 5 * fit["topics"]
        months = conn.execute("SELECT count(DISTINCT period), round(min(s), 9), round(max(s), 9) FROM "
                              "(SELECT period, sum(share) AS s FROM topics_over_time GROUP BY period)").fetchone()
        assert months[0] > 1 and months[1] == months[2] == 1.0
    finally:
        conn.close()
    words = set(" ".join(labels).replace("/", " ").split())
    # themes a reader of the blog recognises
    assert {"napo", "union"} & words, labels
    assert {"inspection", "inspector", "inspectorate", "hmip"} & terms, labels
    assert {"sfo", "review", "blame"} & terms, labels
    assert {"pay", "salary"} & terms, labels


def test_second_run_embeds_and_assigns_only_new_documents(sample_run, tmp_path):
    db, summary = sample_run
    copy = str(tmp_path / "again.duckdb")
    shutil.copy(db, copy)
    config = job_config(tmp_path)
    new = ["Napo has balloted members again and the union says the pay offer is an insult to staff.",
           "The inspectors rated our office inadequate and the inspection report blamed the staff shortage."]
    add_documents(copy, ["c_new_1", "c_new_2"], new, [datetime(2024, 3, 1), datetime(2024, 3, 2)])
    emb = _stage(copy, config, "embed")
    assert emb["embedded"] == 2 and emb["reused"] == emb["unique_texts"] - 2
    top = _stage(copy, config, "topics")
    assert top["action"] == "assign" and top["assigned"] == 2
    assert top["model_run"] == summary["stages"]["topics"]["model_run"]
